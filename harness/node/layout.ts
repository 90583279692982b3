/**
 * Where the real node keeps everything, and its fixed names. There is one node per
 * machine (port 10250, the /kubepods cgroups and the kernel settings are machine-wide), so
 * the paths are fixed too: a later run, or the watchdog of a run that was killed, finds
 * them without being told.
 */
import { join } from 'node:path';

/** Held (flock) by the watchdog of the run that owns the node; kept between runs. */
export const LOCK_FILE = '/run/kubeopencode-node.lock';
/** The host snapshot and what was started: written before the first change, removed after the restore. */
export const STATE_FILE = '/run/kubeopencode-node.json';
/**
 * Everything of one run except containerd's image store: configs, logs, sockets, the kubelet's
 * root dir. Short on purpose: containerd's shim sockets live under it (at most 42 characters).
 */
export const RUN_DIR = '/run/kubeopencode-node';
/** The containerd namespace of the CRI: images imported there are what the kubelet sees. */
export const CONTAINERD_NAMESPACE = 'k8s.io';
/** Our own bridge and Pod subnet, so nothing else on the machine (podman, docker) is touched. */
export const BRIDGE = 'kubeopencode0';
export const CNI_NETWORK = 'kubeopencode';
export const POD_CIDR = '10.244.0.0/24';
/** The sandbox image, made at node start from harness/node/cmd/pause. */
export const PAUSE_IMAGE = 'localhost/kubeopencode/pause:1';
export const KUBELET_HEALTHZ_PORT = 10248;
export const KUBE_PROXY_HEALTHZ = '127.0.0.1:10256';
export const KUBE_PROXY_METRICS = '127.0.0.1:10249';

/** The files and folders of one node. */
export interface NodeLayout {
  readonly runDir: string;
  /** Persistent between runs (images imported once stay), on a file system overlayfs can use. */
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdAddress: string;
  readonly containerdConfig: string;
  readonly shimSocketDir: string;
  readonly cniConfDir: string;
  readonly cniIpamDir: string;
  readonly kubeletRoot: string;
  readonly kubeletConfig: string;
  readonly podLogsDir: string;
  readonly kubeProxyConfig: string;
  readonly pkiDir: string;
  readonly logFile: (component: string) => string;
}

export function nodeLayout(containerdRoot: string, runDir = RUN_DIR): NodeLayout {
  return {
    runDir,
    containerdRoot,
    containerdState: join(runDir, 'containerd'),
    containerdAddress: join(runDir, 'containerd.sock'),
    containerdConfig: join(runDir, 'containerd.toml'),
    shimSocketDir: join(runDir, 's'),
    cniConfDir: join(runDir, 'cni'),
    cniIpamDir: join(runDir, 'cni-ipam'),
    kubeletRoot: join(runDir, 'kubelet'),
    kubeletConfig: join(runDir, 'kubelet.yaml'),
    podLogsDir: join(runDir, 'pod-logs'),
    kubeProxyConfig: join(runDir, 'kube-proxy.yaml'),
    pkiDir: join(runDir, 'pki'),
    logFile: (component) => join(runDir, `${component}.log`),
  };
}
