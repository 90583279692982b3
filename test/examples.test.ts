import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplesApp } from '../examples/synth-all.js';
import { applyDefaults, formatFieldErrors, validateObject } from '../src/api/validate.js';
import { renderTask } from '../src/reconciler/render.js';

const ours = (o: any) => o.apiVersion === 'kubeopencode.io/v1alpha1';

describe('the examples', () => {
  const app = examplesApp('/nonexistent');
  const objects = app.charts.flatMap((c) => c.toJson());

  test('synthesize the CRDs and the example resources', () => {
    expect(app.charts.map((c) => c.node.id)).toEqual(['crds', 'tasks-as-code', 'cross-namespace', 'outputs', 'contexts', 'scheduled', 'mcp-servers', 'retries', 'github-pr-review', 'gitops']);
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(4);
    expect(objects.filter((o) => o.kind === 'CronTask').map((t) => t.metadata.name)).toEqual(['weekday-deps', 'nightly-review']);
    expect(objects.filter((o) => o.kind === 'Task').map((t) => `${t.metadata.namespace}/${t.metadata.name}`)).toEqual([
      'kubeopencode-system/update-service-a', 'kubeopencode-system/update-service-b', 'kubeopencode-system/update-service-c',
      'dev-team-a/fix-bug-123', 'dev-team-b/fix-bug-123', 'default/my-task', 'default/review-api', 'platform-agents/triage-issues',
      'default/fix-flaky-tests', 'default/run-migration',
    ]);
  });

  test('every Agent and Task is valid', () => {
    for (const o of objects.filter(ours)) expect(`${o.kind} ${o.metadata.name}: ${formatFieldErrors(validateObject(o.kind, o))}`).toBe(`${o.kind} ${o.metadata.name}: `);
  });

  test('every Task renders to a Pod in its Agent\'s namespace', () => {
    const configMaps = Object.fromEntries(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.data]));
    for (const task of objects.filter((o) => o.kind === 'Task').map((t) => applyDefaults('Task', t) as any)) {
      const ref = task.spec.agentRef;
      const agent = objects.find((o) => o.kind === 'Agent' && o.metadata.name === ref.name && o.metadata.namespace === (ref.namespace ?? task.metadata.namespace));
      expect(agent).toBeDefined();
      const { pod } = renderTask({ task, agent: applyDefaults('Agent', agent), configMaps });
      expect(pod.metadata.namespace).toBe(agent.metadata.namespace);
    }
  });

  test('every CronTask\'s Task template is a valid Task that renders to a Pod in its Agent\'s namespace', () => {
    for (const cron of objects.filter((o) => o.kind === 'CronTask')) {
      const task = { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name: `${cron.metadata.name}-1`, namespace: cron.metadata.namespace }, spec: cron.spec.taskTemplate.spec };
      expect(formatFieldErrors(validateObject('Task', task))).toBe('');
      const defaulted = applyDefaults('Task', task) as any;
      const agent = objects.find((o) => o.kind === 'Agent' && o.metadata.name === defaulted.spec.agentRef.name);
      expect(renderTask({ task: defaulted, agent: applyDefaults('Agent', agent), configMaps: {} }).pod.metadata.namespace).toBe(agent.metadata.namespace);
    }
  });

  test('the event-driven and GitOps examples synthesize what Argo Events, Argo CD and Flux read', () => {
    const theirs = app.charts.filter((c) => ['github-pr-review', 'gitops'].includes(c.node.id)).flatMap((c) => c.toJson()).filter((o) => !ours(o));
    expect(theirs.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'EventSource pr-review/github-pr-review', 'ServiceAccount pr-review/github-pr-review-sensor',
      'Role pr-review/github-pr-review-create-tasks', 'RoleBinding pr-review/github-pr-review-create-tasks',
      'Sensor pr-review/github-pr-review',
      'Application argocd/kubeopencode-tasks', 'GitRepository flux-system/kubeopencode-tasks', 'Kustomization flux-system/kubeopencode-tasks',
    ]);
  });

  test('every Task that a Sensor creates is valid and renders to a Pod in its Agent\'s namespace', () => {
    const templates = objects.filter((o) => o.kind === 'Sensor')
      .flatMap((s) => s.spec.triggers.map((t: any) => t.template.k8s.source.resource));
    expect(templates).toHaveLength(1);
    for (const template of templates) {
      // What the API server does with generateName, so that the template is a whole Task.
      const task = { ...template, metadata: { ...template.metadata, name: `${template.metadata.generateName}x7k2p` } };
      expect(formatFieldErrors(validateObject('Task', task))).toBe('');
      const defaulted = applyDefaults('Task', task) as any;
      const ref = defaulted.spec.agentRef;
      const agent = objects.find((o) => o.kind === 'Agent' && o.metadata.name === ref.name && o.metadata.namespace === (ref.namespace ?? task.metadata.namespace));
      expect(agent).toBeDefined();
      expect(renderTask({ task: defaulted, agent: applyDefaults('Agent', agent), configMaps: {} }).pod.metadata.namespace).toBe(agent.metadata.namespace);
    }
  });

  test('`npm run synth` writes one file per chart into dist/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-'));
    try {
      examplesApp(dir).synth();
      expect(readdirSync(dir).sort()).toEqual(['contexts.k8s.yaml', 'crds.k8s.yaml', 'cross-namespace.k8s.yaml', 'github-pr-review.k8s.yaml', 'gitops.k8s.yaml',
        'mcp-servers.k8s.yaml', 'outputs.k8s.yaml', 'retries.k8s.yaml', 'scheduled.k8s.yaml', 'tasks-as-code.k8s.yaml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
