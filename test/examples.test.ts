import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyDefaults, formatFieldErrors, validateObject } from '../src/api/validate.js';
import { renderTask } from '../src/reconciler/render.js';
import { examplesApp } from '../examples/synth-all.js';

const ours = (o: any) => o.apiVersion === 'kubeopencode.io/v1alpha1';

describe('the examples', () => {
  const app = examplesApp('/nonexistent');
  const objects = app.charts.flatMap((c) => c.toJson());

  test('synthesize the CRDs and the example resources', () => {
    expect(app.charts.map((c) => c.node.id)).toEqual(['crds', 'tasks-as-code', 'cross-namespace', 'outputs', 'contexts']);
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(3);
    expect(objects.filter((o) => o.kind === 'Task').map((t) => `${t.metadata.namespace}/${t.metadata.name}`)).toEqual([
      'kubeopencode-system/update-service-a', 'kubeopencode-system/update-service-b', 'kubeopencode-system/update-service-c',
      'dev-team-a/fix-bug-123', 'dev-team-b/fix-bug-123', 'default/my-task', 'default/review-api',
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

  test('`npm run synth` writes one file per chart into dist/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-'));
    try {
      examplesApp(dir).synth();
      expect(readdirSync(dir).sort()).toEqual(['contexts.k8s.yaml', 'crds.k8s.yaml', 'cross-namespace.k8s.yaml', 'outputs.k8s.yaml', 'tasks-as-code.k8s.yaml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
