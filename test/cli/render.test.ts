import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifests } from '../../src/cli/manifests.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/kubeopencode.js');
const seed = (file: string) => join(root, 'examples/seed-readme', file);

/** Runs the compiled CLI as a user would (`npm test` compiles before the tests). */
function kubeopencode(...args: string[]) {
  if (!existsSync(join(root, 'lib/src/cli/main.js'))) throw new Error('lib/ is missing: run `npm run compile` first');
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kubeopencode render (run as a process)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'render-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the seed\'s cross-namespace example: the Pod runs in the Agent\'s namespace with its credentials', () => {
    const { code, stdout, stderr } = kubeopencode('render', '-f', seed('09-cross-namespace.yaml'));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [configMap, pod] = parseManifests(stdout, 'stdout');
    expect(configMap.kind).toBe('ConfigMap');
    expect(configMap.metadata?.namespace).toBe('platform-agents');
    expect(configMap.data['task.md']).toBe('Fix the bug in authentication module\n');
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata?.namespace).toBe('platform-agents');
    expect(pod.metadata?.labels['kubeopencode.io/task-namespace']).toBe('dev-team-a');
    const agent = pod.spec.containers.find((c: any) => c.name === 'agent');
    expect(agent.env).toContainEqual({ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'anthropic-credentials', key: 'api-key' } } });
    expect(agent.env).toContainEqual({ name: 'TASK_NAMESPACE', value: 'dev-team-a' });
    expect(pod.spec.serviceAccountName).toBe('kubeopencode-agent');
  });

  test('JSON output of the quick-start Agent and Task, defaults applied', () => {
    const { code, stdout } = kubeopencode('render', '-f', seed('01-quick-start-agent.yaml'), '-f', seed('02-quick-start-task.yaml'), '-o', 'json');
    expect(code).toBe(0);
    const [configMap, pod] = JSON.parse(stdout);
    expect(configMap.data['task.md']).toContain('Update dependencies to latest versions.');
    expect(configMap.data['task.md']).toContain('<context name="context-0" type="Text">\n# Coding Standards');
    expect(pod.metadata.namespace).toBe('kubeopencode-system');
  });

  test('a Task whose namespace the Agent does not allow is refused', () => {
    const file = join(dir, 'denied.yaml');
    writeFileSync(file, `
apiVersion: kubeopencode.io/v1alpha1
kind: Agent
metadata: { name: opencode-agent, namespace: platform-agents }
spec: { allowedNamespaces: ["dev-*"] }
---
apiVersion: kubeopencode.io/v1alpha1
kind: Task
metadata: { name: t, namespace: prod }
spec: { description: x, agentRef: { name: opencode-agent, namespace: platform-agents } }
`);
    const { code, stderr } = kubeopencode('render', '-f', file);
    expect(code).toBe(1);
    expect(stderr).toBe('kubeopencode render: Task prod/t: Agent platform-agents/opencode-agent does not allow Tasks from namespace prod\n');
  });

  test('an invalid Task is refused with its field errors', () => {
    const file = join(dir, 'invalid.yaml');
    writeFileSync(file, `
apiVersion: kubeopencode.io/v1alpha1
kind: Task
metadata: { name: t }
spec:
  description: x
  contexts: [{ type: Git, git: { repository: "https://h/r.git" } }]
`);
    const { code, stderr } = kubeopencode('render', '-f', file);
    expect(code).toBe(1);
    expect(stderr).toContain('Task default/t is invalid:\n  spec.contexts[0]: a Git context needs mountPath');
  });

  test('a missing Agent and a missing file are clear errors', () => {
    expect(kubeopencode('render', '-f', seed('02-quick-start-task.yaml')).stderr)
      .toBe('kubeopencode render: Task kubeopencode-system/update-service-a: Agent kubeopencode-system/default is not in the input files\n');
    const missing = kubeopencode('render', '-f', join(dir, 'nope.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ENOENT.*nope\.yaml/);
  });

  test('an unknown option prints the error and the usage, exit 2, no stack trace', () => {
    const { code, stdout, stderr } = kubeopencode('render', '--bogus');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^kubeopencode render: error: Unknown option '--bogus'\n\nUsage: kubeopencode render \[options\]/);
    expect(stderr).toContain('-f, --filename FILE');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test('a bad --output is one line, exit 2', () => {
    const { code, stderr } = kubeopencode('render', '-f', seed('01-quick-start-agent.yaml'), '-o', 'xml');
    expect(code).toBe(2);
    expect(stderr).toBe('kubeopencode render: error: --output must be yaml or json, got "xml" (see "kubeopencode render --help")\n');
  });

  test('no arguments print the usage and exit 2', () => {
    const { code, stderr } = kubeopencode('render');
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: kubeopencode render');
  });
});
