import { applyDefaults, formatFieldErrors, validateObject } from '../../src/api/validate.js';

const task = (spec: object) => ({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name: 't' }, spec });
const agent = (spec: object) => ({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Agent', metadata: { name: 'a' }, spec });

describe('offline validation (the CRD schema plus the TypeScript twins of its CEL rules)', () => {
  test('accepts a minimal Task', () => {
    expect(validateObject('Task', task({ description: 'Fix the bug' }))).toEqual([]);
  });

  test.each([
    ['an empty description', task({ description: '' }), 'spec.description'],
    ['a missing description', task({}), 'spec.description'],
    ['an unknown field', task({ description: 'x', priority: 1 }), 'spec.priority'],
    ['a Git context without git', task({ description: 'x', contexts: [{ type: 'Git', mountPath: 'src' }] }), 'spec.contexts[0]'],
    ['a Git context without mountPath', task({ description: 'x', contexts: [{ type: 'Git', git: { repository: 'https://h/r.git' } }] }), 'spec.contexts[0]'],
    ['text on a URL context', task({ description: 'x', contexts: [{ type: 'URL', text: 'x', url: { source: 'https://h/x' } }] }), 'spec.contexts[0]'],
    ['a mountPath with ..', task({ description: 'x', contexts: [{ type: 'Text', text: 'x', mountPath: '../etc/passwd' }] }), 'spec.contexts[0].mountPath'],
    ['a mountPath under /tools', task({ description: 'x', contexts: [{ type: 'Text', text: 'x', mountPath: '/tools/opencode' }] }), 'spec.contexts[0].mountPath'],
    ['a git ref starting with -', task({ description: 'x', contexts: [{ type: 'Git', mountPath: 's', git: { repository: 'https://h/r', ref: '--upload-pack=x' } }] }), 'spec.contexts[0].git.ref'],
    ['a file:// repository', task({ description: 'x', contexts: [{ type: 'Git', mountPath: 's', git: { repository: 'file:///etc' } }] }), 'spec.contexts[0].git.repository'],
    ['an ftp URL', task({ description: 'x', contexts: [{ type: 'URL', url: { source: 'ftp://h/x' } }] }), 'spec.contexts[0].url.source'],
    ['duplicate output names', task({ description: 'x', outputs: { parameters: [{ name: 'a', path: 'a' }, { name: 'a', path: 'b' }] } }), 'spec.outputs.parameters[1]'],
    ['a zero timeout', task({ description: 'x', timeoutSeconds: 0 }), 'spec.timeoutSeconds'],
    ['an unknown context type', task({ description: 'x', contexts: [{ type: 'Secret' }] }), 'spec.contexts[0].type'],
  ])('refuses %s, naming the field', (_what, obj, field) => {
    const errors = validateObject('Task', obj);
    expect(errors.map((e) => e.field)).toContain(field);
  });

  test.each([
    ['a credential key with nowhere to go', { credentials: [{ name: 'c', secretRef: { name: 's', key: 'k' } }] }, 'spec.credentials[0]'],
    ['env without a key', { credentials: [{ name: 'c', secretRef: { name: 's' }, env: 'X' }] }, 'spec.credentials[0]'],
    ['a relative credential mountPath', { credentials: [{ name: 'c', secretRef: { name: 's' }, mountPath: 'x' }] }, 'spec.credentials[0].mountPath'],
    ['a negative maxConcurrentTasks', { maxConcurrentTasks: -1 }, 'spec.maxConcurrentTasks'],
    ['a bad namespace glob', { allowedNamespaces: ['Dev Team'] }, 'spec.allowedNamespaces[0]'],
    ['a workspaceDir of /', { workspaceDir: '/' }, 'spec.workspaceDir'],
    ['a reserved Pod label', { podSpec: { labels: { 'kubeopencode.io/task': 'x' } } }, 'spec.podSpec.labels'],
  ])('refuses an Agent with %s', (_what, spec, field) => {
    expect(validateObject('Agent', agent(spec)).map((e) => e.field)).toContain(field);
  });

  test('messages say what is wrong in words', () => {
    const errors = validateObject('Task', task({ description: 'x', contexts: [{ type: 'Git', git: { repository: 'https://h/r' } }] }));
    expect(formatFieldErrors(errors)).toBe('spec.contexts[0]: a Git context needs mountPath: the repository is cloned there');
  });

  test('the config must be named cluster', () => {
    const errors = validateObject('KubeOpenCodeConfig', { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'KubeOpenCodeConfig', metadata: { name: 'default' }, spec: {} });
    expect(errors).toEqual([{ field: '<root>', message: "KubeOpenCodeConfig is a cluster-wide singleton: its name must be 'cluster'" }]);
  });

  test('applies the CRD defaults as the API server does', () => {
    const t = applyDefaults('Task', task({ description: 'x', contexts: [{ type: 'Git', mountPath: 's', git: { repository: 'https://h/r' } }] })) as any;
    expect(t.spec.agentRef).toEqual({ name: 'default' });
    expect(t.spec.contexts[0].git.depth).toBe(1);
    const a = applyDefaults('Agent', agent({})) as any;
    expect(a.spec).toEqual({
      agentImage: 'quay.io/kubeopencode/kubeopencode-agent-opencode:latest',
      executorImage: 'quay.io/kubeopencode/kubeopencode-agent-devbox:latest',
      workspaceDir: '/workspace',
      command: ['sh', '-c', '/tools/opencode run "$(cat ${WORKSPACE_DIR}/task.md)"'],
    });
  });

  test('defaulting leaves the input untouched', () => {
    const input = task({ description: 'x' });
    applyDefaults('Task', input);
    expect(input.spec).toEqual({ description: 'x' });
  });
});
