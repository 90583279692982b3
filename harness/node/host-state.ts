/**
 * What the real node changes on the machine, captured before it starts so that the
 * teardown can put back exactly that: kernel settings, iptables chains, a few well-known
 * folders. The parsing and the diffing are pure (unit-tested in test/harness/node-host-state.test.ts);
 * host-restore.ts applies them.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Every kernel setting the node's parts are known to touch:
 * - the kubelet's "kernel tunables" (protectKernelDefaults: false makes it set them);
 * - forwarding, which the bridge plugin turns on for its gateway;
 * - kube-proxy's route_localnet and conntrack settings (its config asks it to leave them; kept in case);
 * - the bridge netfilter switches, which Pod traffic through iptables depends on.
 */
export const SYSCTLS = [
  'vm.overcommit_memory', 'vm.panic_on_oom', 'kernel.panic', 'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys', 'kernel.keys.root_maxbytes',
  'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding',
  'net.ipv4.conf.all.route_localnet',
  'net.netfilter.nf_conntrack_max', 'net.netfilter.nf_conntrack_tcp_timeout_established',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait', 'net.netfilter.nf_conntrack_tcp_be_liberal',
  'net.netfilter.nf_conntrack_udp_timeout', 'net.netfilter.nf_conntrack_udp_timeout_stream',
  'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables', 'net.bridge.bridge-nf-call-arptables',
];

/** Folders that the kubelet, containerd or the CNI plugins create outside the run dir when absent. */
export const WATCHED_PATHS = ['/var/lib/kubelet', '/var/lib/cni', '/var/run/netns', '/var/log/pods', '/var/log/containers', '/run/containerd', '/etc/cni', '/opt/cni', '/etc/kubernetes'];

/** Chains that the kubelet and kube-proxy (KUBE-*) and the bridge/portmap plugins (CNI-*) create. */
export const OWN_CHAIN = /^(KUBE-|CNI-)/;

export type Family = 'ipv4' | 'ipv6';
export const IPTABLES: Record<Family, { save: string; restore: string }> = {
  ipv4: { save: 'iptables-save', restore: 'iptables-restore' },
  ipv6: { save: 'ip6tables-save', restore: 'ip6tables-restore' },
};

export interface HostSnapshot {
  takenAt: string;
  /** dotted name -> value as read from /proc/sys; settings the kernel lacks are left out. */
  sysctls: Record<string, string>;
  /** family -> table -> every chain name present before the node started. */
  chains: Record<Family, Record<string, string[]>>;
  /** WATCHED_PATHS -> whether it existed. */
  paths: Record<string, boolean>;
}

export const sysctlPath = (name: string) => `/proc/sys/${name.replace(/\./g, '/')}`;

export async function takeSnapshot(): Promise<HostSnapshot> {
  const sysctls: Record<string, string> = {};
  for (const name of SYSCTLS) {
    if (existsSync(sysctlPath(name))) sysctls[name] = readFileSync(sysctlPath(name), 'utf8').trim();
  }
  const chains = { ipv4: {}, ipv6: {} } as HostSnapshot['chains'];
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const [table, parsed] of parseIptablesSave(await iptablesSave(family))) chains[family][table] = parsed.chains;
  }
  const paths = Object.fromEntries(WATCHED_PATHS.map((p) => [p, existsSync(p)]));
  return { takenAt: new Date().toISOString(), sysctls, chains, paths };
}

export async function iptablesSave(family: Family): Promise<string> {
  return (await run(IPTABLES[family].save, [], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

/** `iptables-save` output -> table -> its chains and its rules (the `-A ...` lines, verbatim). */
export function parseIptablesSave(save: string): Map<string, { chains: string[]; rules: string[] }> {
  const tables = new Map<string, { chains: string[]; rules: string[] }>();
  let current: { chains: string[]; rules: string[] } | undefined;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) tables.set(line.slice(1).trim(), current = { chains: [], rules: [] });
    else if (line.startsWith(':') && current) current.chains.push(line.slice(1).split(' ')[0]);
    else if (line.startsWith('-A ') && current) current.rules.push(line);
  }
  return tables;
}

/**
 * An `iptables-restore --noflush` script that removes what the node added: the jumps from
 * other chains (INPUT, FORWARD, POSTROUTING...) into new KUBE-* / CNI-* chains, then those
 * chains' rules, then the chains. Chains that existed before are left alone. '' when
 * there is nothing to remove.
 */
export function iptablesCleanupScript(save: string, before: Record<string, string[]>): string {
  const out: string[] = [];
  for (const [table, { chains, rules }] of parseIptablesSave(save)) {
    const existed = new Set(before[table] ?? []);
    const added = chains.filter((c) => OWN_CHAIN.test(c) && !existed.has(c));
    if (!added.length) continue;
    const isAdded = new Set(added);
    const jumps = rules.filter((rule) => {
      const [, chain] = rule.split(' ');
      const target = / -[jg] (\S+)/.exec(rule)?.[1];
      return !isAdded.has(chain) && target !== undefined && isAdded.has(target);
    });
    out.push(`*${table}`, ...jumps.map((rule) => `-D${rule.slice(2)}`), ...added.map((c) => `-F ${c}`), ...added.map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** The chains of `save` that match OWN_CHAIN and are not in `before`, as `table/chain`. */
export function addedChains(save: string, before: Record<string, string[]>): string[] {
  return [...parseIptablesSave(save)].flatMap(([table, { chains }]) =>
    chains.filter((c) => OWN_CHAIN.test(c) && !(before[table] ?? []).includes(c)).map((c) => `${table}/${c}`));
}

/** Kernel settings whose value now differs from the snapshot: what to write back. */
export function sysctlsToRestore(before: Record<string, string>, now: Record<string, string>): [string, string][] {
  return Object.entries(before).filter(([name, value]) => now[name] !== undefined && now[name] !== value);
}

/**
 * Mount points at or under any of `roots`, from /proc/self/mountinfo, in the order to
 * unmount them: deepest first, and of two mounts on one point the later first.
 */
export function mountsUnder(mountinfo: string, roots: readonly string[]): string[] {
  const points = mountinfo.split('\n').filter(Boolean)
    .map((line) => line.split(' ')[4].replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => roots.some((root) => point === root || point.startsWith(`${root}/`)));
  return points.map((point, index) => ({ point, index }))
    .sort((a, b) => b.point.split('/').length - a.point.split('/').length || b.index - a.index)
    .map((m) => m.point);
}
