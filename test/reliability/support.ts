/**
 * What the reliability tests share: a record of every Task and Pod event as the API server
 * orders them (with the invariants checked on every event), the controller as a real process
 * limited to a test's namespaces, its /proc numbers and its metrics, and a seeded random
 * source so that a failing chaos run can be replayed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig, V1Pod, Watch } from '@kubernetes/client-node';
import { TaskObject } from '../../src/reconciler/objects.js';
import { httpStatusOf } from '../../src/reconciler/runtime/api-errors.js';
import { ControllerProcess } from '../reconciler/controller-process.js';
import { Scenario } from '../reconciler/support.js';


/**
 * The seed of a chaos run: KUBEOPENCODE_CHAOS_SEED replays one, otherwise a new one (the
 * test prints it).
 */
export function chaosSeed(): number {
  const fromEnv = Number(process.env.KUBEOPENCODE_CHAOS_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31);
}

/** Park and Miller's minimal standard generator: plenty for picking delays and outcomes, in [0, 1). */
export function seededRandom(seed: number): () => number {
  const M = 2147483647;
  let state = (Math.abs(Math.floor(seed)) % (M - 1)) + 1;
  return () => {
    state = (state * 48271) % M;
    return (state - 1) / (M - 1);
  };
}

/**
 * Arguments for `kubeopencode controller` handling only `namespaces` (globs allowed), without
 * leader election, serving /metrics on `metricsPort` if given.
 */
export function controllerArgs(kubeconfig: string, namespaces: string[], metricsPort?: number): string[] {
  return ['--kubeconfig', kubeconfig, '--no-leader-elect', '--watch-namespaces', namespaces.join(','),
    '--metrics-bind-address', metricsPort ? `127.0.0.1:${metricsPort}` : '0', '--health-probe-bind-address', '0'];
}

/** The controller's /metrics text. */
export async function scrapeMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/**
 * A Scenario on another control plane than the shared one (a test's own, which it may restart
 * or load without disturbing other test files). Scenario reads the kubeconfig from the
 * environment when it is made, so it is pointed there for that moment.
 */
export function scenarioOn(kubeconfigPath: string, prefix: string): Scenario {
  const saved = process.env.KUBEOPENCODE_TEST_KUBECONFIG;
  process.env.KUBEOPENCODE_TEST_KUBECONFIG = kubeconfigPath;
  try {
    return new Scenario(prefix);
  } finally {
    process.env.KUBEOPENCODE_TEST_KUBECONFIG = saved;
  }
}

/** Starts the controller process and waits until its caches are synced. */
export async function startController(args: string[], nodeFlags: string[] = []): Promise<ControllerProcess> {
  const p = ControllerProcess.start(args, nodeFlags);
  await p.waitForLog('caches synced', 60_000);
  return p;
}

