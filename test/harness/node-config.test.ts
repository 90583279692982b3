/**
 * The real node's configuration files and its small wire formats: the settings this
 * machine needs are there, everything stays under the node's own folders, an image
 * archive is a valid tar, and the CRI's protobuf reads back what it writes.
 */
import { parse } from 'yaml';
import { cniConflist, containerdConfig, kubeletConfig, kubeProxyConfig } from '../../harness/node/config.js';
import { decode, stringField } from '../../harness/node/cri.js';
import { dockerArchive, tar } from '../../harness/node/image-archive.js';
import { nodeLayout } from '../../harness/node/layout.js';

const layout = nodeLayout('/cache/node/containerd', '/run/kubeopencode-node');

describe('containerd config', () => {
  const config = containerdConfig(layout);

  test('is version 4, with its sockets, state and root where the layout says', () => {
    expect(config).toMatch(/^version = 4\n/);
    expect(config).toContain('root = "/cache/node/containerd"');
    expect(config).toContain('[plugins."io.containerd.server.v1.grpc"]\n  address = "/run/kubeopencode-node/containerd.sock"');
    expect(config).toContain('socket_dir = "/run/kubeopencode-node/s"');
    expect(config).toContain('Root = "/run/kubeopencode-node/runc"');
    expect(config).toContain('netns_mounts_under_state_dir = true');
  });

  test('raises oom_score_adj instead of failing (no CAP_SYS_RESOURCE) and pins the local pause image', () => {
    expect(config).toContain('restrict_oom_score_adj = true');
    expect(config).toContain('sandbox = "localhost/kubeopencode/pause:1"');
    expect(config).toContain('SystemdCgroup = false');
  });

  test('shim sockets fit containerd\'s limit of 42 characters for their folder', () => {
    expect(nodeLayout('/x').shimSocketDir.length).toBeLessThanOrEqual(42);
  });
});

test('the CNI network has its own bridge and subnet, and keeps its leases under the run dir', () => {
  const bridge = (cniConflist(layout) as { plugins: Record<string, unknown>[] }).plugins[0];
  expect(bridge).toMatchObject({ type: 'bridge', bridge: 'kubeopencode0', ipMasq: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]], dataDir: '/run/kubeopencode-node/cni-ipam' } });
});

test('the kubelet authenticates every caller, leaves swap and oom_score_adj alone, and gives Pods no host name server', () => {
  const config = parse(kubeletConfig(layout, { nodeIP: '192.0.2.2', clientCaFile: '/pki/ca.crt' })) as Record<string, unknown>;
  expect(config).toMatchObject({
    kind: 'KubeletConfiguration',
    failCgroupV1: false,
    address: '192.0.2.2',
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: '/pki/ca.crt' } },
    authorization: { mode: 'Webhook' },
    failSwapOn: false,
    oomScoreAdj: 0,
    resolvConf: '',
    readOnlyPort: 0,
    containerRuntimeEndpoint: 'unix:///run/kubeopencode-node/containerd.sock',
    imageGCHighThresholdPercent: 100,
  });
  expect(config).not.toHaveProperty('cgroupDriver'); // from containerd (RuntimeConfig)
});

test('kube-proxy runs iptables mode and leaves conntrack and route_localnet alone', () => {
  const config = parse(kubeProxyConfig('vm', '/kubeconfig')) as Record<string, unknown>;
  expect(config).toMatchObject({ mode: 'iptables', hostnameOverride: 'vm', conntrack: { maxPerCore: 0, min: 0 }, iptables: { localhostNodePorts: false }, oomScoreAdj: 0 });
});

describe('image archives', () => {
  test('tar headers carry name, mode, size, type and a valid checksum', () => {
    const archive = tar([
      { type: 'file', path: 'etc/passwd', data: Buffer.from('root\n'), mode: 0o600 },
      { type: 'symlink', path: 'bin/sh', target: 'busybox' },
      { type: 'dir', path: 'tmp', mode: 0o1777 },
    ]);
    expect(archive.length % 512).toBe(0);
    const header = archive.subarray(0, 512);
    const field = (offset: number, length: number) => header.subarray(offset, offset + length).toString('latin1').replace(/\0.*$/s, '');
    expect(field(0, 100)).toBe('etc/passwd');
    expect(parseInt(field(100, 8), 8)).toBe(0o600);
    expect(parseInt(field(124, 12), 8)).toBe(5);
    const stored = parseInt(field(148, 8), 8);
    const blanked = Buffer.from(header);
    blanked.fill(' ', 148, 156);
    expect(stored).toBe(blanked.reduce((sum, byte) => sum + byte, 0));
    const second = archive.subarray(1024, 1536); // after the header and the padded 5-byte file
    expect(second.toString('latin1', 0, 6)).toBe('bin/sh');
    expect(second.toString('latin1', 156, 157)).toBe('2');
    expect(second.toString('latin1', 157, 164)).toBe('busybox');
  });

  test('a docker archive names its config and layers by digest, and tags the image', () => {
    const layer = tar([{ type: 'file', path: 'hello', data: Buffer.from('hi') }]);
    const archive = dockerArchive('localhost/kubeopencode/x:1', [layer], { Entrypoint: ['/hello'] });
    const text = archive.toString('latin1');
    const manifest = JSON.parse(/\[\{"Config".*?\}\]/.exec(text)![0]) as [{ Config: string; RepoTags: string[]; Layers: string[] }];
    expect(manifest[0].RepoTags).toEqual(['localhost/kubeopencode/x:1']);
    expect(manifest[0].Config).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(manifest[0].Layers).toEqual([expect.stringMatching(/^[0-9a-f]{64}\/layer\.tar$/)]);
  });
});

test('CRI protobuf: a string field reads back, nested messages and varints too', () => {
  const metadata = Buffer.concat([stringField(1, 'demo'), stringField(3, 'ns')]);
  const sandbox = Buffer.concat([stringField(1, 'abc'), Buffer.from([0x12, metadata.length]), metadata, Buffer.from([0x18, 0x01])]);
  const fields = decode(sandbox);
  expect((fields.get(1)![0] as Buffer).toString()).toBe('abc');
  expect(fields.get(3)).toEqual([1]);
  expect((decode(fields.get(2)![0] as Buffer).get(3)![0] as Buffer).toString()).toBe('ns');
  expect(decode(stringField(1, 'x'.repeat(300))).get(1)![0]).toHaveLength(300);
});
