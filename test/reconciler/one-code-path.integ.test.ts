/**
 * The one-code-path promise as a test: the Pod the reconciler creates equals the one
 * `kubeopencode render` prints for the same Task and Agent, except for the fields the API
 * server adds (defaults, uid, timestamps).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { Scenario } from './support.js';
import { parseManifests, toYaml } from '../../src/cli/manifests.js';

jest.setTimeout(60_000);

const s = new Scenario('render');
afterAll(() => s.stop());

/** Where `expected` has a value, `actual` has the same one (the API server may add more). */
function differences(expected: unknown, actual: unknown, path = ''): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: ${JSON.stringify(expected)} != ${JSON.stringify(actual)}`];
    return expected.flatMap((e, i) => differences(e, actual[i], `${path}[${i}]`));
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return [`${path}: missing`];
    return Object.entries(expected).flatMap(([k, v]) => differences(v, (actual as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return expected === actual ? [] : [`${path}: ${JSON.stringify(expected)} != ${JSON.stringify(actual)}`];
}

test('the Pod and ConfigMap in the cluster are what `kubeopencode render` prints', async () => {
  await s.start();
  const ns = await s.namespace({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  await s.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'standards' }, data: { 'rules.md': '- Be kind\n' } } });
  const agent = await s.createAgent(ns, 'default', {
    serviceAccountName: 'agent-sa',
    credentials: [{ name: 'key', secretRef: { name: 'ai', key: 'api-key' }, env: 'API_KEY' }],
    outputs: { parameters: [{ name: 'summary', path: '.outputs/summary', default: 'none' }] },
    podSpec: { labels: { team: 'a' }, resources: { limits: { memory: '1Gi' } } },
    contexts: [{ type: 'Runtime' }],
  });
  const task = await s.createTask(ns, 'compare', {
    description: 'Compare both paths',
    timeoutSeconds: 600,
    contexts: [
      { type: 'ConfigMap', configMap: { name: 'standards' } },
      { type: 'Git', git: { repository: 'https://example.com/repo.git', ref: 'main' }, mountPath: 'src' },
      { type: 'URL', url: { source: 'https://example.com/spec.yaml' }, mountPath: 'spec.yaml' },
    ],
  });
  const started = await s.waitForTask(ns, 'compare', (t) => !!t.status?.startTime, 'started');
  const podName = started.status!.podName!;
  const live = await s.core.readNamespacedPod({ namespace: ns, name: podName });
  const liveCm = await s.core.readNamespacedConfigMap({ namespace: ns, name: podName });

  const dir = mkdtempSync(join(tmpdir(), 'render-'));
  try {
    const cm = await s.core.readNamespacedConfigMap({ namespace: ns, name: 'standards' });
    const inputs = [
      await s.getAgent(ns, agent.metadata.name), await s.getTask(ns, task.metadata.name),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: cm.metadata, data: cm.data },
    ];
    writeFileSync(join(dir, 'inputs.yaml'), toYaml(inputs));
    const result = spawnSync(process.execPath, [new URL('../../bin/kubeopencode.js', import.meta.url).pathname, 'render', '-f', join(dir, 'inputs.yaml')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const [renderedCm, renderedPod] = parseManifests(result.stdout, 'render');
    expect(renderedPod.metadata?.labels?.['kubeopencode.io/task-uid']).toBe(task.metadata.uid);
    expect(differences(renderedPod, live)).toEqual([]);
    expect(differences(renderedCm, liveCm)).toEqual([]);
    // And the comparison has teeth: the rendered Pod is a large part of the live one.
    expect(JSON.stringify(renderedPod).length).toBeGreaterThan(3000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
