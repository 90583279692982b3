import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helmBinary } from '../harness/operator/helm.js';
import { formatFieldErrors, validateObject } from '../src/api/validate.js';
import { parseManifests } from '../src/cli/manifests.js';

const dir = new URL('../examples/seed-readme/', import.meta.url).pathname;
const objectFiles = readdirSync(dir).filter((f) => /^\d\d-.*\.yaml$/.test(f) && !f.includes('fragment'));

function errorsOf(doc: any): string {
  return formatFieldErrors(validateObject(doc.kind, doc));
}

describe('the YAML examples of the seed README (our contract)', () => {
  test('are all here', () => {
    expect(objectFiles).toHaveLength(9);
  });

  test.each(objectFiles)('%s is valid against the CRD schemas and rules', (file) => {
    const docs = parseManifests(readFileSync(join(dir, file), 'utf8'), file);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc.apiVersion).toBe('kubeopencode.io/v1alpha1');
      expect(errorsOf(doc)).toBe('');
    }
  });

  test('the contexts example is valid in a Task and in an Agent', () => {
    const [fragment] = parseManifests(readFileSync(join(dir, '03-contexts-fragment.yaml'), 'utf8'), 'fragment');
    expect(fragment.contexts).toHaveLength(4);
    const base = { apiVersion: 'kubeopencode.io/v1alpha1', metadata: { name: 'x' } };
    expect(errorsOf({ ...base, kind: 'Task', spec: { description: 'x', contexts: fragment.contexts } })).toBe('');
    expect(errorsOf({ ...base, kind: 'Agent', spec: { contexts: fragment.contexts } })).toBe('');
  });

  test('fileMode 0400 reads as octal, as kubectl reads it', () => {
    const [agent] = parseManifests(readFileSync(join(dir, '04-agent-configuration.yaml'), 'utf8'), 'agent');
    expect(agent.spec.credentials[1].fileMode).toBe(0o400);
  });

  test('the Helm batch example renders three valid Tasks', () => {
    const helm = helmBinary();
    let out: string;
    try {
      out = execFileSync(helm, ['template', 'my-tasks', new URL('../examples/helm-batch', import.meta.url).pathname], { encoding: 'utf8' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && process.env.KUBEOPENCODE_NO_CLUSTER === '1') return; // helm is built with the control plane
      throw e;
    }
    const tasks = parseManifests(out, 'helm template');
    expect(tasks.map((t) => t.metadata?.name)).toEqual(['update-service-a', 'update-service-b', 'update-service-c']);
    for (const t of tasks) expect(errorsOf(t)).toBe('');
  });
});
