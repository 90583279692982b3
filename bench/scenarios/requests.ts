/**
 * Requests: what each kind of request a Task costs the API server, alone (no controller, no
 * other load), against the one request of a bare Pod. SPEC.md makes a Task five requests:
 * the Task's create (by its user), its context ConfigMap, its Pod, one status write and one
 * Event; their sum over a Pod create is the lowest "API server CPU per Task" ratio any
 * reconciler can reach while it keeps those promises (the throughput scenario then adds the
 * watches that carry every change to the controller and the bench).
 *
 * Each kind: `count` requests with `concurrency` in flight, bodies as the controller sends
 * them (rendered by its own code), after the control plane has gone quiet.
 */
import { PatchStrategy, setHeaderOptions, V1ConfigMap } from '@kubernetes/client-node';
import { EventRecorder } from '../../src/reconciler/events.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { renderTask } from '../../src/reconciler/render.js';
import { kubeTime } from '../../src/reconciler/runtime/time.js';
import { TaskTransitions } from '../../src/reconciler/status.js';
import { BenchContext, cleanUp } from '../lib/context.js';
import { CpuMeter } from '../lib/cpu.js';
import { AGENT, barePod, createAgent, createTask, taskName, withConcurrency } from '../lib/load.js';
import { Figure } from '../lib/report.js';
import { ratio } from '../lib/stats.js';

const G = { group: 'kubeopencode.io', version: 'v1alpha1' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Cost {
  readonly apiserverMs: number;
  readonly etcdMs: number;
}

export async function requests(ctx: BenchContext): Promise<Figure[]> {
  const { cluster, sizes, log } = ctx;
  const count = sizes.throughputTasks;
  const ns = await cluster.namespace('requests');
  const agent = await createAgent(cluster.custom, ns);
  const tasks: TaskObject[] = [];
  const costs = new Map<string, Cost>();
  const measure = async (kind: string, send: (i: number) => Promise<unknown>) => {
    await cluster.quiesce();
    const meter = await CpuMeter.start(cluster);
    await withConcurrency(count, 8, send);
    const { cpu } = await meter.used();
    const cost = { apiserverMs: (cpu['kube-apiserver'] ?? NaN) / count, etcdMs: (cpu.etcd ?? NaN) / count };
    costs.set(kind, cost);
    log(`requests: ${kind}: kube-apiserver ${cost.apiserverMs.toFixed(2)} ms, etcd ${cost.etcdMs.toFixed(2)} ms per request`);
  };
  try {
    await measure('POST pods (a bare Pod)', (i) => cluster.core.createNamespacedPod({ namespace: ns, body: barePod(ns, `bare-${taskName(i)}`) }));
    await measure('POST tasks', async (i) => { tasks[i] = await createTask(cluster.custom, ns, taskName(i)); });
    const rendered = tasks.map((task) => renderTask({ task, agent: agent as AgentObject }));
    await measure('POST configmaps (context)', (i) => cluster.core.createNamespacedConfigMap({ namespace: ns, body: rendered[i].configMap as V1ConfigMap }));
    const events = new EventRecorder({ createEvent: (body) => cluster.core.createNamespacedEvent({ namespace: ns, body }).then(() => undefined) }, quietLogger, 'bench');
    await measure('POST events', async (i) => {
      const started = new TaskTransitions(tasks[i], kubeTime(new Date())).started(rendered[i].pod.metadata.name!, ns, `${ns}/${AGENT}`);
      events.taskEvent(tasks[i], started.event!, new Date());
      await events.flush();
    });
    await measure('PATCH tasks/status (Running)', (i) => {
      const started = new TaskTransitions(tasks[i], kubeTime(new Date())).started(rendered[i].pod.metadata.name!, ns, `${ns}/${AGENT}`);
      return cluster.custom.patchNamespacedCustomObjectStatus({ ...G, plural: 'tasks', namespace: ns, name: tasks[i].metadata.name, body: { status: started.status } }, mergePatch);
    });
  } finally {
    await cleanUp(ctx, [ns]);
  }
  return figures(costs);
}

const quietLogger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => quietLogger };

function figures(costs: Map<string, Cost>): Figure[] {
  const [pod, ...taskKinds] = [...costs.entries()];
  const podMs = pod[1].apiserverMs;
  const rows: Figure[] = [...costs.entries()].map(([kind, c]) => ({
    scenario: 'Requests',
    figure: `${kind}, kube-apiserver CPU per request (etcd)`,
    measured: `${c.apiserverMs.toFixed(2)} ms (${c.etcdMs.toFixed(2)} ms)`,
    baseline: `${podMs.toFixed(2)} ms`,
    ratio: ratio(c.apiserverMs, podMs),
    target: '-',
  }));
  // A Task's five: its own create, ConfigMap, Pod, status write, Event.
  const taskMs = podMs + taskKinds.reduce((sum, [, c]) => sum + c.apiserverMs, 0);
  rows.push({
    scenario: 'Requests',
    figure: 'a Task\'s five requests (SPEC.md), summed',
    measured: `${taskMs.toFixed(2)} ms`,
    baseline: `${podMs.toFixed(2)} ms`,
    ratio: ratio(taskMs, podMs),
    target: '-',
  });
  return rows;
}