/** Open file descriptors and resident memory of a process, from /proc. */
export function procStats(pid: number): { fds: number; rssKiB: number } {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { fds, rssKiB: rss ? Number(rss[1]) : NaN };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (0 if it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** The value of one sample in a Prometheus text exposition (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export const taskKeyOf = (t: { metadata: { namespace: string; name: string } }): string => `${t.metadata.namespace}/${t.metadata.name}`;
const agentKeyOf = (t: TaskObject): string => `${t.spec.agentRef?.namespace ?? t.metadata.namespace}/${t.spec.agentRef?.name ?? 'default'}`;

/**
 * One watch that resumes where it stopped: after a clean end or an error from the last
 * resourceVersion seen (bookmarks included), after 410 Gone from the current state (the API
 * server then sends every object as ADDED). Events are delivered in the API server's order.
 */
export class ResumingWatch {
  private rv: string | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private readonly done: Promise<void>;
  /** Watches that ended with 410 Gone. */
  public gone = 0;

  constructor(kc: KubeConfig, path: string, params: Record<string, string>, onEvent: (type: string, obj: never) => void) {
    const watch = new Watch(kc);
    this.done = (async () => {
      while (!this.stopped) {
        const ended = await new Promise<unknown>((resolve) => {
          watch.watch(path, { ...params, allowWatchBookmarks: true, ...(this.rv ? { resourceVersion: this.rv } : {}) }, (type, obj) => {
            if (type === 'ERROR') {
              if (httpStatusOf(obj) === 410) {
                this.gone++;
                this.rv = undefined;
              }
              return;
            }
            this.rv = (obj as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? this.rv;
            if (type !== 'BOOKMARK') onEvent(type, obj as never);
          }, resolve).then((c) => {
            this.abort = c;
            if (this.stopped) c.abort();
          }, resolve);
        });
        if (!this.stopped && ended) await sleep(200);
      }
    })();
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.done;
  }
}

/** The history of Tasks and Pods in some namespaces, with the limits checked as it happens. */
export class ClusterRecord {
  /** Current phase of every Task. */
  public readonly phases = new Map<string, string | undefined>();
  /** Every phase a Task was seen in, in order (repeats collapsed). */
  public readonly history = new Map<string, string[]>();
  /** Pod UIDs seen per Task (from the Pod's task annotations). */
  public readonly podUids = new Map<string, Set<string>>();
  /** Highest number of Running Tasks per Agent at any point in the event order. */
  public readonly maxRunning = new Map<string, number>();
  /** Highest number of live (not ended, not deleted) Pods per Agent. */
  public readonly maxLivePods = new Map<string, number>();
  /** Task keys in the order they first became Running. */
  public readonly admitted: string[] = [];

  private readonly running = new Map<string, Set<string>>();
  private readonly livePods = new Map<string, Set<string>>();
  private readonly watches: ResumingWatch[];

  constructor(kc: KubeConfig, private readonly namespaces: readonly string[]) {
    this.watches = [
      new ResumingWatch(kc, '/apis/kubeopencode.io/v1alpha1/tasks', {}, (type, t: TaskObject) => this.onTask(type, t)),
      new ResumingWatch(kc, '/api/v1/pods', { labelSelector: 'app.kubernetes.io/managed-by=kubeopencode' }, (type, p: V1Pod) => this.onPod(type, p)),
    ];
  }

  /** Watches that had to start again from the current state (410 Gone). */
  public get relists(): number {
    return this.watches.reduce((n, w) => n + w.gone, 0);
  }

  private onTask(type: string, t: TaskObject): void {
    if (!this.namespaces.includes(t.metadata.namespace)) return;
    const key = taskKeyOf(t);
    const agent = agentKeyOf(t);
    const phase = type === 'DELETED' ? undefined : t.status?.phase;
    this.phases.set(key, phase);
    const seen = this.history.get(key) ?? [];
    if (phase && seen[seen.length - 1] !== phase) seen.push(phase);
    this.history.set(key, seen);
    const running = this.running.get(agent) ?? new Set<string>();
    this.running.set(agent, running);
    if (phase === 'Running') {
      if (!this.admitted.includes(key)) this.admitted.push(key);
      running.add(key);
    } else {
      running.delete(key);
    }
    this.maxRunning.set(agent, Math.max(this.maxRunning.get(agent) ?? 0, running.size));
  }

  private onPod(type: string, p: V1Pod): void {
    const ns = p.metadata?.annotations?.['kubeopencode.io/task-namespace'];
    const name = p.metadata?.annotations?.['kubeopencode.io/task'];
    if (!ns || !name || !this.namespaces.includes(ns)) return;
    const key = `${ns}/${name}`;
    const uids = this.podUids.get(key) ?? new Set<string>();
    uids.add(p.metadata!.uid!);
    this.podUids.set(key, uids);
    // The Agent is in the Pod's namespace; its name is in a label (cut to 63 characters, as ours are not).
    const agent = `${p.metadata!.namespace}/${p.metadata?.labels?.['kubeopencode.io/agent']}`;
    const live = this.livePods.get(agent) ?? new Set<string>();
    this.livePods.set(agent, live);
    const ended = type === 'DELETED' || !!p.metadata?.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    if (ended) live.delete(p.metadata!.uid!);
    else live.add(p.metadata!.uid!);
    this.maxLivePods.set(agent, Math.max(this.maxLivePods.get(agent) ?? 0, live.size));
  }

  /** Tasks with more than one Pod, with their Pod UIDs. */
  public duplicatePods(): Record<string, string[]> {
    return Object.fromEntries([...this.podUids].filter(([, uids]) => uids.size > 1).map(([k, uids]) => [k, [...uids]]));
  }

  public async stop(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.stop()));
  }
}

/** A ControllerProcess's log lines that are errors, without the ones a test expects. */
export function errorLines(p: ControllerProcess, expected: RegExp[] = []): string[] {
  return p.lines
    .filter((l) => l.level === 'error' && !expected.some((re) => re.test(String(l.message))))
    .map((l) => JSON.stringify(l));
}
