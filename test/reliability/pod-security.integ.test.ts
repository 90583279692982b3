/**
 * Pod security of what the reconciler itself creates: it runs Agents and Tasks that use every
 * feature (every context type and credential mode, outputs, timeouts, a limit with a queue,
 * cross-namespace and same-namespace Agents, the seed's pod configuration) in namespaces that
 * enforce the `restricted` Pod Security Standard. Every Task must get its Pod (a Pod refused
 * by admission would fail its Task with PodCreationError), and every live Pod must pass a
 * server-side dry run in a fresh restricted namespace too. A negative control shows the check
 * bites: the same live Pod with one privilege more is refused.
 *
 * test/constructs/task-pod.integ.test.ts covers the rendered Pods for every case one by one;
 * this is the reconciler's path end to end (admission, cross-namespace, the objects it reads).
 */
import { jest } from '@jest/globals';
import { V1Pod } from '@kubernetes/client-node';
import { applyYaml, createTestNamespace, deleteNamespace } from '../../harness/kube.js';
import { apiMessage } from '../../src/reconciler/runtime/api-errors.js';
import { condition, Scenario } from '../reconciler/support.js';

jest.setTimeout(90_000);

const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };
const s = new Scenario('podsec');
let platform: string;
let team: string;
let probe: string;

beforeAll(async () => {
  await s.start();
  platform = await s.namespace(RESTRICTED);
  team = await s.namespace(RESTRICTED);
  probe = await createTestNamespace('podsec-probe', RESTRICTED, s.kc);
  await applyYaml({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'gvisor' }, handler: 'runsc' } as never, { fieldManager: 'kubeopencode-tests' });
  for (const ns of [platform, team]) {
    await s.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'team-docs' }, data: { 'style.md': '# Style\n', 'review.md': '# Review\n' } } });
  }
});
afterAll(async () => {
  await s.stop();
  await deleteNamespace(probe, { kc: s.kc });
});

/** Contexts of every type and placement; `at` keeps the Agent's and the Task's mount paths apart. */
const everyContext = (at: string, withSecrets: boolean) => [
  { type: 'Text', text: 'aggregated into task.md' },
  { type: 'Text', text: 'a file', mountPath: `${at}/notes/a.md`, fileMode: 0o400 },
  { type: 'Text', text: 'outside the workspace', mountPath: `/etc/kubeopencode/${at}/b.md` },
  { type: 'ConfigMap', configMap: { name: 'team-docs', key: 'style.md' } },
  { type: 'ConfigMap', configMap: { name: 'team-docs', key: 'review.md' }, mountPath: `/opt/${at}/review.md` },
  { type: 'ConfigMap', configMap: { name: 'team-docs' }, mountPath: `${at}/docs`, fileMode: 0o755 },
  { type: 'Git', git: { repository: 'https://example.com/repo.git', ref: 'v1', path: 'sub', depth: 5, ...(withSecrets ? { secretRef: { name: 'git-credentials' } } : {}) }, mountPath: `${at}/source` },
  { type: 'URL', url: { source: 'https://example.com/spec.yaml', headers: { Accept: 'text/yaml' }, ...(withSecrets ? { secretRef: { name: 'api-token' } } : {}) }, mountPath: `${at}/spec.yaml` },
  { type: 'URL', url: { source: 'https://example.com/inline.md', timeoutSeconds: 5 } },
  { type: 'Runtime' },
];

