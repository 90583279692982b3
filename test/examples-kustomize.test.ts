/**
 * examples/kustomize-batch: the seed README's batch example with Kustomize. Built with the
 * real `kubectl kustomize`, and every Task it outputs validated like the API server would.
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { formatFieldErrors, validateObject } from '../src/api/validate.js';

const dir = new URL('../examples/kustomize-batch', import.meta.url).pathname;

describe('examples/kustomize-batch', () => {
  const output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  const objects = parseAllDocuments(output).map((d) => d.toJS()).filter(Boolean);

  test('builds one Task per service, named like the Helm batch example of the seed', () => {
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Task kubeopencode-system/update-service-a',
      'Task kubeopencode-system/update-service-b',
      'Task kubeopencode-system/update-service-c',
    ]);
  });

  test('each Task is patched for its service', () => {
    for (const service of ['service-a', 'service-b', 'service-c']) {
      const task = objects.find((o) => o.metadata.name === `update-${service}`);
      expect(task.spec.description).toBe(`Update dependencies for ${service}`);
      expect(task.spec.contexts).toEqual([{ type: 'Git', git: { repository: `https://github.com/org/${service}.git`, ref: 'main' }, mountPath: 'source' }]);
      expect(task.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'dependency-updates', 'example.com/repo': service });
    }
  });

  test('every Task it outputs is valid', () => {
    for (const task of objects) expect(`${task.metadata.name}: ${formatFieldErrors(validateObject('Task', task))}`).toBe(`${task.metadata.name}: `);
  });
});
