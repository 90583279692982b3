/** What every scenario gets: the cluster, the sizes of this run, and a way to start the reconciler. */
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchCluster } from './cluster.js';
import { createAgent } from './load.js';
import { Reconciler } from './reconciler.js';
import { Recorder } from './recorder.js';

export interface Sizes {
  /** Synthesis: Tasks per app, timed runs (after one warm-up). */
  readonly synthTasks: number;
  readonly synthRuns: number;
  /** Latency: Tasks per second, seconds. */
  readonly rate: number;
  readonly seconds: number;
  /** Throughput: Tasks (and bare Pods). */
  readonly throughputTasks: number;
  /** Queue: Tasks, maxConcurrentTasks. */
  readonly queueTasks: number;
  readonly queueLimit: number;
  /** Memory: Tasks in the cache, seconds of idle CPU measurement. */
  readonly memoryTasks: number;
  readonly idleSeconds: number;
  /** Web UI: Tasks on the page. */
  readonly uiTasks: number;
  /** Start-up: finished Tasks in the namespace when the controller starts. */
  readonly startupTasks: number;
  /** Scale (`--only scale`): finished Tasks in the namespace when the controller starts. */
  readonly scaleTasks: number;
  /** Wait for a scenario's namespaces to be gone before the next one starts (see BenchCluster.cleanUp). */
  readonly waitForCleanUp: boolean;
}

export const FULL: Sizes = {
  synthTasks: 1000,
  synthRuns: 5,
  rate: 50,
  seconds: 20,
  throughputTasks: 1000,
  queueTasks: 500,
  queueLimit: 10,
  memoryTasks: 10_000,
  idleSeconds: 30,
  uiTasks: 5000,
  startupTasks: 10_000,
  scaleTasks: 100_000,
  waitForCleanUp: true,
};

/** --quick: the same scenarios, small enough to check in about a minute that the bench still works. */
export const QUICK: Sizes = {
  synthTasks: 1000,
  synthRuns: 1,
  rate: 50,
  seconds: 1,
  throughputTasks: 50,
  queueTasks: 20,
  queueLimit: 10,
  memoryTasks: 200,
  idleSeconds: 2,
  uiTasks: 200,
  startupTasks: 200,
  scaleTasks: 1000,
  waitForCleanUp: false,
};

export interface BenchContext {
  readonly cluster: BenchCluster;
  readonly sizes: Sizes;
  /** --workers of the controller. */
  readonly workers: number;
  /** Requests the bench keeps in flight when it creates objects as fast as it can. */
  readonly concurrency: number;
  /** When set, the controller runs with --cpu-prof and its profiles land here. */
  readonly profileDir?: string;
  /** --controller: another build of the CLI (e.g. one with a fix, to compare). */
  readonly cli?: string;
  /** --node-options: the controller's Node flags (default: the chart's `controller.nodeOptions`). */
  readonly nodeOptions: string;
  readonly profiles: { scenario: string; path: string }[];
  /** Lines for the doc beside the table: where CPU and API requests went, per scenario. */
  readonly notes: string[];
  readonly log: (line: string) => void;
}

/** Starts the controller for `namespaces`; returns as soon as it logged "caches synced". */
export async function spawnReconciler(ctx: BenchContext, namespaces: readonly string[], syncTimeoutMs?: number): Promise<Reconciler> {
  return Reconciler.start({
    kubeconfigPath: ctx.cluster.kubeconfigPath,
    namespaces,
    workers: ctx.workers,
    cpuProfileDir: ctx.profileDir,
    cli: ctx.cli,
    nodeOptions: ctx.nodeOptions,
    syncTimeoutMs,
  });
}

/** Starts the controller for `namespaces` and lets it finish its start-up writes (the Agent's status). */
export async function startReconciler(ctx: BenchContext, namespaces: readonly string[]): Promise<Reconciler> {
  const reconciler = await spawnReconciler(ctx, namespaces);
  // Best effort: with a big cache the start-up work takes longer, and the scenario waits for it itself.
  await reconciler.settle(500, 10, 30_000).catch(() => undefined);
  return reconciler;
}

/** Stops the controller and keeps its CPU profile, if any, under the scenario's name. */
export async function stopReconciler(ctx: BenchContext, scenario: string, reconciler: Reconciler): Promise<void> {
  const profile = await reconciler.stop();
  if (profile) ctx.profiles.push({ scenario, path: profile });
  if (reconciler.errors || reconciler.warnings) {
    ctx.log(`${scenario}: the controller logged ${reconciler.errors} errors and ${reconciler.warnings} warnings, first:\n  ${reconciler.problems.join('\n  ')}`);
  }
}

/** Deletes a scenario's namespaces (and waits for them to be gone, in a full run). */
export async function cleanUp(ctx: BenchContext, namespaces: readonly string[]): Promise<void> {
  await ctx.cluster.cleanUp(namespaces, ctx.sizes.waitForCleanUp);
}

/** Polls `done` until true; throws with `what` after `timeoutMs`. */
export async function until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(10);
  }
}

/** What a run of Tasks has to work with. */
export interface TaskRun {
  readonly ns: string;
  readonly reconciler: Reconciler;
  readonly recorder: Recorder;
}

/**
 * A run of Tasks on a fresh namespace: an Agent without a limit, the controller and a recorder
 * on it; `body` runs the load, then everything is stopped and the namespace cleaned up.
 */
export async function withTaskRun<T>(ctx: BenchContext, scenario: string, body: (run: TaskRun) => Promise<T>): Promise<T> {
  const ns = await ctx.cluster.namespace(scenario.replace(/-.*$/, ''));
  await createAgent(ctx.cluster.custom, ns);
  const reconciler = await startReconciler(ctx, [ns]);
  const recorder = await Recorder.start(ctx.cluster.kc, [ns]);
  try {
    return await body({ ns, reconciler, recorder });
  } finally {
    recorder.stop();
    await stopReconciler(ctx, scenario, reconciler);
    await cleanUp(ctx, [ns]);
  }
}
