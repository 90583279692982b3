/**
 * The real node's configuration files, as pure functions of its layout (unit-tested in
 * test/harness/node-config.test.ts). Each setting that is not a default says why.
 */
import { stringify } from 'yaml';
import { BRIDGE, CNI_NETWORK, KUBE_PROXY_HEALTHZ, KUBE_PROXY_METRICS, KUBELET_HEALTHZ_PORT, NodeLayout, PAUSE_IMAGE, POD_CIDR } from './layout.js';

/** Debian's containernetworking-plugins (bridge, host-local, loopback, portmap). */
export const CNI_BIN_DIR = '/usr/lib/cni';
/** Debian's runc: upstream's needs cgo and libseccomp, so the Go proxy cannot give it. */
export const RUNC = '/usr/sbin/runc';

const toml = (value: string) => JSON.stringify(value); // a TOML basic string is a JSON string

/**
 * containerd 2.4's config, `version = 4`: 2.4 still reads version 3 (2.0's) and migrates it
 * at every start, but in 4 the sockets are set by the server plugins (a version-4 file with
 * 3's `[grpc] address` is served on /run/containerd/containerd.sock instead). Everything
 * lives under the run dir except the image store (`root`); the plugins that would create
 * folders elsewhere on the host (/opt/containerd, /var/run/nri) are turned off.
 */
export function containerdConfig(layout: NodeLayout): string {
  return `version = 4
root = ${toml(layout.containerdRoot)}
state = ${toml(layout.containerdState)}
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp"]

[plugins."io.containerd.server.v1.grpc"]
  address = ${toml(layout.containerdAddress)}

[plugins."io.containerd.server.v1.ttrpc"]
  address = ${toml(`${layout.containerdAddress}.ttrpc`)}

[plugins."io.containerd.shim.v1.manager"]
  socket_dir = ${toml(layout.shimSocketDir)}

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = ${toml(PAUSE_IMAGE)}

[plugins."io.containerd.cri.v1.runtime"]
  # This machine withholds CAP_SYS_RESOURCE from every process, so nothing may lower its
  # oom_score_adj: the CRI's -998 for sandboxes makes runc fail ("can't get final child's PID
  # from pipe: EOF"). Restricted, requested values are raised to containerd's own.
  restrict_oom_score_adj = true
  cdi_spec_dirs = []
  # Pod network namespaces under the state dir, not the machine's /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = ${toml(RUNC)}
        # runc's state, default /run/containerd/runc: under the run dir like the rest.
        Root = ${toml(`${layout.runDir}/runc`)}
        # cgroupfs: there is no systemd. The kubelet learns it from containerd (RuntimeConfig).
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [${toml(CNI_BIN_DIR)}]
    conf_dir = ${toml(layout.cniConfDir)}
    max_conf_num = 1
`;
}

/**
 * One bridge network with its own bridge name and subnet (nothing else on the machine uses
 * them), a gateway on the bridge so Pods reach the host and, through kube-proxy's rules,
 * Services; host-local keeps its leases under the run dir instead of /var/lib/cni.
 */
export function cniConflist(layout: NodeLayout): object {
  return {
    cniVersion: '1.0.0',
    name: CNI_NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: POD_CIDR }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: layout.cniIpamDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

export interface KubeletSettings {
  nodeIP: string;
  /** CA of the client certificate the API server presents (`--kubelet-client-certificate`). */
  clientCaFile: string;
}

/**
 * KubeletConfiguration v1beta1. The kubelet's port is authenticated like a real cluster's:
 * client certificates from the API server's kubelet-client CA, bearer tokens through
 * TokenReview, and every request authorized by a SubjectAccessReview; nothing anonymous.
 */
export function kubeletConfig(layout: NodeLayout, settings: KubeletSettings): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // The machine has hybrid cgroups (v1 controllers); 1.35+ refuses v1 unless told.
    failCgroupV1: false,
    containerRuntimeEndpoint: `unix://${layout.containerdAddress}`,
    address: settings.nodeIP,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: KUBELET_HEALTHZ_PORT,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: settings.clientCaFile },
    },
    authorization: { mode: 'Webhook' },
    failSwapOn: false,
    // No CAP_SYS_RESOURCE: the default -999 cannot be set.
    oomScoreAdj: 0,
    // Pods get no name server: the host's is not for them, and there is no cluster DNS. They use IPs.
    resolvConf: '',
    podLogsDir: layout.podLogsDir,
    // Tests wait on these: react in seconds, not minutes.
    syncFrequency: '10s',
    nodeStatusUpdateFrequency: '4s',
    // Images are imported, never pulled: garbage-collecting one would break `imagePullPolicy: Never`.
    imageGCHighThresholdPercent: 100,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    serializeImagePulls: false,
  });
}

/** kube-proxy in iptables mode, told to leave the kernel's conntrack settings and route_localnet alone. */
export function kubeProxyConfig(nodeName: string, kubeconfigPath: string): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: kubeconfigPath },
    hostnameOverride: nodeName,
    mode: 'iptables',
    clusterCIDR: POD_CIDR,
    detectLocalMode: 'ClusterCIDR',
    healthzBindAddress: KUBE_PROXY_HEALTHZ,
    metricsBindAddress: KUBE_PROXY_METRICS,
    oomScoreAdj: 0,
    // 0 = keep the host's values (nf_conntrack_max and the timeouts are machine-wide sysctls).
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s', udpTimeout: '0s', udpStreamTimeout: '0s' },
    // NodePorts on 127.0.0.1 would need net.ipv4.conf.all.route_localnet=1 machine-wide.
    iptables: { localhostNodePorts: false, syncPeriod: '30s', minSyncPeriod: '1s' },
  });
}
