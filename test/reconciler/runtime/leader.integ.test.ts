/**
 * Leader election on a real coordination.k8s.io/v1 Lease, with short durations
 * (lease 3 s, renew deadline 2 s, retry 500 ms). Each test gets a fresh namespace.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, V1Lease } from '@kubernetes/client-node';
import { createTestNamespace, deleteNamespace, loadKubeConfig, tokenKubeConfig } from '../../../harness/kube.js';
import { waitFor } from '../../../harness/wait.js';
import { PooledConnection } from '../../../src/reconciler/runtime/connection.js';
import { LeaderElector, LeaderElectorOptions } from '../../../src/reconciler/runtime/leader.js';

const LEASE = 'kubeopencode-controller';

interface Candidate {
  readonly elector: LeaderElector;
  started: number;
  stopped: number;
  startedAt?: number;
}

describe('LeaderElector on a real API server', () => {
  let kc: KubeConfig;
  let leases: CoordinationV1Api;
  let ns: string;
  const candidates: Candidate[] = [];

  let pool: PooledConnection;

  beforeAll(() => {
    // The test's own API calls share one connection too (closed in afterAll).
    pool = new PooledConnection(loadKubeConfig());
    kc = pool.kubeConfig;
    leases = kc.makeApiClient(CoordinationV1Api);
  });

  afterAll(() => pool.close());

  beforeEach(async () => {
    ns = await createTestNamespace('leader', {}, kc);
  });

  afterEach(async () => {
    await Promise.all(candidates.splice(0).map((c) => c.elector.stop()));
    await deleteNamespace(ns, { kc });
  });

  function candidate(identity: string, overrides: Partial<LeaderElectorOptions> = {}): Candidate {
    const c: Candidate = { started: 0, stopped: 0 } as Candidate;
    (c as { elector: LeaderElector }).elector = new LeaderElector({
      kc,
      namespace: ns,
      name: LEASE,
      identity,
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 500,
      onStartedLeading: () => {
        c.started++;
        c.startedAt = Date.now();
      },
      onStoppedLeading: () => c.stopped++,
      ...overrides,
    });
    candidates.push(c);
    return c;
  }

  const readLease = (): Promise<V1Lease> => leases.readNamespacedLease({ name: LEASE, namespace: ns });
  const leaders = () => candidates.filter((c) => c.elector.isLeader());

  test('two candidates on one Lease: exactly one leads, and keeps renewing', async () => {
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    void a.elector.run();
    void b.elector.run();
    const [leader] = await waitFor(() => (leaders().length > 0 ? leaders() : undefined), { description: 'a leader' });
    const follower = leader === a ? b : a;
    const first = await readLease();
    expect(first.spec?.holderIdentity).toBe(leader === a ? 'replica-a' : 'replica-b');
    expect(first.spec?.leaseDurationSeconds).toBe(3);
    expect(first.spec?.leaseTransitions).toBe(0);
    // MicroTime on the wire: six fractional digits
    const raw = first.spec?.renewTime as unknown;
    expect(String(raw instanceof Date ? raw.toISOString() : raw)).toMatch(/\.\d{6}Z$/);

    // For well over a lease duration the leader renews and the follower never leads.
    const deadline = Date.now() + 4500;
    while (Date.now() < deadline) {
      expect(leaders()).toEqual([leader]);
      await sleep(100);
    }
    const later = await readLease();
    expect(later.spec?.holderIdentity).toBe(first.spec?.holderIdentity);
    expect(String(later.spec?.renewTime)).not.toBe(String(first.spec?.renewTime));
    expect(String(later.spec?.acquireTime)).toBe(String(first.spec?.acquireTime));
    expect(leader.started).toBe(1);
    expect(follower.started).toBe(0);
    expect(leader.stopped + follower.stopped).toBe(0);
  });

  test('a leader that stops without releasing is replaced once the lease expires', async () => {
    const a = candidate('replica-a');
    void a.elector.run();
    await waitFor(() => a.elector.isLeader(), { description: 'a to lead' });
    const b = candidate('replica-b');
    void b.elector.run();
    // Give b time to observe the lease while a is still renewing it.
    await sleep(1000);
    expect(b.elector.isLeader()).toBe(false);

    const crashedAt = Date.now();
    await a.elector.stop(); // as if the process died: the Lease still names a
    expect((await readLease()).spec?.holderIdentity).toBe('replica-a');
    await waitFor(() => b.elector.isLeader(), { description: 'b to take over', timeoutMs: 15_000 });
    const waited = b.startedAt! - crashedAt;
    // Not before the lease (3 s) has run out since a's last renewal, and not much later.
    expect(waited).toBeGreaterThanOrEqual(2000);
    expect(waited).toBeLessThan(6000);
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toBe('replica-b');
    expect(lease.spec?.leaseTransitions).toBe(1);
    expect(a.stopped).toBe(0); // stop() is not a loss of leadership
  });

  test('release() hands over at once', async () => {
    const a = candidate('replica-a');
    void a.elector.run();
    await waitFor(() => a.elector.isLeader(), { description: 'a to lead' });
    const b = candidate('replica-b', { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 300 });
    void b.elector.run();
    await sleep(700);

    const releasedAt = Date.now();
    await a.elector.release();
    expect(a.elector.isLeader()).toBe(false);
    await waitFor(() => b.elector.isLeader(), { description: 'b to take over', intervalMs: 50 });
    // Far sooner than any lease duration: b only waited for its next retry.
    expect(b.startedAt! - releasedAt).toBeLessThan(1500);
    expect((await readLease()).spec?.holderIdentity).toBe('replica-b');
    expect(a.stopped).toBe(0);
  });

  test('a leader whose lease is taken over stops leading and calls onStoppedLeading', async () => {
    const a = candidate('replica-a');
    void a.elector.run();
    await waitFor(() => a.elector.isLeader(), { description: 'a to lead' });
    // Someone else writes the Lease (as a candidate with a skewed view might): a must step down.
    const lease = await readLease();
    await leases.replaceNamespacedLease({
      name: LEASE,
      namespace: ns,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 30 } },
    });
    await waitFor(() => a.stopped === 1, { description: 'a to step down' });
    expect(a.elector.isLeader()).toBe(false);
  });

  test('a leader that cannot renew for renewDeadline steps down (its RBAC is revoked)', async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'controller' } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'leases' }, rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: 'leases' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leases' }, subjects: [{ kind: 'ServiceAccount', name: 'controller', namespace: ns }] },
    });
    const a = candidate('replica-a', { kc: await tokenKubeConfig(ns, 'controller', { kc }) });
    void a.elector.run();
    await waitFor(() => a.elector.isLeader(), { description: 'a to lead' });

    await rbac.deleteNamespacedRoleBinding({ namespace: ns, name: 'leases' });
    const revokedAt = Date.now();
    await waitFor(() => a.stopped === 1, { description: 'a to step down', intervalMs: 50 });
    // renewDeadline (2 s) after the last successful renewal, give or take one retry period.
    expect(Date.now() - revokedAt).toBeLessThan(4000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.started).toBe(1);
  });
});
