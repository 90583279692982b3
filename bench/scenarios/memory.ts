/**
 * 5. Memory: the controller's RSS with N finished Tasks in its cache, and its CPU while idle.
 * The Tasks are created and set Completed through the status subresource while no
 * controller runs (so no Pods exist), then a controller starts, lists them, works through
 * them and goes idle. Baseline: the same controller with an empty cache.
 */
import { BenchContext, cleanUp, startReconciler, stopReconciler } from '../lib/context.js';
import { AGENT, createAgent, createCompletedTasks } from '../lib/load.js';
import { Figure } from '../lib/report.js';

export async function memory(ctx: BenchContext): Promise<Figure[]> {
  const count = ctx.sizes.memoryTasks;
  const ns = await ctx.cluster.namespace('memory');
  try {
    return await measureMemory(ctx, ns, count);
  } finally {
    // Deleted, not left to the control plane's end: later scenarios (the Web UI lists every
    // namespace) would otherwise find 10,000 more Tasks.
    await cleanUp(ctx, [ns]);
  }
}

async function measureMemory(ctx: BenchContext, ns: string, count: number): Promise<Figure[]> {
  const { cluster, sizes, concurrency, log } = ctx;
  await createAgent(cluster.custom, ns);

  const empty = await startReconciler(ctx, [ns]);
  const base = await empty.idleUsage(sizes.idleSeconds);
  await stopReconciler(ctx, 'memory-empty', empty);
  log(`memory baseline (empty cache): RSS ${base.rss.toFixed(0)} MiB, idle CPU ${base.cpuPercent.toFixed(2)}%`);

  // More requests in flight than elsewhere: this is set-up, not a measurement.
  const started = Date.now();
  await createCompletedTasks(cluster.custom, ns, count, concurrency * 2);
  log(`memory: ${count} Completed Tasks on Agent ${AGENT} created in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const full = await startReconciler(ctx, [ns]);
  const m = await full.idleUsage(sizes.idleSeconds);
  await stopReconciler(ctx, 'memory', full);
  log(`memory: RSS ${m.rss.toFixed(0)} MiB (max ${m.maxRss.toFixed(0)} MiB over ${sizes.idleSeconds} s idle), idle CPU ${m.cpuPercent.toFixed(2)}%`);
  const scenario = 'Memory';
  return [
    { scenario, figure: 'RSS with an empty cache', measured: `${base.maxRss.toFixed(0)} MiB`, target: '<= 70 MiB', met: base.maxRss <= 70 },
    { scenario, figure: `RSS with ${count} Tasks cached`, measured: `${m.maxRss.toFixed(0)} MiB`, baseline: `${base.maxRss.toFixed(0)} MiB`, ratio: `${(m.maxRss / base.maxRss).toFixed(2)}x`, target: '<= 100 MiB', met: m.maxRss <= 100 },
    { scenario, figure: `idle CPU over ${sizes.idleSeconds} s`, measured: `${m.cpuPercent.toFixed(2)}% of a core`, baseline: `${base.cpuPercent.toFixed(2)}%`, target: '-' },
  ];
}
