/**
 * Puts the machine back as the snapshot found it, after a node run: called by
 * `RealNode.stop()`, by the watchdog once the Node process that started the node is gone
 * (SIGKILL, a crash, an exit without stop), and at the next start if even that did not
 * happen. Every step is attempted whatever failed before it; the failures are returned.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { criVersion, listPodSandboxes, removePodSandbox } from './cri.js';
import { HostSnapshot, IPTABLES, iptablesCleanupScript, iptablesSave, mountsUnder, sysctlPath, sysctlsToRestore } from './host-state.js';
import { BRIDGE, CNI_NETWORK, NodeLayout, nodeLayout, STATE_FILE } from './layout.js';
import { Component, isRunning, runsBinary, spawnComponent, stopGroup } from '../control-plane/processes.js';

const run = promisify(execFile);

/** What the state file records: enough for another process to restore the host. */
export interface NodeState {
  ownerPid: number;
  binDir: string;
  runDir: string;
  containerdRoot: string;
  snapshot: HostSnapshot;
  /** component -> PID (also its process group). */
  pids: Record<string, number>;
}

export function readNodeState(file = STATE_FILE): NodeState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as NodeState;
  } catch {
    return undefined;
  }
}

export function writeNodeState(state: NodeState, file = STATE_FILE): void {
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** The node's components, stopped in this order (containerd last: the sandboxes go through it). */
const KUBE_COMPONENTS = ['kubelet', 'kube-proxy', 'kube-scheduler'];

export async function restoreHost(state: NodeState, log: (line: string) => void): Promise<string[]> {
  const layout = nodeLayout(state.containerdRoot, state.runDir);
  const problems: string[] = [];
  const step = async (name: string, action: () => Promise<unknown>) => {
    const started = Date.now();
    try {
      const detail = await action();
      log(`restore: ${name} (${Date.now() - started} ms)${typeof detail === 'string' && detail ? `: ${detail}` : ''}`);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
      log(`restore: ${name} FAILED: ${(e as Error).message}`);
    }
  };
  await step('stop kubelet, kube-proxy, kube-scheduler', () => stopRecorded(state, KUBE_COMPONENTS));
  await step('remove the Pod sandboxes through the CRI (CNI DEL)', () => removeSandboxes(state, layout));
  await step('stop containerd', () => stopRecorded(state, ['containerd']));
  await step('kill what is left in the kubepods cgroups and the shims', () => killLeftovers(state));
  await step('unmount what is left under the node\'s folders', () => unmountUnder([layout.runDir, layout.containerdRoot]));
  await step('delete the bridge and its veths', () => deleteLinks());
  for (const family of ['ipv4', 'ipv6'] as const) {
    await step(`delete the KUBE-*/CNI-* ${family} chains`, () => cleanIptables(family, state.snapshot.chains[family]));
  }
  await step('restore the kernel settings', async () => restoreSysctls(state.snapshot.sysctls));
  await step('remove the kubepods cgroups', async () => removeCgroups());
  await step('remove the folders the node created', async () => removeCreatedPaths(state.snapshot.paths));
  await step('remove the CNI result cache of our network', async () => removeCniCache());
  await step('remove the run dir', async () => rmSync(layout.runDir, { recursive: true, force: true }));
  return problems;
}

async function stopRecorded(state: NodeState, names: string[]): Promise<string> {
  const stopped = names.filter((name) => state.pids[name] && runsBinary(state.pids[name], name));
  await Promise.all(stopped.map((name) => stopGroup(state.pids[name], name === 'containerd' ? 10_000 : 5_000)));
  return stopped.join(', ') || 'none running';
}

/**
 * Through the CRI, so that CNI DEL runs for each Pod. If containerd is gone (a crash),
 * it is started again for this, with the same config, and stopped after.
 */
async function removeSandboxes(state: NodeState, layout: NodeLayout): Promise<string> {
  let temporary: Component | undefined;
  if (!await criVersion(layout.containerdAddress).catch(() => undefined)) {
    if (!existsSync(layout.containerdConfig)) return 'no containerd config: nothing was started';
    temporary = spawnComponent('containerd', join(state.binDir, 'containerd'), ['--config', layout.containerdConfig], layout.logFile('containerd-restore'));
    state.pids.containerd = temporary.pid;
    for (let i = 0; i < 100 && !await criVersion(layout.containerdAddress).catch(() => undefined); i++) await sleep(100);
  }
  const sandboxes = await listPodSandboxes(layout.containerdAddress);
  const failed: string[] = [];
  await Promise.all(sandboxes.map((s) => removePodSandbox(layout.containerdAddress, s.id).catch((e: Error) => failed.push(`${s.namespace}/${s.name}: ${e.message}`))));
  if (failed.length) throw new Error(`could not remove ${failed.length} sandbox(es): ${failed.join('; ')}`);
  return `${sandboxes.length} sandbox(es)${temporary ? ' (containerd restarted for it)' : ''}`;
}

/** v1 hierarchies and the unified one: where the kubelet's `kubepods` cgroups are. */
function cgroupRoots(): string[] {
  const base = '/sys/fs/cgroup';
  if (existsSync(join(base, 'cgroup.controllers'))) return [base];
  return existsSync(base) ? readdirSync(base).map((h) => join(base, h)).filter((p) => statSync(p).isDirectory()) : [];
}

/** Every cgroup of a tree, children before parents. */
function postOrder(dir: string): string[] {
  const children = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  return [...children.flatMap(postOrder), dir];
}

const kubepodsTrees = () => cgroupRoots().map((root) => join(root, 'kubepods')).filter((p) => existsSync(p));

/** Container processes that outlived their shim, and shims that outlived containerd: SIGKILL. */
async function killLeftovers(state: NodeState): Promise<string> {
  const pids = new Set<number>();
  for (const cgroup of kubepodsTrees().flatMap(postOrder)) {
    for (const pid of readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(pid));
  }
  const shim = realpathOr(join(state.binDir, 'containerd-shim-runc-v2'));
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    if (realpathOr(`/proc/${entry}/exe`) === shim) pids.add(Number(entry));
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* gone */ }
  }
  for (let i = 0; i < 50 && [...pids].some(isRunning); i++) await sleep(100);
  return `${pids.size} process(es)`;
}

