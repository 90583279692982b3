/**
 * The seed README's cross-namespace example, applied unchanged (namespaces renamed per
 * test run): the Pod runs in the Agent's namespace, the Task's deletion removes its Pod
 * and ConfigMap there (finalizer, no ownerReferences across namespaces), and a Task from
 * a namespace outside allowedNamespaces fails.
 */
import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { condition, Scenario } from './support.js';
import { applyYaml } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';
import { parseManifests } from '../../src/cli/manifests.js';

jest.setTimeout(60_000);

const s = new Scenario('xns');
let platform: string;
let devTeam: string;

const seed = readFileSync(new URL('../../examples/seed-readme/09-cross-namespace.yaml', import.meta.url), 'utf8');

beforeAll(async () => {
  await s.start();
  // The seed's namespaces, made unique: platform-agents -> <platform>, dev-team-a -> <dev-...>.
  platform = await s.namespace();
  devTeam = await s.namespace({}, 'xns-dev');
  const [agent, task] = parseManifests(seed, 'seed');
  agent.metadata!.namespace = platform;
  agent.spec.allowedNamespaces = ['xns-dev-*', 'staging'];
  task.metadata!.namespace = devTeam;
  task.spec.agentRef.namespace = platform;
  await applyYaml([agent, task] as never, { fieldManager: 'test' });
});
afterAll(() => s.stop());

test('the Pod runs in the Agent\'s namespace and the Task says so', async () => {
  const task = await s.waitForTask(devTeam, 'fix-bug-123', (t) => !!t.status?.startTime, 'started');
  expect(task.status?.podNamespace).toBe(platform);
  expect(task.metadata.finalizers).toEqual(['kubeopencode.io/task-cleanup']);
  const pod = await s.pod(platform, task.status!.podName!);
  expect(pod?.metadata?.ownerReferences).toBeUndefined();
  const agent = pod!.spec!.containers[0];
  expect(agent.env).toContainEqual(expect.objectContaining({ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'anthropic-credentials', key: 'api-key' } } }));
  expect(pod?.spec?.serviceAccountName).toBe('kubeopencode-agent');
  // Nothing of the Task's is created in the dev team's namespace.
  expect((await s.core.listNamespacedPod({ namespace: devTeam })).items).toEqual([]);
});

test('deleting the Task removes its Pod and ConfigMap in the Agent\'s namespace', async () => {
  const task = await s.getTask(devTeam, 'fix-bug-123');
  const name = task.status!.podName!;
  await s.deleteTask(devTeam, 'fix-bug-123');
  await waitFor(async () => !(await s.pod(platform, name)), { timeoutMs: 20_000, description: 'the Pod to be deleted' });
  await waitFor(async () => {
    try {
      await s.core.readNamespacedConfigMap({ namespace: platform, name });
      return false;
    } catch {
      return true;
    }
  }, { timeoutMs: 20_000, description: 'the ConfigMap to be deleted' });
  await waitFor(async () => {
    try {
      await s.getTask(devTeam, 'fix-bug-123');
      return false;
    } catch {
      return true;
    }
  }, { timeoutMs: 20_000, description: 'the Task to be gone (finalizer removed)' });
});

test('a Task from a namespace the Agent does not allow fails with NamespaceNotAllowed and an Event', async () => {
  const outsider = await s.namespace({}, 'xns-ops');
  await s.createTask(outsider, 'sneaky', { description: 'x', agentRef: { name: 'opencode-agent', namespace: platform } });
  const failed = await s.waitForPhase(outsider, 'sneaky', 'Failed');
  expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'NamespaceNotAllowed' });
  expect(failed.status?.podName).toBeUndefined();
  const events = await waitFor(async () => {
    const list = await s.taskEvents(outsider, 'sneaky');
    return list.find((e) => e.reason === 'NamespaceNotAllowed');
  }, { timeoutMs: 10_000, description: 'the NamespaceNotAllowed event' });
  expect(events.type).toBe('Warning');
  expect((await s.core.listNamespacedPod({ namespace: platform })).items.filter((p) => p.metadata?.name?.startsWith('sneaky'))).toEqual([]);
});

test('two teams\' Tasks with the same name on one Agent do not collide', async () => {
  const other = await s.namespace({}, 'xns-dev');
  const first = await s.namespace({}, 'xns-dev');
  for (const ns of [first, other]) {
    await s.createTask(ns, 'same-name', { description: `from ${ns}`, agentRef: { name: 'opencode-agent', namespace: platform } });
  }
  const a = await s.waitForTask(first, 'same-name', (t) => !!t.status?.startTime, 'started');
  const b = await s.waitForTask(other, 'same-name', (t) => !!t.status?.startTime, 'started');
  expect(a.status?.podName).not.toBe(b.status?.podName);
  const cmA = await s.core.readNamespacedConfigMap({ namespace: platform, name: a.status!.podName! });
  const cmB = await s.core.readNamespacedConfigMap({ namespace: platform, name: b.status!.podName! });
  expect(cmA.data?.['task.md']).toBe(`from ${first}\n`);
  expect(cmB.data?.['task.md']).toBe(`from ${other}\n`);
});

test('a ConfigMap context of a cross-namespace Task is read in the Task\'s namespace and copied, never mounted across', async () => {
  const team = await s.namespace({}, 'xns-dev');
  await s.core.createNamespacedConfigMap({ namespace: team, body: { metadata: { name: 'team-rules' }, data: { 'rules.md': 'Team A rules' } } });
  await s.createTask(team, 'with-rules', {
    description: 'x',
    agentRef: { name: 'opencode-agent', namespace: platform },
    contexts: [{ type: 'ConfigMap', configMap: { name: 'team-rules', key: 'rules.md' } }],
  });
  const started = await s.waitForTask(team, 'with-rules', (t) => !!t.status?.startTime, 'started');
  const copy = await s.core.readNamespacedConfigMap({ namespace: platform, name: started.status!.podName! });
  expect(copy.data?.['task.md']).toContain('Team A rules');
  const pod = await s.pod(platform, started.status!.podName!);
  const configMapsMounted = (pod?.spec?.volumes ?? []).filter((v) => v.configMap).map((v) => v.configMap!.name);
  expect(configMapsMounted).toEqual([started.status!.podName]);
});
