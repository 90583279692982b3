/**
 * 3. Throughput: N Tasks -> N Pods, against a bare client creating the same N Pods.
 *
 * Baseline: the bench creates the N Pods (rendered by the reconciler's own code) keeping
 * `concurrency` requests in flight; the clock runs from the first create sent to the N-th
 * Pod seen by the bench's watcher.
 * End to end (the target): the bench creates N Tasks the same way, with the controller
 * running; the clock runs from the first Task create sent to the N-th Pod seen.
 * Backlog (for information): N Tasks exist before the controller starts; the clock runs
 * from its "caches synced" log line to the N-th Pod seen: the reconciler alone, without
 * sharing the API server with the Task creates.
 * Ratios: reconciler Pods/s over bare Pods/s. CPU per Pod, by process, says where it went.
 */
import { BenchContext, cleanUp, stopReconciler, until, withTaskRun } from '../lib/context.js';
import { account, CpuMeter, Usage } from '../lib/cpu.js';
import { barePod, createAgent, createPod, createTask, taskName, withConcurrency } from '../lib/load.js';
import { Reconciler } from '../lib/reconciler.js';
import { Recorder } from '../lib/recorder.js';
import { Figure } from '../lib/report.js';

const lastAt = (times: Iterable<number>) => Math.max(...times);

interface Run extends Usage {
  readonly ms: number;
}

async function baseline(ctx: BenchContext, count: number): Promise<Run> {
  const { cluster, concurrency } = ctx;
  const ns = await cluster.namespace('throughput-base');
  const pods = Array.from({ length: count }, (_, i) => barePod(ns, taskName(i)));
  const recorder = await Recorder.start(cluster.kc, [ns]);
  try {
    const meter = await CpuMeter.start(cluster);
    const { startedAt } = await withConcurrency(count, concurrency, (i) => createPod(cluster.core, pods[i]));
    await until(() => recorder.pods.length >= count, `${count} bare Pods to be seen`, 120_000);
    return { ms: lastAt(recorder.pods.map((e) => e.at)) - startedAt, ...await meter.used() };
  } finally {
    recorder.stop();
    await cleanUp(ctx, [ns]);
  }
}

async function endToEnd(ctx: BenchContext, count: number): Promise<Run> {
  const { cluster, concurrency } = ctx;
  return withTaskRun(ctx, 'throughput', async ({ ns, reconciler, recorder }) => {
    const meter = await CpuMeter.start(cluster, reconciler);
    const { startedAt } = await withConcurrency(count, concurrency, (i) => createTask(cluster.custom, ns, taskName(i)));
    await until(() => recorder.podAddedByTask().size >= count, `Pods of ${count} Tasks`, 600_000);
    return { ms: lastAt(recorder.podAddedByTask().values()) - startedAt, ...await meter.used() };
  });
}

async function backlog(ctx: BenchContext, count: number): Promise<Run> {
  const { cluster, concurrency } = ctx;
  const ns = await cluster.namespace('backlog');
  await createAgent(cluster.custom, ns);
  await withConcurrency(count, concurrency, (i) => createTask(cluster.custom, ns, taskName(i)));
  const recorder = await Recorder.start(cluster.kc, [ns]);
  let reconciler: Reconciler | undefined;
  try {
    reconciler = await Reconciler.start({
      kubeconfigPath: cluster.kubeconfigPath, namespaces: [ns], workers: ctx.workers, cpuProfileDir: ctx.profileDir, cli: ctx.cli,
    });
    const meter = await CpuMeter.start(cluster, reconciler);
    await until(() => recorder.podAddedByTask().size >= count, `Pods of ${count} Tasks`, 600_000);
    return { ms: lastAt(recorder.podAddedByTask().values()) - reconciler.syncedAt!, ...await meter.used() };
  } finally {
    recorder.stop();
    if (reconciler) await stopReconciler(ctx, 'throughput-backlog', reconciler);
    await cleanUp(ctx, [ns]);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cpuOf = (run: Run, who: string, count: number) => `${((run.cpu[who] ?? NaN) / count).toFixed(1)} ms`;

export async function throughput(ctx: BenchContext): Promise<Figure[]> {
  const { sizes, concurrency, log } = ctx;
  const count = sizes.throughputTasks;
  const rate = (run: Run) => count / (run.ms / 1000);
  const base = await baseline(ctx, count);
  log(`throughput baseline: ${count} bare Pods in ${seconds(base.ms)} (${rate(base).toFixed(0)}/s)`);
  account(ctx, 'Throughput, bare Pods', base, count, 'Pod');
  const e2e = await endToEnd(ctx, count);
  log(`throughput end to end: ${count} Tasks -> Pods in ${seconds(e2e.ms)} (${rate(e2e).toFixed(0)}/s)`);
  account(ctx, 'Throughput, end to end', e2e, count, 'Task');
  const drain = await backlog(ctx, count);
  log(`throughput backlog: ${count} waiting Tasks -> Pods in ${seconds(drain.ms)} (${rate(drain).toFixed(0)}/s)`);
  account(ctx, 'Throughput, backlog', drain, count, 'Task');

  const scenario = 'Throughput';
  const r = rate(e2e) / rate(base);
  const rb = rate(drain) / rate(base);
  const apiserverRatio = (e2e.cpu['kube-apiserver'] ?? NaN) / (base.cpu['kube-apiserver'] ?? NaN);
  const reconcilerMs = (e2e.cpu.reconciler ?? NaN) / count;
  return [
    { scenario, figure: `${count} Tasks -> ${count} Pods, end to end (${concurrency} in flight)`, measured: `${seconds(e2e.ms)}, ${rate(e2e).toFixed(0)}/s`, baseline: `${seconds(base.ms)}, ${rate(base).toFixed(0)}/s`, ratio: `${r.toFixed(2)}x`, target: '>= 0.8x', met: r >= 0.8 },
    { scenario, figure: `${count} waiting Tasks -> Pods (backlog)`, measured: `${seconds(drain.ms)}, ${rate(drain).toFixed(0)}/s`, baseline: `${seconds(base.ms)}, ${rate(base).toFixed(0)}/s`, ratio: `${rb.toFixed(2)}x`, target: '-' },
    { scenario, figure: 'kube-apiserver CPU per Pod, end to end', measured: cpuOf(e2e, 'kube-apiserver', count), baseline: cpuOf(base, 'kube-apiserver', count), ratio: `${apiserverRatio.toFixed(2)}x`, target: '<= 2.5x', met: apiserverRatio <= 2.5 },
    { scenario, figure: 'reconciler CPU per Pod, end to end', measured: cpuOf(e2e, 'reconciler', count), target: '<= 6 ms', met: reconcilerMs <= 6 },
  ];
}
