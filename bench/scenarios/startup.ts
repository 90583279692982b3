/**
 * 7. Start-up with N existing Tasks (SPEC.md section 6: caches synced in under 3 s with 10,000).
 *
 * N Tasks are created and set Completed through the status subresource while no controller
 * runs (so no Pods exist), on an Agent without a limit. Then the controller starts and:
 * - Sync: from spawning the process to its "caches synced" log line, in two parts: to its first
 *   log line (loading Node and the modules), then to "caches synced" (connecting, listing,
 *   caching). Baseline of the second: LISTing the same Tasks through the controller's own list
 *   code, 500 per request as its informer does (median of a few).
 * - First Task: right after "caches synced", one new Task on that Agent (it has room); from
 *   sending the create to its Pod's ADDED event seen by the bench's watcher. The controller
 *   is still working through the N Tasks it just listed, so this says whether new work waits
 *   behind them. For information, the same once the controller is idle again.
 *   Baseline: the API server's create -> watch latency of a bare Pod (median of a few).
 */
import { BenchContext, cleanUp, spawnReconciler, stopReconciler, until } from '../lib/context.js';
import { AGENT, barePod, createAgent, createCompletedTasks, createPod, createTask, taskName } from '../lib/load.js';
import { Reconciler } from '../lib/reconciler.js';
import { Recorder } from '../lib/recorder.js';
import { Figure } from '../lib/report.js';
import { median, ms, now, ratio } from '../lib/stats.js';

const POD_SAMPLES = 5;
const LIST_RUNS = 3;
/** The page size of the controller's informers (src/reconciler/runtime/informer.ts). */
const INFORMER_PAGE_SIZE = 500;

/** Bare Pods created one at a time in a namespace of their own: ms from sending each to its ADDED event. */
async function podCreateToWatch(ctx: BenchContext, samples: number): Promise<number[]> {
  const ns = await ctx.cluster.namespace('startup-base');
  const recorder = await Recorder.start(ctx.cluster.kc, [ns], { kinds: ['pods'] });
  try {
    const delays: number[] = [];
    for (let i = 0; i < samples; i++) {
      const pod = barePod(ns, taskName(i));
      const sent = now();
      await createPod(ctx.cluster.core, pod);
      await until(() => recorder.pods.some((e) => e.obj.metadata?.name === pod.metadata!.name), `bare Pod ${pod.metadata!.name} to be seen`, 30_000);
      delays.push(recorder.pods.find((e) => e.obj.metadata?.name === pod.metadata!.name)!.at - sent);
    }
    return delays;
  } finally {
    recorder.stop();
    await cleanUp(ctx, [ns]);
  }
}

/** Creates Task `name` and returns ms from sending the create to its Pod's ADDED event. */
async function taskCreateToPod(ctx: BenchContext, recorder: Recorder, ns: string, name: string): Promise<number> {
  const key = `${ns}/${name}`;
  const sent = now();
  await createTask(ctx.cluster.custom, ns, name);
  await until(() => recorder.podAddedByTask().has(key), `the Pod of Task ${key}`, 120_000);
  return recorder.podAddedByTask().get(key)! - sent;
}

interface StartupRun {
  /** Spawn -> first log line, spawn -> "caches synced". */
  readonly firstLineMs: number;
  readonly syncMs: number;
  /** Task create sent -> its Pod seen: right after "caches synced", and once the controller is idle. */
  readonly firstTaskMs: number;
  readonly idleTaskMs: number;
  /** "caches synced" -> the controller seen idle again (in 1 s windows, so up to ~1 s late). */
  readonly settledMs: number;
}

async function startWithTasks(ctx: BenchContext, ns: string, count: number): Promise<StartupRun> {
  // Pods only: the Tasks' N initial ADDED events would compete with the start-up being measured.
  const recorder = await Recorder.start(ctx.cluster.kc, [ns], { kinds: ['pods'] });
  let reconciler: Reconciler | undefined;
  try {
    reconciler = await spawnReconciler(ctx, [ns]);
    const syncedAt = reconciler.syncedAt!;
    const firstTaskMs = await taskCreateToPod(ctx, recorder, ns, taskName(count));
    await reconciler.settle();
    const settledMs = now() - syncedAt;
    const idleTaskMs = await taskCreateToPod(ctx, recorder, ns, taskName(count + 1));
    return {
      firstLineMs: reconciler.firstLineAt! - reconciler.spawnedAt,
      syncMs: syncedAt - reconciler.spawnedAt,
      firstTaskMs,
      idleTaskMs,
      settledMs,
    };
  } finally {
    recorder.stop();
    if (reconciler) await stopReconciler(ctx, 'startup', reconciler);
  }
}

export async function startup(ctx: BenchContext): Promise<Figure[]> {
  const ns = await ctx.cluster.namespace('startup');
  try {
    return await measureStartup(ctx, ns);
  } finally {
    // Deleted, not left to the control plane's end: later scenarios (the Web UI lists every
    // namespace) would otherwise find 10,000 more Tasks.
    await cleanUp(ctx, [ns]);
  }
}

async function measureStartup(ctx: BenchContext, ns: string): Promise<Figure[]> {
  const { cluster, sizes, concurrency, log } = ctx;
  const count = sizes.startupTasks;
  await createAgent(cluster.custom, ns);
  // More requests in flight than elsewhere: this is set-up, not a measurement.
  const started = Date.now();
  await createCompletedTasks(cluster.custom, ns, count, concurrency * 2, (done) => log(`startup: ${done} of ${count} Tasks created`));
  log(`startup: ${count} Completed Tasks on Agent ${AGENT} created in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const lists: number[] = [];
  for (let i = 0; i < LIST_RUNS; i++) lists.push(await cluster.timeTaskList(ns, count, INFORMER_PAGE_SIZE));
  const pods = await podCreateToWatch(ctx, POD_SAMPLES);
  log(`startup baselines: LIST of ${count} Tasks, ${INFORMER_PAGE_SIZE} per request, p50 ${ms(median(lists))}; bare Pod create -> watch p50 ${ms(median(pods))}`);

  const run = await startWithTasks(ctx, ns, count);
  log(`startup: first log line ${ms(run.firstLineMs)}, caches synced ${ms(run.syncMs)}; new Task -> Pod ${ms(run.firstTaskMs)} right after, `
    + `${ms(run.idleTaskMs)} once idle (idle again ${ms(run.settledMs)} after caches synced)`);

  const scenario = 'Start-up';
  const [listBase, podBase] = [median(lists), median(pods)];
  const listingMs = run.syncMs - run.firstLineMs;
  return [
    { scenario, figure: `${count} Tasks: start -> caches synced`, measured: ms(run.syncMs), target: '< 3 s', met: run.syncMs < 3000 },
    { scenario, figure: 'of which start -> first log line (Node, modules)', measured: ms(run.firstLineMs), target: '-' },
    { scenario, figure: 'of which first log line -> caches synced (LIST)', measured: ms(listingMs), baseline: ms(listBase), ratio: ratio(listingMs, listBase), target: '-' },
    { scenario, figure: 'new Task right after caches synced -> Pod', measured: ms(run.firstTaskMs), baseline: ms(podBase), ratio: ratio(run.firstTaskMs, podBase), target: '< 100 ms', met: run.firstTaskMs < 100 },
    { scenario, figure: 'new Task once the controller is idle -> Pod', measured: ms(run.idleTaskMs), baseline: ms(podBase), ratio: ratio(run.idleTaskMs, podBase), target: '-' },
  ];
}
