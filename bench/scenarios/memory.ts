/**
 * 5. Memory: the controller's RSS with N finished Tasks in its cache, and its CPU while idle.
 * The Tasks are created and set Completed through the status subresource while no
 * controller runs (so no Pods exist), then a controller starts, lists them, works through
 * them and goes idle. Baseline: the same controller with an empty cache.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { kubeTime } from '../../src/reconciler/runtime/time.js';
import { BenchContext, startReconciler, stopReconciler } from '../lib/context.js';
import { AGENT, createAgent, createTask, taskName, withConcurrency } from '../lib/load.js';
import { Reconciler } from '../lib/reconciler.js';
import { Figure } from '../lib/report.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** RSS after the work is done, and the most it reached plus the CPU used over an idle window. */
async function measure(reconciler: Reconciler, idleSeconds: number): Promise<{ rss: number; maxRss: number; cpuPercent: number }> {
  await reconciler.settle();
  const rss = reconciler.rssMiB();
  let maxRss = rss;
  const cpuBefore = reconciler.cpuMs();
  const started = Date.now();
  while (Date.now() - started < idleSeconds * 1000) {
    await sleep(500);
    maxRss = Math.max(maxRss, reconciler.rssMiB());
  }
  const cpuPercent = ((reconciler.cpuMs() - cpuBefore) / (Date.now() - started)) * 100;
  return { rss, maxRss, cpuPercent };
}

/** What the reconciler writes when a Task's Pod succeeded, so the cached objects are of realistic size. */
function completedStatus(ns: string, name: string): object {
  const t = kubeTime(new Date());
  const message = `Pod ${ns}/${name} succeeded`;
  return {
    phase: 'Completed',
    observedGeneration: 1,
    podName: `${name}-0a1b2c3d`,
    podNamespace: ns,
    startTime: t,
    completionTime: t,
    conditions: [{ type: 'Ready', status: 'False', reason: 'Succeeded', message, lastTransitionTime: t, observedGeneration: 1 }],
  };
}

export async function memory(ctx: BenchContext): Promise<Figure[]> {
  const { cluster, sizes, concurrency, log } = ctx;
  const count = sizes.memoryTasks;
  const ns = await cluster.namespace('memory');
  await createAgent(cluster.custom, ns);

  const empty = await startReconciler(ctx, [ns]);
  const base = await measure(empty, sizes.idleSeconds);
  await stopReconciler(ctx, 'memory-empty', empty);
  log(`memory baseline (empty cache): RSS ${base.rss.toFixed(0)} MiB, idle CPU ${base.cpuPercent.toFixed(2)}%`);

  // More requests in flight than elsewhere: this is set-up, not a measurement.
  const started = Date.now();
  await withConcurrency(count, concurrency * 2, (i) => createTask(cluster.custom, ns, taskName(i)));
  await withConcurrency(count, concurrency * 2, (i) => cluster.custom.patchNamespacedCustomObjectStatus({
    group: 'kubeopencode.io', version: 'v1alpha1', namespace: ns, plural: 'tasks', name: taskName(i), body: { status: completedStatus(ns, taskName(i)) },
  }, mergePatch));
  log(`memory: ${count} Completed Tasks on Agent ${AGENT} created in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const full = await startReconciler(ctx, [ns]);
  const m = await measure(full, sizes.idleSeconds);
  await stopReconciler(ctx, 'memory', full);
  // The namespace goes with the control plane: deleting N Tasks would only cost time.
  log(`memory: RSS ${m.rss.toFixed(0)} MiB (max ${m.maxRss.toFixed(0)} MiB over ${sizes.idleSeconds} s idle), idle CPU ${m.cpuPercent.toFixed(2)}%`);
  const scenario = 'Memory';
  return [
    { scenario, figure: `RSS with ${count} Tasks cached`, measured: `${m.maxRss.toFixed(0)} MiB`, baseline: `${base.maxRss.toFixed(0)} MiB`, ratio: `${(m.maxRss / base.maxRss).toFixed(2)}x`, target: '< 200 MiB', met: m.maxRss < 200 },
    { scenario, figure: `idle CPU over ${sizes.idleSeconds} s`, measured: `${m.cpuPercent.toFixed(2)}% of a core`, baseline: `${base.cpuPercent.toFixed(2)}%`, target: '-' },
  ];
}
