/**
 * Soak: 2,000 Tasks through one Agent with maxConcurrentTasks 20, the reconciler running as a
 * real process, its open file descriptors (/proc/<pid>/fd) and resident memory (VmRSS) sampled
 * every second. Both must be flat: the last quarter of the run no higher than the first, within
 * a tolerance (see FLAT below for what and why).
 *
 * It runs like a busy cluster, not like a burst: Tasks arrive as fast as they leave (a backlog of
 * BACKLOG waiting Tasks is kept in line), each Pod succeeds at once, and the KubeOpenCodeConfig's
 * ttlSecondsAfterFinished: 0 has the reconciler delete each finished Task (its Pod and ConfigMap
 * follow through their ownerReferences). So the objects alive at any time are the same in number
 * from start to end, and anything that grows with the number of Tasks seen is a leak.
 *
 * On a control plane of its own: the reconciler caches every Task and Pod of the cluster, so
 * other test files' objects would show in its memory, and the cleanup setting is cluster-wide.
 *
 * The reconciler runs as the Helm chart runs it: with the chart's NODE_OPTIONS, in a container
 * with a 512Mi memory limit, from which Node 24 derives a V8 heap ceiling of 259 MiB (measured
 * in a 512Mi memory cgroup). There is no cgroup here, so the ceiling is passed as
 * --max-old-space-size; without one V8 sizes its heap from the machine's 24 GiB and puts off
 * full collections, and RSS then grows with garbage, not with a leak.
 *
 * KUBEOPENCODE_SOAK_TASKS changes the number of Tasks (e.g. for a quick look). New Tasks stop
 * coming after KUBEOPENCODE_SOAK_BUDGET_S seconds (default 600, a guard against a hang, not a
 * performance goal: ~200 s were measured for 2,000 Tasks on a 2-core machine); the test then
 * fails unless every Task ran, and says how far it got and where the CPU went.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { ClusterRecord, controllerArgs, cpuSeconds, metricValue, procStats, scenarioOn, scrapeMetrics, startController } from './support.js';
import { ControlPlane, freePorts } from '../../harness/control-plane/control-plane.js';
import { startWithCrds } from '../../harness/control-plane/session.js';
import { applyYaml } from '../../harness/kube.js';
import { SimulatedNode } from '../../harness/node/simulated-node.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { DEFAULT_OPERATOR_VALUES } from '../../src/constructs/operator/values.js';
import { PooledConnection } from '../../src/reconciler/runtime/connection.js';
import { ControllerProcess } from '../reconciler/controller-process.js';
import { Scenario } from '../reconciler/support.js';

const TOTAL = Number(process.env.KUBEOPENCODE_SOAK_TASKS ?? 2000);
const LIMIT = 20;
const BACKLOG = 40;
const BUDGET_MS = Number(process.env.KUBEOPENCODE_SOAK_BUDGET_S ?? 600) * 1000;
/** The chart's memory limit of the controller container (charts/kubeopencode/values.yaml). */
const CHART_MEMORY_LIMIT_MIB = 512;
/** The chart's NODE_OPTIONS, and the V8 heap ceiling Node 24 derives from that limit. */
const NODE_FLAGS = [...DEFAULT_OPERATOR_VALUES.controller.nodeOptions.split(' ').filter(Boolean), '--max-old-space-size=256'];
jest.setTimeout(13 * 60_000);

/**
 * What "flat" means. The run is measured after a warm-up (the first WARMUP_SHARE of the Tasks,
 * at least 100), in which JIT compilation, connection pools and V8's heap sizing settle; the
 * rest is cut in four quarters by time, and the last is compared with the first:
 * - fds: the last quarter's median at most 10 above the first's. And, at every sample after the
 *   warm-up, at most 100 in all: the reconciler's descriptors should be a fixed set (Node's own
 *   ~20, one pooled connection per informer, a pool for its writes that grows to the number of
 *   requests in flight, which the 4 workers, Events and batches of 8 queue-position writes keep
 *   in the tens).
 *   A leak of one per Task would add ~1,000 between the quarters' midpoints; a client that opens a
 *   connection per request holds request rate x keep-alive time of them (hundreds, varying with
 *   the rate), which the bound catches even when the medians happen to agree.
 * - RSS: the last quarter's median at most 15% + 16 MiB above the first's. V8 collects lazily and
 *   lets the heap grow to a few times the live set before a full GC, and malloc keeps what it
 *   took, so RSS creeps without a leak (about +3% per quarter was measured with a flat live set).
 * - V8 heap in use, its floor (the lowest sample of a quarter, close to after a GC): at most 16 MiB
 *   more in the last quarter. This is the sharp test for leaks of JavaScript objects: the alive
 *   Tasks and Pods are the same in number all along, and one leaked Task with its Pod (~20 KB)
 *   per Task would add ~25 MiB between the quarters' midpoints (1,200 Tasks). A native leak of
 *   that size would hide in RSS's tolerance; one of 100 KB per Task would not.
 */
