/**
 * 8. Scale (`--only scale`, not in a plain run: creating 100,000 Tasks takes many minutes):
 * the controller starting on N existing Tasks, and what caching them costs.
 *
 * The Tasks are created and set Completed through the status subresource while no controller
 * runs, as in the memory scenario: a Task whose Agent is missing is not free (the controller
 * writes its status, AgentNotFound, and an Event: 2N writes at start-up), a finished one is
 * only cached. Then the controller starts:
 * - Sync: from spawning the process to its "caches synced" log line. Baseline: the same with
 *   an empty cache. Of it, first log line -> "caches synced" (connecting, listing, caching)
 *   against one LIST of all N Tasks from the API server (one request, parsed by the
 *   controller's own list code); for information, that LIST 500 per request, as the
 *   controller's informer pages it.
 * If the controller dies on the way (e.g. at its heap ceiling), that is the figure.
 * - RSS once idle (after it worked through the N keys), the most over an idle window, and RSS
 *   per cached Task: (RSS - RSS with an empty cache) / N, the empty cache measured the same way
 *   in the same run, before the Tasks exist.
 */
import { BenchContext, spawnReconciler, stopReconciler } from '../lib/context.js';
import { AGENT, createAgent, createCompletedTasks } from '../lib/load.js';
import { ControllerExitedError, IdleUsage } from '../lib/reconciler.js';
import { Figure } from '../lib/report.js';
import { ms, now, ratio } from '../lib/stats.js';

/** The page size of the controller's informers (src/reconciler/runtime/informer.ts). */
const INFORMER_PAGE_SIZE = 500;
/** Listing 100,000 Tasks 500 at a time takes far longer than the usual two minutes. */
const SYNC_TIMEOUT_MS = 30 * 60_000;
const SETTLE_TIMEOUT_MS = 30 * 60_000;

interface ControllerRun extends IdleUsage {
  /** Spawn -> "caches synced", spawn -> first log line. */
  readonly syncMs: number;
  readonly firstLineMs: number;
  /** "caches synced" -> idle, as settle() sees it (1 s windows). */
  readonly settledMs: number;
}

/** Starts the controller on `ns`, lets it work through what it listed, measures it idle, stops it. */
async function runController(ctx: BenchContext, ns: string, name: string): Promise<ControllerRun> {
  const reconciler = await spawnReconciler(ctx, [ns], SYNC_TIMEOUT_MS);
  try {
    const syncMs = reconciler.syncedAt! - reconciler.spawnedAt;
    await reconciler.settle(undefined, undefined, SETTLE_TIMEOUT_MS);
    const settledMs = now() - reconciler.syncedAt!;
    const firstLineMs = reconciler.firstLineAt! - reconciler.spawnedAt;
    return { ...await reconciler.idleUsage(ctx.sizes.idleSeconds), syncMs, firstLineMs, settledMs };
  } finally {
    await stopReconciler(ctx, name, reconciler);
  }
}

const mib = (bytes: number | undefined) => bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Creates the N Tasks with a progress line every 10,000 (or every tenth in a small run). */
async function createTasks(ctx: BenchContext, ns: string, count: number): Promise<void> {
  const { cluster, concurrency, log } = ctx;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const every = Math.max(1, Math.min(10_000, Math.round(count / 10)));
  // More requests in flight than elsewhere: this is set-up, not a measurement.
  await createCompletedTasks(cluster.custom, ns, count, concurrency * 2, (done) => log(`scale: ${done} of ${count} Tasks created (${elapsed()})`), every);
  log(`scale: ${count} Completed Tasks on Agent ${AGENT} created in ${elapsed()}; etcd holds ${mib(await cluster.storageBytes())}`);
}

/** The controller did not survive N Tasks (e.g. its heap ceiling): the one figure there is. */
function exited(count: number, e: ControllerExitedError): Figure[] {
  return [{ scenario: 'Scale', figure: `${count} Tasks: start -> caches synced`, measured: `controller exited: ${e.reason.slice(0, 120)}`, target: 'runs', met: false }];
}

export async function scale(ctx: BenchContext): Promise<Figure[]> {
  const { cluster, sizes, log } = ctx;
  const count = sizes.scaleTasks;
  const ns = await cluster.namespace('scale');
  await createAgent(cluster.custom, ns);

  const empty = await runController(ctx, ns, 'scale-empty');
  log(`scale baseline (empty cache): caches synced ${ms(empty.syncMs)}, RSS ${empty.maxRss.toFixed(0)} MiB`);

  await createTasks(ctx, ns, count);
  const oneList = await cluster.timeTaskList(ns, count, 0);
  const pagedList = await cluster.timeTaskList(ns, count, INFORMER_PAGE_SIZE);
  log(`scale: LIST of ${count} Tasks ${ms(oneList)} in one request, ${ms(pagedList)} ${INFORMER_PAGE_SIZE} per request`);

  // The namespace goes with the control plane: deleting N Tasks would only cost time.
  let full: ControllerRun;
  try {
    full = await runController(ctx, ns, 'scale');
  } catch (e) {
    if (!(e instanceof ControllerExitedError)) throw e;
    log(`scale: the controller exited with ${count} Tasks; its last lines:\n  ${e.tail.slice(-15).join('\n  ')}`);
    return exited(count, e);
  }
  const perTaskKiB = ((full.maxRss - empty.maxRss) * 1024) / count;
  const listingMs = full.syncMs - full.firstLineMs;
  log(`scale: caches synced ${ms(full.syncMs)} (first log line ${ms(full.firstLineMs)}), idle ${ms(full.settledMs)} later; `
    + `RSS ${full.rss.toFixed(0)} MiB (max ${full.maxRss.toFixed(0)} MiB over ${sizes.idleSeconds} s idle), ${perTaskKiB.toFixed(2)} KiB per Task`);

  const scenario = 'Scale';
  return [
    { scenario, figure: `${count} Tasks: start -> caches synced`, measured: ms(full.syncMs), baseline: `${ms(empty.syncMs)} (empty)`, ratio: ratio(full.syncMs, empty.syncMs), target: '-' },
    { scenario, figure: 'of which first log line -> caches synced (LIST)', measured: ms(listingMs), baseline: `${ms(oneList)} (one LIST)`, ratio: ratio(listingMs, oneList), target: '-' },
    { scenario, figure: `LIST of ${count} Tasks, ${INFORMER_PAGE_SIZE} per request (as the informer)`, measured: ms(pagedList), baseline: `${ms(oneList)} (one LIST)`, ratio: ratio(pagedList, oneList), target: '-' },
    { scenario, figure: `RSS with ${count} Tasks cached, idle`, measured: `${full.maxRss.toFixed(0)} MiB`, baseline: `${empty.maxRss.toFixed(0)} MiB (empty)`, ratio: `${(full.maxRss / empty.maxRss).toFixed(2)}x`, target: '-' },
    { scenario, figure: 'RSS per cached Task', measured: `${perTaskKiB.toFixed(2)} KiB`, target: '-' },
  ];
}