function realpathOr(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** Lazily: a mount still busy goes away once its last user does. */
async function unmountUnder(roots: string[]): Promise<string> {
  const points = mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), roots.filter(existsSync).map((r) => realpathSync(r)));
  for (const point of points) await run('umount', ['-l', point]).catch(() => undefined);
  return `${points.length} mount(s)`;
}

async function deleteLinks(): Promise<string> {
  const { stdout } = await run('ip', ['-o', 'link', 'show', 'master', BRIDGE]).catch(() => ({ stdout: '' }));
  const veths = stdout.split('\n').map((line) => line.split(': ')[1]?.split('@')[0]).filter(Boolean);
  for (const veth of veths) await run('ip', ['link', 'del', veth]).catch(() => undefined);
  const bridge = await run('ip', ['link', 'del', BRIDGE]).then(() => true, () => false);
  return `${veths.length} veth(s)${bridge ? `, ${BRIDGE}` : ''}`;
}

async function cleanIptables(family: 'ipv4' | 'ipv6', before: Record<string, string[]>): Promise<string> {
  const script = iptablesCleanupScript(await iptablesSave(family), before);
  if (!script) return 'none';
  await new Promise<void>((resolve, reject) => {
    const child = execFile(IPTABLES[family].restore, ['--noflush'], (e) => (e ? reject(e) : resolve()));
    child.stdin?.end(script);
  });
  return `${script.split('\n').filter((l) => l.startsWith('-X')).length} chain(s)`;
}

function restoreSysctls(before: Record<string, string>): string {
  const now = Object.fromEntries(Object.keys(before).filter((n) => existsSync(sysctlPath(n))).map((n) => [n, readFileSync(sysctlPath(n), 'utf8').trim()]));
  const changes = sysctlsToRestore(before, now);
  for (const [name, value] of changes) writeFileSync(sysctlPath(name), value);
  return changes.map(([name, value]) => `${name}=${value} (was ${now[name]})`).join(', ') || 'none changed';
}

function removeCgroups(): string {
  let removed = 0;
  for (const cgroup of kubepodsTrees().flatMap(postOrder)) {
    try {
      rmdirSync(cgroup); // a cgroup's files are the kernel's: rmdir, never a recursive delete
      removed++;
    } catch { /* still has a process: reported by the count */ }
  }
  return `${removed} cgroup(s)`;
}

/**
 * libcni caches each ADD result in /var/lib/cni/results (not configurable through the CRI).
 * A folder the node created goes whole (above); in one that was there before, only our
 * network's files (`<network>-<container>-<interface>`).
 */
function removeCniCache(): string {
  const dir = '/var/lib/cni/results';
  const ours = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${CNI_NETWORK}-`)) : [];
  for (const file of ours) rmSync(join(dir, file), { force: true });
  return `${ours.length} file(s)`;
}

function removeCreatedPaths(existed: Record<string, boolean>): string {
  const created = Object.entries(existed).filter(([path, was]) => !was && existsSync(path)).map(([path]) => path);
  for (const path of created) rmSync(path, { recursive: true, force: true });
  return created.join(', ') || 'none';
}