test('every Pod the reconciler creates, for Agents and Tasks using every feature, is admitted under enforce=restricted', async () => {
  await s.createAgent(platform, 'full', {
    agentImage: 'quay.io/kubeopencode/kubeopencode-agent-opencode:latest',
    executorImage: 'quay.io/kubeopencode/kubeopencode-agent-devbox:latest',
    workspaceDir: '/work',
    command: ['sh', '-c', 'echo "$(cat ${WORKSPACE_DIR}/task.md)"'],
    serviceAccountName: 'kubeopencode-agent',
    maxConcurrentTasks: 2,
    allowedNamespaces: ['podsec-*'],
    contexts: everyContext('agent', true),
    credentials: [
      { name: 'key-as-env', secretRef: { name: 'ai-credentials', key: 'opencode-key' }, env: 'OPENCODE_API_KEY' },
      { name: 'key-as-file', secretRef: { name: 'ssh-keys', key: 'id_rsa' }, mountPath: '/home/agent/.ssh/id_rsa', fileMode: 0o400 },
      { name: 'secret-as-env', secretRef: { name: 'cloud-env' } },
      { name: 'secret-as-dir', secretRef: { name: 'gh-config' }, mountPath: '/home/agent/.config/gh' },
    ],
    outputs: { parameters: [{ name: 'pr-url', path: '.outputs/pr-url', default: 'none' }] },
    podSpec: {
      labels: { 'network-policy': 'agent-restricted' },
      runtimeClassName: 'gvisor',
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
      scheduling: {
        nodeSelector: { 'node-type': 'ai-workload' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ai-workload', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      },
    },
  });
  await s.createAgent(team, 'default', {});
  const tasks: [string, object][] = [
    ['cross-every-context', { agentRef: { name: 'full', namespace: platform }, contexts: everyContext('task', false), outputs: { parameters: [{ name: 'summary', path: '/home/agent/summary.md' }] }, timeoutSeconds: 600 }],
    ['cross-plain', { agentRef: { name: 'full', namespace: platform } }],
    ['cross-queued', { agentRef: { name: 'full', namespace: platform }, contexts: [{ type: 'Text', text: 'x', mountPath: 'x.md' }] }],
    ['local-defaults', {}],
    ['local-every-context', { contexts: everyContext('task', false), outputs: { parameters: [{ name: 'summary', path: 'summary.md' }] }, timeoutSeconds: 60 }],
    ['local-git-workspace', { contexts: [{ type: 'Git', git: { repository: 'https://example.com/r.git' }, mountPath: '/workspace' }] }],
  ];
  for (const [name, spec] of tasks) await s.createTask(team, name, { description: `Task ${name}`, ...spec });
  // Two run on `full` (its limit), the third waits; free a slot so that an admitted Pod is checked too.
  const [first] = await Promise.all(['cross-every-context', 'cross-plain'].map((n) => s.waitForTask(team, n, (t) => !!t.status?.startTime, 'started')));
  await s.waitForPhase(team, 'cross-queued', 'Queued');
  await s.annotateTask(team, first.metadata.name, { 'kubeopencode.io/stop': 'true' });
  const all = await Promise.all(tasks.filter(([n]) => n !== first.metadata.name).map(([n]) => s.waitForTask(team, n, (t) => !!t.status?.startTime || t.status?.phase === 'Failed', 'started or failed')));
  expect(all.map((t) => [t.metadata.name, t.status?.phase, condition(t, 'Ready')?.reason]))
    .toEqual(all.map((t) => [t.metadata.name, 'Running', 'PodRunning']));

  // Every Pod the reconciler made, read back live, passes admission again (dry run) in a fresh restricted namespace.
  const pods = (await Promise.all([platform, team].map((namespace) => s.core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/managed-by=kubeopencode' })))).flatMap((l) => l.items);
  expect(pods).toHaveLength(all.length);
  const containers = pods.flatMap((p) => [...p.spec!.initContainers!, ...p.spec!.containers].map((c) => c.name.replace(/-\d+$/, '-N')));
  expect(new Set(containers)).toEqual(new Set(['tools', 'context', 'git-N', 'url-N', 'outputs', 'agent']));
  const resubmit = (pod: V1Pod): V1Pod => ({
    metadata: { name: pod.metadata!.name, labels: pod.metadata!.labels },
    spec: { ...pod.spec!, nodeName: undefined },
  });
  const verdicts = await Promise.all(pods.map((pod) => s.core.createNamespacedPod({ namespace: probe, body: resubmit(pod), dryRun: 'All' }).then(() => 'admitted', apiMessage)));
  expect(verdicts).toEqual(pods.map(() => 'admitted'));

  // Negative control: the same live Pod, one privilege more, is refused by the same namespace.
  const privileged = resubmit(pods[0]);
  const agent = privileged.spec!.containers[0];
  agent.securityContext = { ...agent.securityContext, privileged: true, allowPrivilegeEscalation: true };
  const refusal = await s.core.createNamespacedPod({ namespace: probe, body: privileged, dryRun: 'All' }).then(() => 'admitted', apiMessage);
  expect(refusal).toMatch(/violates PodSecurity "restricted:latest": .*privileged \(container "agent" must not set securityContext\.privileged=true\)/);
  expect(refusal).toContain('(HTTP 403)');
});
