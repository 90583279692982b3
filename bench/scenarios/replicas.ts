/**
 * Sharded mode: the same end-to-end throughput run (N Tasks -> N Pods, created `concurrency`
 * at a time) with 1, 2 and 3 controller processes splitting the work with `--shards`. The
 * Tasks spread over 12 Agents, so every shard has work. On a 2-core machine the processes
 * share the cores with the API server and etcd, so more replicas need not mean more Pods/s:
 * the CPU per Task of each process says what bounds it.
 */
import { BenchContext, cleanUp, stopReconciler, until } from '../lib/context.js';
import { account, CpuMeter } from '../lib/cpu.js';
import { taskName, withConcurrency } from '../lib/load.js';
import { Reconciler } from '../lib/reconciler.js';
import { Recorder } from '../lib/recorder.js';
import { Figure } from '../lib/report.js';

const AGENTS = 12;
const G = { group: 'kubeopencode.io', version: 'v1alpha1' };

async function run(ctx: BenchContext, processCount: number, count: number): Promise<number> {
  const { cluster } = ctx;
  const ns = await cluster.namespace(`replicas-${processCount}`);
  for (let a = 0; a < AGENTS; a++) {
    await cluster.custom.createNamespacedCustomObject({ ...G, namespace: ns, plural: 'agents', body: { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Agent', metadata: { name: `agent-${a}` }, spec: {} } });
  }
  const recorder = await Recorder.start(cluster.kc, [ns]);
  const processes: Reconciler[] = [];
  try {
    const sharded = processCount > 1 ? { shards: processCount, leaseNamespace: ns, leaseId: `bench-${processCount}` } : undefined;
    const options = {
      kubeconfigPath: cluster.kubeconfigPath, namespaces: [ns], workers: ctx.workers, cli: ctx.cli, nodeOptions: ctx.nodeOptions, sharded,
    };
    for (let r = 0; r < processCount; r++) processes.push(await Reconciler.start(options));
    // Let the shards spread before the clock starts (a lease renewal or two).
    if (sharded) await new Promise((resolve) => setTimeout(resolve, 5000));
    const meter = await CpuMeter.start(cluster, ...processes);
    const { startedAt } = await withConcurrency(count, ctx.concurrency, (i) => cluster.custom.createNamespacedCustomObject({
      ...G,
      namespace: ns,
      plural: 'tasks',
      body: { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name: taskName(i) }, spec: { description: `Benchmark task ${i}`, agentRef: { name: `agent-${i % AGENTS}` } } },
    }));
    await until(() => recorder.podAddedByTask().size >= count, `Pods of ${count} Tasks`, 600_000);
    const ms = Math.max(...recorder.podAddedByTask().values()) - startedAt;
    account(ctx, `Replicas ${processCount}`, await meter.used(), count, 'Task');
    return count / (ms / 1000);
  } finally {
    recorder.stop();
    for (const p of processes) await stopReconciler(ctx, `replicas-${processCount}`, p);
    await cleanUp(ctx, [ns]);
  }
}

export async function replicas(ctx: BenchContext): Promise<Figure[]> {
  const count = ctx.sizes.throughputTasks;
  const rates: number[] = [];
  for (const n of [1, 2, 3]) {
    rates.push(await run(ctx, n, count));
    ctx.log(`replicas ${n}: ${count} Tasks -> Pods at ${rates[n - 1].toFixed(0)}/s`);
  }
  return rates.map((rate, i) => ({
    scenario: 'Replicas',
    figure: `${i + 1} replica${i ? 's' : ''} (--shards ${i + 1}), ${count} Tasks on ${AGENTS} Agents`,
    measured: `${rate.toFixed(0)}/s`,
    baseline: `${rates[0].toFixed(0)}/s`,
    ratio: `${(rate / rates[0]).toFixed(2)}x`,
    target: '-',
  }));
}
