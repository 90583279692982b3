/**
 * Running the controller as an operator: leader election on a Lease (a standby takes over
 * when the leader dies, or at once when it shuts down cleanly), /healthz, /readyz and
 * /metrics, JSON logs carrying the Task key, graceful shutdown on SIGTERM.
 */
import { jest } from '@jest/globals';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { ControllerProcess } from './controller-process.js';
import { Scenario } from './support.js';
import { freePorts } from '../../harness/control-plane/control-plane.js';
import { kubeconfigPath } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';

jest.setTimeout(120_000);

const s = new Scenario('ops');
let ns: string;
let leaseNamespace: string;
const running: ControllerProcess[] = [];

function controller(extra: string[] = []): ControllerProcess {
  const p = ControllerProcess.start(['--kubeconfig', kubeconfigPath(), '--watch-namespaces', ns, '--leader-election-namespace', leaseNamespace,
    '--leader-election-id', 'ops-test', '--lease-duration', '3', ...extra]);
  running.push(p);
  return p;
}

async function lease() {
  return s.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: leaseNamespace, name: 'ops-test' });
}

beforeAll(async () => {
  ns = await s.namespace();
  leaseNamespace = await s.namespace();
  await s.createAgent(ns, 'default');
  await s.startNode();
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await s.stop();
});

test('a second replica stands by, and takes over within the lease time when the leader is killed', async () => {
  const first = controller(['--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
  await first.waitForLog('became the leader');
  const second = controller(['--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
  await second.waitForLog('campaigning for leadership');
  await s.createTask(ns, 'before', { description: 'x' });
  await s.waitForPhase(ns, 'before', 'Running');
  expect(second.lines.some((l) => l.message === 'became the leader')).toBe(false);
  expect((await lease()).spec?.holderIdentity).toMatch(new RegExp(`_${first.pid}$`));

  first.kill('SIGKILL');
  const killedAt = Date.now();
  await second.waitForLog('became the leader', 20_000);
  expect(Date.now() - killedAt).toBeLessThan(3000 + 3000);
  expect((await lease()).spec?.holderIdentity).toMatch(new RegExp(`_${second.pid}$`));
  await s.createTask(ns, 'after', { description: 'x' });
  await s.waitForPhase(ns, 'after', 'Running');
  await second.stop();
});

test('SIGTERM: the leader finishes its work, releases the lease at once, and exits 0', async () => {
  const [metrics, probes] = await freePorts(2);
  const leader = controller(['--metrics-bind-address', `127.0.0.1:${metrics}`, '--health-probe-bind-address', `127.0.0.1:${probes}`]);
  await leader.waitForLog('caches synced');

  const healthz = await fetch(`http://127.0.0.1:${probes}/healthz`);
  expect(healthz.status).toBe(200);
  const readyz = await fetch(`http://127.0.0.1:${probes}/readyz`);
  expect(readyz.status).toBe(200);

  s.outcome = () => ({ phase: 'Succeeded', terminationMessage: '{"parameters":{},"truncated":[],"missing":[]}' });
  await s.createTask(ns, 'measured', { description: 'x' });
  await s.waitForPhase(ns, 'measured', 'Completed');
  const text = await waitFor(async () => {
    const body = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    return body.includes('kubeopencode_tasks{phase="Completed"}') ? body : undefined;
  }, { timeoutMs: 10_000, description: 'metrics to show the Completed Task' });
  for (const name of ['kubeopencode_reconcile_total', 'kubeopencode_reconcile_duration_seconds_bucket', 'kubeopencode_reconcile_errors_total',
    'kubeopencode_agent_queue_depth', 'kubeopencode_workqueue_depth', 'process_resident_memory_bytes']) {
    expect(text).toContain(name);
  }

  // Every line about the Task carries its key.
  const taskLines = leader.lines.filter((l) => l.task === `${ns}/measured`);
  expect(taskLines.length).toBeGreaterThan(0);

  const standby = controller(['--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
  await standby.waitForLog('campaigning for leadership');
  leader.kill('SIGTERM');
  const stoppedAt = Date.now();
  expect(await leader.exited).toEqual({ code: 0, signal: null });
  await leader.waitForLog('released the lease');
  await standby.waitForLog('became the leader', 10_000);
  // Released, so well before the 3 s lease would have expired.
  expect(Date.now() - stoppedAt).toBeLessThan(3000);
  await standby.stop();
});
