/**
 * The Pods that renderTask produces (exactly what the reconciler creates) are admitted by
 * a real kube-apiserver in a namespace that enforces the `restricted` Pod Security
 * Standard, for every context type and credential mode, with outputs and with the seed's
 * pod configuration; and the API server keeps what matters (the native sidecar, the
 * security contexts). A negative control shows the check has teeth: one privilege more
 * and the same Pod is refused, naming the policy, while a namespace without the policy
 * would take it.
 */
import { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';
import { applyYaml, createTestNamespace, deleteNamespace, loadKubeConfig } from '../../harness/kube.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { renderTask, RenderInput } from '../../src/reconciler/render.js';
import { apiMessage } from '../../src/reconciler/runtime/api-errors.js';
import { seedDoc } from '../e2e/echo-flow-fixture.js';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };

let namespace: string;
let permissive: string;

beforeAll(async () => {
  namespace = await createTestNamespace('task-pod-restricted', RESTRICTED);
  permissive = await createTestNamespace('task-pod-permissive');
  // The seed's pod configuration names RuntimeClass gvisor: without it the RuntimeClass admission plugin refuses
  // the Pod. Applied, not created: cluster-scoped, and other tests may want it too.
  await applyYaml({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'gvisor' }, handler: 'runsc' } as never,
    { fieldManager: 'kubeopencode-tests' });
});

afterAll(async () => {
  await Promise.all([deleteNamespace(namespace), deleteNamespace(permissive)]);
});

const agentFrom = (file: string, ns: string, extra: Partial<AgentObject['spec']> = {}): AgentObject => {
  const doc = seedDoc(file);
  return { metadata: { name: doc.metadata!.name!, namespace: ns }, spec: { ...doc.spec, ...extra } };
};
const taskFrom = (file: string, ns: string, name: string, extra: Partial<TaskObject['spec']> = {}): TaskObject => {
  const doc = seedDoc(file);
  return { metadata: { name, namespace: ns }, spec: { ...doc.spec, ...extra } };
};

const configMaps = (ns: string) => ({
  [`${ns}/my-scripts`]: { 'setup.sh': 'echo setup\n' },
  [`${ns}/team-docs`]: { 'style.md': '# Style\n', 'review.md': '# Review\n' },
});

/** Every kind of context: the seed's fragment, plus what it leaves out. */
function everyContext(): TaskObject['spec']['contexts'] {
  return [
    ...seedDoc('03-contexts-fragment.yaml').contexts, // Text; whole ConfigMap mounted 0755; Git at a ref; URL mounted
    { type: 'Text', text: 'outside', mountPath: '/etc/kubeopencode/notes.md', fileMode: 0o400 },
    { type: 'ConfigMap', configMap: { name: 'team-docs', key: 'style.md' } },
    { type: 'ConfigMap', configMap: { name: 'team-docs', key: 'review.md' }, mountPath: '/opt/review.md' },
    { type: 'ConfigMap', configMap: { name: 'team-docs' } },
    { type: 'ConfigMap', configMap: { name: 'team-docs' }, mountPath: '/opt/team-docs' },
    { type: 'Git', git: { repository: 'https://example.com/private.git', ref: 'v1', path: 'docs', secretRef: { name: 'git-credentials' } }, mountPath: '/opt/docs' },
    { type: 'URL', url: { source: 'https://example.com/notes.md', headers: { Accept: 'text/markdown' }, secretRef: { name: 'api-token' } } },
    { type: 'Runtime' },
  ];
}

const cases: [string, (ns: string) => RenderInput][] = [
  ['the seed quick start', (ns) => ({ agent: agentFrom('01-quick-start-agent.yaml', ns), task: taskFrom('02-quick-start-task.yaml', ns, 'quick-start') })],
  ['every context type, with outputs', (ns) => ({
    agent: agentFrom('06-outputs-agent.yaml', ns),
    task: taskFrom('07-outputs-task.yaml', ns, 'every-context', { agentRef: undefined, contexts: everyContext() }),
    configMaps: configMaps(ns),
  })],
  ['every credential mode (key as env, key as file 0400, whole Secret as env, whole Secret as a directory)', (ns) => ({
    agent: agentFrom('04-agent-configuration.yaml', ns, {
      credentials: [
        ...seedDoc('04-agent-configuration.yaml').spec.credentials,
        { name: 'cloud-env', secretRef: { name: 'cloud-env' } },
        { name: 'gh-config', secretRef: { name: 'gh-config' }, mountPath: '/home/agent/.config/gh' },
      ],
    }),
    task: taskFrom('02-quick-start-task.yaml', ns, 'every-credential'),
  })],
  ['the seed pod configuration (labels, runtimeClass, scheduling) with resources and affinity', (ns) => ({
    agent: agentFrom('10-pod-configuration.yaml', ns, {
      podSpec: {
        ...seedDoc('10-pod-configuration.yaml').spec.podSpec,
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
        scheduling: {
          ...seedDoc('10-pod-configuration.yaml').spec.podSpec.scheduling,
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
        },
      },
    }),
    task: taskFrom('02-quick-start-task.yaml', ns, 'pod-configuration', { timeoutSeconds: 600 }),
  })],
  ['a repository cloned into the workspace itself', (ns) => ({
    agent: agentFrom('01-quick-start-agent.yaml', ns),
    task: taskFrom('02-quick-start-task.yaml', ns, 'git-workspace', { contexts: [{ type: 'Git', git: { repository: 'https://example.com/r.git' }, mountPath: '/workspace' }] }),
  })],
];

