/**
 * 4. Queue: N Tasks on an Agent with maxConcurrentTasks L; the simulated node completes
 * each Pod as soon as it appears. From the watcher's Task events, in the order the API
 * server sent them:
 * - FIFO violations, as in test/reconciler/fifo.integ.test.ts: when a Task becomes Running,
 *   every Task created (ADDED) before it and ahead of it in (creationTimestamp, namespace,
 *   name) order must have become Running already;
 * - the most Tasks Running at once, over every event;
 * - slot freed -> next Pod: the k-th Task to complete frees the slot that the (L+k)-th Pod
 *   fills, so the latency is the (L+k)-th Pod's ADDED time minus the k-th Completed event's.
 *
 * Baseline of the latency: the API server's own create -> watch latency (latency scenario).
 */
import { SimulatedNode } from '../../harness/node/simulated-node.js';
import { fifoCompare } from '../../src/reconciler/admission.js';
import { TaskObject } from '../../src/reconciler/objects.js';
import { BenchContext, cleanUp, startReconciler, stopReconciler, until } from '../lib/context.js';
import { account, CpuMeter } from '../lib/cpu.js';
import { createAgent, createTask, taskName, withConcurrency } from '../lib/load.js';
import { Recorder, Seen } from '../lib/recorder.js';
import { Figure } from '../lib/report.js';
import { Distribution, distribution, ms, ratio } from '../lib/stats.js';

const TERMINATION_MESSAGE = '{"parameters":{},"truncated":[],"missing":[]}';

/** Follows the Task events: FIFO order, Running count, completion times. */
export class QueueObserver {
  public readonly created: TaskObject[] = [];
  public readonly overtakes: string[] = [];
  public readonly completedAt: number[] = [];
  public maxRunning = 0;
  private readonly admitted = new Set<string>();
  private readonly completed = new Set<string>();
  private readonly phase = new Map<string, string | undefined>();
  private running = 0;

  public onTask({ type, at, obj: t }: Seen<TaskObject>): void {
    const key = `${t.metadata.namespace}/${t.metadata.name}`;
    const before = this.phase.get(key);
    const phase = type === 'DELETED' ? undefined : t.status?.phase;
    this.phase.set(key, phase);
    if (type === 'ADDED') this.created.push(t);
    this.running += Number(phase === 'Running') - Number(before === 'Running');
    this.maxRunning = Math.max(this.maxRunning, this.running);
    if (phase === 'Running' && !this.admitted.has(key)) {
      for (const older of this.created) {
        if (older.metadata.uid === t.metadata.uid) break;
        const olderKey = `${older.metadata.namespace}/${older.metadata.name}`;
        if (fifoCompare(older, t) < 0 && !this.admitted.has(olderKey)) this.overtakes.push(`${key} overtook ${olderKey}`);
      }
      this.admitted.add(key);
    }
    if (phase === 'Completed' && !this.completed.has(key)) {
      this.completed.add(key);
      this.completedAt.push(at);
    }
  }
}

export async function queue(ctx: BenchContext, apiBaseline: Distribution): Promise<Figure[]> {
  const { cluster, sizes, concurrency, log } = ctx;
  const [count, limit] = [sizes.queueTasks, sizes.queueLimit];
  const ns = await cluster.namespace('queue');
  await createAgent(cluster.custom, ns, { maxConcurrentTasks: limit });
  const node = new SimulatedNode({ kc: cluster.kc, namespace: ns, outcome: () => ({ phase: 'Succeeded', terminationMessage: TERMINATION_MESSAGE }) });
  await node.start();
  const reconciler = await startReconciler(ctx, [ns]);
  const recorder = await Recorder.start(cluster.kc, [ns]);
  const observer = new QueueObserver();
  recorder.onTask = (e) => observer.onTask(e);
  let wallMs: number;
  try {
    const meter = await CpuMeter.start(cluster, reconciler);
    const { startedAt } = await withConcurrency(count, concurrency, (i) => createTask(cluster.custom, ns, taskName(i)));
    await until(() => observer.completedAt.length >= count, `${count} Tasks to complete`, 900_000);
    wallMs = Math.max(...observer.completedAt) - startedAt;
    account(ctx, 'Queue (simulated node included)', await meter.used(), count, 'Task');
  } finally {
    recorder.stop();
    await node.stop();
    await stopReconciler(ctx, 'queue', reconciler);
    await cleanUp(ctx, [ns]);
  }
  if (node.errors.length) log(`queue: the simulated node hit ${node.errors.length} errors, e.g. ${String(node.errors[0])}`);

  const podTimes = recorder.pods.map((e) => e.at).sort((a, b) => a - b);
  const freed = [...observer.completedAt].sort((a, b) => a - b);
  const gaps = freed.slice(0, count - limit).map((at, k) => podTimes[limit + k] - at);
  const d = distribution(gaps);
  log(`queue: ${count} Tasks in ${(wallMs / 1000).toFixed(1)} s; overtakes ${observer.overtakes.length}, max Running ${observer.maxRunning}; `
    + `slot freed -> next Pod p50 ${ms(d.p50)}, p99 ${ms(d.p99)}, max ${ms(d.max)}`);
  for (const o of observer.overtakes.slice(0, 5)) log(`  FIFO violation: ${o}`);
  const scenario = 'Queue';
  return [
    { scenario, figure: `${count} Tasks, maxConcurrentTasks ${limit}: wall time`, measured: `${(wallMs / 1000).toFixed(1)} s`, target: '-' },
    { scenario, figure: 'FIFO violations', measured: String(observer.overtakes.length), target: '0', met: observer.overtakes.length === 0 },
    { scenario, figure: 'max Running at once', measured: String(observer.maxRunning), target: `<= ${limit}`, met: observer.maxRunning <= limit },
    { scenario, figure: 'slot freed -> next Pod, p50', measured: ms(d.p50), baseline: ms(apiBaseline.p50), ratio: ratio(d.p50, apiBaseline.p50), target: '< 100 ms', met: d.p50 < 100 },
    { scenario, figure: 'slot freed -> next Pod, p99', measured: ms(d.p99), baseline: ms(apiBaseline.p99), ratio: ratio(d.p99, apiBaseline.p99), target: '< 300 ms', met: d.p99 < 300 },
  ];
}
