/**
 * 2. Latency at a fixed rate: Tasks created at `rate` per second on an Agent without a
 * limit; for each, the time from its ADDED event to its Pod's ADDED event, both as seen by
 * the bench's one watcher.
 *
 * Baseline: the API server's own latency at the same rate: the same Pods created by a bare
 * client, from sending the request to the watcher seeing the Pod. The reconciler cannot
 * beat it: between a Task appearing and its Pod appearing it needs at least one watch
 * delivery and one Pod create.
 *
 * For information, the same at a low rate: the reconciler's own latency when no backlog
 * builds up, which tells queueing (capacity) apart from the length of the path.
 */
import { BenchContext, cleanUp, until, withTaskRun } from '../lib/context.js';
import { account, CpuMeter } from '../lib/cpu.js';
import { atRate, barePod, createPod, createTask, taskName } from '../lib/load.js';
import { Recorder } from '../lib/recorder.js';
import { Figure } from '../lib/report.js';
import { Distribution, distribution, ms, ratio } from '../lib/stats.js';

export interface LatencyResult {
  readonly figures: Figure[];
  /** The API server's create -> watch latency, for other scenarios' ratios. */
  readonly apiBaseline: Distribution;
}

/** The API server's create -> watch latency for bare Pods at the scenario's rate. */
export async function apiLatencyBaseline(ctx: BenchContext, count: number): Promise<Distribution> {
  const { cluster, sizes } = ctx;
  const ns = await cluster.namespace('latency-base');
  const pods = Array.from({ length: count }, (_, i) => barePod(ns, taskName(i)));
  const recorder = await Recorder.start(cluster.kc, [ns]);
  try {
    const meter = await CpuMeter.start(cluster);
    const { sentAt, failures } = await atRate(count, sizes.rate, (i) => createPod(cluster.core, pods[i]));
    if (failures) throw new Error(`latency baseline: ${failures} Pod creates failed`);
    await until(() => recorder.pods.length >= count, `${count} bare Pods to be seen`, 60_000);
    account(ctx, `Latency, bare Pods at ${sizes.rate}/s`, await meter.used(), count, 'Pod');
    const seen = new Map(recorder.pods.map((e) => [e.obj.metadata!.name!, e.at]));
    return distribution(pods.map((p, i) => seen.get(p.metadata!.name!)! - sentAt[i]));
  } finally {
    recorder.stop();
    await cleanUp(ctx, [ns]);
  }
}

/** Tasks at `rate` per second for `seconds` on a fresh Agent without a limit: Task ADDED -> Pod ADDED. */
async function taskLatency(ctx: BenchContext, rate: number, seconds: number): Promise<Distribution> {
  const { cluster } = ctx;
  const count = Math.max(1, Math.round(rate * seconds));
  return withTaskRun(ctx, `latency-${rate}`, async ({ ns, reconciler, recorder }) => {
    const meter = await CpuMeter.start(cluster, reconciler);
    const { failures } = await atRate(count, rate, (i) => createTask(cluster.custom, ns, taskName(i)));
    if (failures) throw new Error(`latency: ${failures} Task creates failed`);
    await until(() => recorder.podAddedByTask().size >= count, `Pods of ${count} Tasks`, 300_000);
    account(ctx, `Latency, Tasks at ${rate}/s`, await meter.used(), count, 'Task');
    const pods = recorder.podAddedByTask();
    return distribution([...recorder.taskAdded()].map(([key, at]) => pods.get(key)! - at));
  });
}

/** A rate the reconciler keeps up with on any machine: its own latency, without a backlog. */
const LOW_RATE = 5;

export async function latency(ctx: BenchContext): Promise<LatencyResult> {
  const { sizes, log } = ctx;
  const base = await apiLatencyBaseline(ctx, sizes.rate * sizes.seconds);
  log(`latency baseline (bare Pod create -> watch): p50 ${ms(base.p50)}, p99 ${ms(base.p99)}`);
  const d = await taskLatency(ctx, sizes.rate, sizes.seconds);
  log(`latency at ${sizes.rate}/s: p50 ${ms(d.p50)}, p90 ${ms(d.p90)}, p99 ${ms(d.p99)}, max ${ms(d.max)} (n=${d.n})`);
  const low = await taskLatency(ctx, LOW_RATE, sizes.seconds / 2);
  log(`latency at ${LOW_RATE}/s: p50 ${ms(low.p50)}, p90 ${ms(low.p90)}, p99 ${ms(low.p99)}, max ${ms(low.max)} (n=${low.n})`);
  const figure = `Task -> Pod at ${sizes.rate}/s for ${sizes.seconds} s`;
  return {
    apiBaseline: base,
    figures: [
      { scenario: 'Latency', figure: `${figure}, p50`, measured: ms(d.p50), baseline: ms(base.p50), ratio: ratio(d.p50, base.p50), target: '< 50 ms', met: d.p50 < 50 },
      { scenario: 'Latency', figure: 'p90', measured: ms(d.p90), baseline: ms(base.p90), ratio: ratio(d.p90, base.p90), target: '-' },
      { scenario: 'Latency', figure: 'p99', measured: ms(d.p99), baseline: ms(base.p99), ratio: ratio(d.p99, base.p99), target: '< 250 ms', met: d.p99 < 250 },
      { scenario: 'Latency', figure: `at ${LOW_RATE}/s (no backlog), p50 / p99`, measured: `${ms(low.p50)} / ${ms(low.p99)}`, baseline: `${ms(base.p50)} / ${ms(base.p99)}`, ratio: ratio(low.p50, base.p50), target: '-' },
    ],
  };
}