/** What the API server must keep as we sent it: a dropped field would change what runs, silently. */
const essentials = ({ spec }: V1Pod) => {
  const container = (c: V1Container) => ({ name: c.name, restartPolicy: c.restartPolicy, securityContext: c.securityContext, command: c.command });
  return {
    securityContext: spec!.securityContext,
    initContainers: spec!.initContainers!.map(container),
    containers: spec!.containers.map(container),
    volumes: spec!.volumes!.map((v) => v.name),
    runtimeClassName: spec!.runtimeClassName,
    nodeSelector: spec!.nodeSelector,
  };
};

describe('rendered Task Pods in a namespace enforcing the restricted Pod Security Standard', () => {
  test.each(cases)('%s: the ConfigMap and the Pod are created as rendered', async (_name, input) => {
    const { pod, configMap } = renderTask(input(namespace));
    expect(pod.metadata.namespace).toBe(namespace);
    await core.createNamespacedConfigMap({ namespace, body: configMap });
    const created = await core.createNamespacedPod({ namespace, body: pod as V1Pod });
    expect(essentials(created)).toEqual(essentials(pod as V1Pod));
  });

  test('the cases cover the native outputs sidecar, every context volume kind and a runtimeClass', () => {
    const pods = cases.map(([, input]) => renderTask(input(namespace)).pod);
    const names = pods.flatMap((p) => p.spec.initContainers.map((c: V1Container) => c.name));
    expect(new Set(names)).toEqual(new Set(['tools', 'git-0', 'git-1', 'url-0', 'url-1', 'context', 'outputs']));
    const volumes = pods.flatMap((p) => p.spec.volumes.map((v: { name: string }) => v.name.replace(/-\d+/, '-N')));
    expect(new Set(volumes)).toEqual(new Set(['tools', 'workspace', 'home', 'tmp', 'system-tmp', 'context', 'git-N', 'git-N-secret', 'url-N', 'url-N-secret',
      'context-file-N', 'context-dir-N', 'credential-N']));
    expect(pods.some((p) => p.spec.runtimeClassName === 'gvisor' && p.spec.containers[0].resources)).toBe(true);
  });
});

describe('negative control: one privilege more and the same Pod is refused', () => {
  const privileges: [string, (pod: V1Pod) => void, RegExp][] = [
    ['allowPrivilegeEscalation: true on the agent', (pod) => { pod.spec!.containers[0].securityContext!.allowPrivilegeEscalation = true; },
      /allowPrivilegeEscalation != false \(container "agent" must set securityContext\.allowPrivilegeEscalation=false\)/],
    ['a hostPath volume', (pod) => { pod.spec!.volumes!.push({ name: 'host', hostPath: { path: '/var/run' } }); },
      /restricted volume types \(volume "host" uses restricted volume type "hostPath"\)/],
  ];

  test.each(privileges)('%s: refused, naming the restricted policy', async (_name, addPrivilege, reason) => {
    const [, input] = cases[1];
    const pod = structuredClone(renderTask(input(namespace)).pod) as V1Pod;
    pod.metadata!.name = `${pod.metadata!.name}-privileged`;
    addPrivilege(pod);
    const refusal = await core.createNamespacedPod({ namespace, body: pod }).then(() => 'admitted', apiMessage);
    expect(refusal).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(refusal).toMatch(reason);
    expect(refusal).toContain('(HTTP 403)');
    // The refusal is the policy's: without it the same Pod is valid (server-side dry run).
    pod.metadata!.namespace = permissive;
    await expect(core.createNamespacedPod({ namespace: permissive, body: pod, dryRun: 'All' })).resolves.toMatchObject({ metadata: { name: pod.metadata!.name } });
  });
});