const WARMUP_SHARE = 0.1;
const FLAT = { fds: 10, fdsBound: 100, rssRatio: 1.15, slackKiB: 16 * 1024, heapSlackMiB: 16 };

interface Sample { readonly t: number; readonly finished: number; readonly fds: number; readonly rssKiB: number; heapMiB?: number }

let plane: ControlPlane;
let s: Scenario;

beforeAll(async () => {
  plane = await startWithCrds();
  s = scenarioOn(plane.endpoint.kubeconfigPath, 'soak');
}, 120_000);
afterAll(async () => {
  await plane?.stop();
});

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

test(`${TOTAL} Tasks through one Agent with maxConcurrentTasks ${LIMIT}: the reconciler's file descriptors and memory stay flat`, async () => {
  const ns = await s.namespace();
  await applyYaml({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'KubeOpenCodeConfig', metadata: { name: 'cluster' }, spec: { cleanup: { ttlSecondsAfterFinished: 0 } } } as never,
    { fieldManager: 'kubeopencode-tests', kc: s.kc });
  await s.createAgent(ns, 'default', { maxConcurrentTasks: LIMIT });
  // The test's own requests share connections, so that its load on the machine stays small.
  const pool = new PooledConnection(s.kc);
  const custom = pool.kubeConfig.makeApiClient(CustomObjectsApi);
  const node = new SimulatedNode({ kc: pool.kubeConfig, outcome: () => ({ phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: {}, truncated: [], missing: [] }) }) });
  await node.start();
  const record = new ClusterRecord(pool.kubeConfig, [ns]);
  const [metricsPort] = await freePorts(1);
  let controller: ControllerProcess | undefined;
  const samples: Sample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const ended = () => [...record.history.values()].filter((h) => h.includes('Completed') || h.includes('Failed')).length;
  try {
    controller = await startController(controllerArgs(plane.endpoint.kubeconfigPath, [ns], metricsPort), NODE_FLAGS);
    const pid = controller.pid;
    const started = Date.now();
    let finished = 0;
    const plan = plane.state().pids;
    const cpuPids: Record<string, number> = { 'reconciler': pid, 'kube-apiserver': plan['kube-apiserver'], 'etcd': plan.etcd, 'kube-controller-manager': plan['kube-controller-manager'] };
    const cpuBefore = Object.fromEntries(Object.entries(cpuPids).map(([k, p]) => [k, cpuSeconds(p)]));
    const testCpuBefore = process.cpuUsage();
    // Every second /proc; every fifth also the V8 heap in use (from /metrics), to tell garbage from a leak.
    sampler = setInterval(() => {
      const sample: Sample = { t: Date.now() - started, finished, ...procStats(pid) };
      samples.push(sample);
      if (samples.length % 5 === 0) {
        void scrapeMetrics(metricsPort).then((m) => { sample.heapMiB = +(metricValue(m, 'nodejs_heap_size_used_bytes') / 2 ** 20).toFixed(1); }, () => undefined);
      }
    }, 1000);
    samples.push({ t: 0, finished: 0, ...procStats(pid) });

    let created = 0;
    const create = async () => {
      const name = `soak-${String(created++).padStart(5, '0')}`;
      const body = { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name }, spec: { description: `soak ${name}` } };
      await custom.createNamespacedCustomObject({ group: 'kubeopencode.io', version: 'v1alpha1', namespace: ns, plural: 'tasks', body });
    };
    while (created < TOTAL && Date.now() - started < BUDGET_MS) {
      finished = ended();
      const room = Math.min(LIMIT + BACKLOG - (created - finished), TOTAL - created, 10);
      if (room > 0) await Promise.all(Array.from({ length: room }, create));
      else await sleep(20);
    }
    await waitFor(() => {
      finished = ended();
      return finished === created;
    }, { timeoutMs: 60_000, intervalMs: 100, description: `all ${created} Tasks created to finish (${ended()} so far)` });
    clearInterval(sampler);
    samples.push({ t: Date.now() - started, finished, ...procStats(pid) });
    const seconds = (Date.now() - started) / 1000;

    // The numbers, by quarter of the run's time.
    const warmup = Math.max(100, Math.round(created * WARMUP_SHARE));
    const measured = samples.filter((x) => x.finished >= warmup);
    const [from, to] = [measured[0].t, measured[measured.length - 1].t];
    const quarter = (q: number) => measured.filter((x) => x.t >= from + (q * (to - from)) / 4 && x.t <= from + ((q + 1) * (to - from)) / 4);
    const rows = [0, 1, 2, 3].map((q) => {
      const xs = quarter(q);
      const heap = xs.flatMap((x) => x.heapMiB ?? []);
      return {
        quarter: q + 1,
        tasks: `${xs[0]?.finished}-${xs[xs.length - 1]?.finished}`,
        fdsMedian: median(xs.map((x) => x.fds)),
        fdsMax: Math.max(...xs.map((x) => x.fds)),
        rssMedianMiB: +(median(xs.map((x) => x.rssKiB)) / 1024).toFixed(1),
        rssMaxMiB: +(Math.max(...xs.map((x) => x.rssKiB)) / 1024).toFixed(1),
        heap: heap.length ? `min ${Math.min(...heap)} max ${Math.max(...heap)} MiB` : '-',
      };
    });
    const cpu = Object.entries(cpuPids).map(([k, p]) => `${k} ${(cpuSeconds(p) - cpuBefore[k]).toFixed(0)} s`);
    const testCpu = process.cpuUsage(testCpuBefore);
    cpu.push(`test process (creating Tasks, simulated node, watches) ${((testCpu.user + testCpu.system) / 1e6).toFixed(0)} s`);
    const metrics = await scrapeMetrics(metricsPort);
    const reconciles = metricValue(metrics, 'kubeopencode_reconcile_total');
    const errors = metricValue(metrics, 'kubeopencode_reconcile_errors_total');
    process.stderr.write(`[soak] ${created} of ${TOTAL} Tasks in ${seconds.toFixed(1)} s (${(created / seconds).toFixed(1)} Tasks/s), limit ${LIMIT}, backlog ${BACKLOG}; `
      + `${reconciles} reconciles, ${errors} errors; max Running ${record.maxRunning.get(`${ns}/default`)}; ${samples.length} samples\n`
      + `  CPU used during the run (2 cores = ${(2 * seconds).toFixed(0)} s): ${cpu.join(', ')}\n`
      + `  warm-up (first ${warmup} Tasks, ${(from / 1000).toFixed(0)} s): RSS ${(samples[0].rssKiB / 1024).toFixed(1)} -> ${(measured[0].rssKiB / 1024).toFixed(1)} MiB, fds ${samples[0].fds} -> ${measured[0].fds}\n`
      + rows.map((r) => `  Q${r.quarter} (Tasks ${r.tasks}): fds median ${r.fdsMedian} max ${r.fdsMax}; RSS median ${r.rssMedianMiB} MiB max ${r.rssMaxMiB} MiB; `
        + `V8 heap used ${r.heap}`).join('\n') + '\n');
    expect(created).toBe(TOTAL);

    expect(record.maxRunning.get(`${ns}/default`)).toBeLessThanOrEqual(LIMIT);
    expect(record.duplicatePods()).toEqual({});
    const outcomes = [...record.history.values()].map((h) => h[h.length - 1]);
    expect(outcomes.filter((p) => p !== 'Completed')).toEqual([]);
    const [first, last] = [quarter(0), quarter(3)];
    const heapFloor = (xs: Sample[]) => Math.min(...xs.flatMap((x) => x.heapMiB ?? []));
    const verdict = {
      fdsMedians: { first: median(first.map((x) => x.fds)), last: median(last.map((x) => x.fds)) },
      fdsMax: Math.max(...measured.map((x) => x.fds)),
      rssKiB: { first: median(first.map((x) => x.rssKiB)), last: median(last.map((x) => x.rssKiB)), max: Math.max(...samples.map((x) => x.rssKiB)) },
      heapFloorMiB: { first: heapFloor(first), last: heapFloor(last) },
    };
    process.stderr.write(`[soak] verdict inputs: ${JSON.stringify(verdict)}\n`);
    expect(verdict.fdsMedians.last).toBeLessThanOrEqual(verdict.fdsMedians.first + FLAT.fds);
    expect(verdict.fdsMax).toBeLessThanOrEqual(FLAT.fdsBound);
    expect(verdict.rssKiB.last).toBeLessThanOrEqual(verdict.rssKiB.first * FLAT.rssRatio + FLAT.slackKiB);
    // In the chart's container the kernel would kill the reconciler above its memory limit.
    expect(verdict.rssKiB.max).toBeLessThan(CHART_MEMORY_LIMIT_MIB * 1024);
    expect(verdict.heapFloorMiB.last).toBeLessThanOrEqual(verdict.heapFloorMiB.first + FLAT.heapSlackMiB);
    expect(controller.lines.filter((l) => l.message === 'fatal error')).toEqual([]);
  } finally {
    clearInterval(sampler);
    await record.stop();
    await controller?.stop();
    await node.stop();
    await pool.close();
  }
});
