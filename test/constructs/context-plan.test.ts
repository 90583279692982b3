import { ContextError, planContexts, ResolvedContext } from '../../src/constructs/context-plan.js';
import { RUNTIME_PROMPT } from '../../src/constructs/runtime-prompt.js';
import { ContextItem } from '../../src/constructs/types.js';

const ctx = (item: ContextItem, configMapData?: Record<string, string>): ResolvedContext => ({ item, origin: 'Task ns/t spec.contexts[0]', configMapData });
const plan = (contexts: ResolvedContext[], extra: object = {}) => planContexts({ description: 'Fix the bug.', workspaceDir: '/workspace', contexts, ...extra });

describe('planContexts (pure)', () => {
  test('task.md is the description followed by each aggregated context in order', () => {
    const p = plan([
      ctx({ type: 'Text', name: 'standards', text: '- Use names' }),
      ctx({ type: 'ConfigMap', configMap: { name: 'scripts' } }, { 'b.sh': 'echo b', 'a.sh': 'echo a\n' }),
      ctx({ type: 'ConfigMap', configMap: { name: 'cfg', key: 'k' }, description: 'The "config"' }, { k: 'v' }),
    ]);
    expect(p.data['task.md']).toBe([
      'Fix the bug.',
      '',
      '<context name="standards" type="Text">',
      '- Use names',
      '</context>',
      '',
      '<context name="scripts" type="ConfigMap">',
      '<file name="a.sh">',
      'echo a',
      '</file>',
      '<file name="b.sh">',
      'echo b',
      '</file>',
      '</context>',
      '',
      '<context name="cfg/k" type="ConfigMap" description="The &quot;config&quot;">',
      'v',
      '</context>',
      '',
    ].join('\n'));
  });

  test('the Runtime context is the fixed system prompt', () => {
    expect(plan([ctx({ type: 'Runtime' })]).data['task.md']).toContain(RUNTIME_PROMPT);
  });

  test('a URL context without mountPath leaves an insert point for context-init', () => {
    const p = plan([ctx({ type: 'URL', url: { source: 'https://example.com/spec.yaml' } })]);
    const md = p.data['task.md'];
    expect(p.init.taskMdInserts).toEqual([{ offset: md.indexOf('</context>'), file: '/kubeopencode/fetched/url-0/content' }]);
    expect(md.slice(0, p.init.taskMdInserts[0].offset)).toMatch(/<context name="https:\/\/example.com\/spec.yaml" type="URL">\n$/);
    expect(p.urlFetches).toEqual([expect.objectContaining({ index: 0, source: 'https://example.com/spec.yaml', mountPath: undefined, timeoutSeconds: 30 })]);
  });

  test('mounted contexts inside the workspace are written by context-init with their modes', () => {
    const p = plan([
      ctx({ type: 'Text', text: 'rules', mountPath: 'docs/RULES.md' }),
      ctx({ type: 'ConfigMap', configMap: { name: 'scripts' }, mountPath: '.scripts', fileMode: 0o755 }, { 'run.sh': 'echo' }),
    ]);
    expect(p.init.files).toEqual([{ key: 'file-0', path: '/workspace/docs/RULES.md', mode: 0o644 }]);
    expect(p.init.dirs).toEqual([{ path: '/workspace/.scripts', mode: 0o755, entries: [{ key: 'dir-0.run.sh', name: 'run.sh' }] }]);
    expect(p.data['file-0']).toBe('rules');
    expect(p.data['dir-0.run.sh']).toBe('echo');
    expect(JSON.parse(p.data['plan.json'])).toEqual(p.init);
  });

  test('mounted contexts outside the workspace are mounted, not written', () => {
    const p = plan([ctx({ type: 'Text', text: 'x', mountPath: '/etc/agent/config.toml', fileMode: 0o600 })]);
    expect(p.init.files).toEqual([]);
    expect(p.mountedFiles).toEqual([{ key: 'file-0', path: '/etc/agent/config.toml', mode: 0o600 }]);
  });

  test('a Git context at the workspace root clones into the workspace itself', () => {
    const p = plan([
      ctx({ type: 'Git', git: { repository: 'https://h/r.git', ref: 'main' }, mountPath: '.' }),
      ctx({ type: 'Text', text: 'notes', mountPath: 'NOTES.md' }),
    ]);
    expect(p.gitClones[0]).toMatchObject({ intoWorkspace: true, mountPath: '/workspace', ref: 'main', depth: 1 });
  });

  test.each([
    ['two contexts at one path', [ctx({ type: 'Text', text: 'a', mountPath: 'x.md' }), ctx({ type: 'Text', text: 'b', mountPath: '/workspace/x.md' })], /both use the path \/workspace\/x.md/],
    ['a file inside a Git clone', [ctx({ type: 'Git', git: { repository: 'https://h/r' }, mountPath: 'src' }), ctx({ type: 'Text', text: 'b', mountPath: 'src/a.md' })], /inside .* which is mounted over it/],
    ['a file at the workspace itself', [ctx({ type: 'Text', text: 'a', mountPath: '/workspace' })], /cannot be written at the workspace directory/],
  ])('refuses %s', (_what, contexts, message) => {
    expect(() => plan(contexts)).toThrow(ContextError);
    expect(() => plan(contexts)).toThrow(message);
  });

  test('refuses a context that collides with a credential mount', () => {
    expect(() => plan([ctx({ type: 'Text', text: 'a', mountPath: '/home/agent/.ssh/id_rsa' })], {
      credentials: [{ name: 'ssh', secretRef: { name: 's', key: 'id_rsa' }, mountPath: '/home/agent/.ssh/id_rsa' }],
    })).toThrow(/credential ssh/);
  });

  test('a missing ConfigMap is a retryable error; an optional one is empty', () => {
    let error: unknown;
    try {
      plan([ctx({ type: 'ConfigMap', configMap: { name: 'gone' } })]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContextError);
    expect((error as ContextError).retryable).toBe(true);
    expect((error as Error).message).toBe('Task ns/t spec.contexts[0]: ConfigMap gone not found');
    expect(plan([ctx({ type: 'ConfigMap', configMap: { name: 'gone', optional: true } })]).data['task.md']).toContain('<context name="gone" type="ConfigMap">\n</context>');
  });

  test('a missing key is an error naming the key', () => {
    expect(() => plan([ctx({ type: 'ConfigMap', configMap: { name: 'cm', key: 'k' } }, { other: '' })])).toThrow('ConfigMap cm has no key k');
  });

  test('refuses contexts too large for a ConfigMap', () => {
    const big = 'x'.repeat(200 * 1024);
    const contexts = Array.from({ length: 6 }, (_, i) => ctx({ type: 'Text', text: big, name: `c${i}` }));
    expect(() => plan(contexts)).toThrow(/more than the 1024000 bytes a ConfigMap can hold/);
  });
});

describe('parents of mount points (pure)', () => {
  test('are listed, outermost first, for mounts inside the workspace and home, so the agent\'s user owns them', () => {
    const p = planContexts({
      description: 'd',
      workspaceDir: '/workspace',
      homeDir: '/home/agent',
      contexts: [
        { item: { type: 'Git', git: { repository: 'https://h/r' }, mountPath: 'deps/lib/repo' }, origin: 'o' },
        { item: { type: 'URL', url: { source: 'https://h/x' }, mountPath: 'specs/openapi.yaml' }, origin: 'o' },
      ],
      credentials: [{ name: 'ssh', secretRef: { name: 's', key: 'k' }, mountPath: '/home/agent/.ssh/id_rsa' }, { name: 'etc', secretRef: { name: 'e' }, mountPath: '/etc/creds' }],
    });
    // Shallowest first, so that every parent exists before its children.
    expect(p.init.directories).toEqual(['/workspace/deps', '/workspace/specs', '/home/agent/.ssh', '/workspace/deps/lib']);
    expect(p.init.homeDir).toBe('/home/agent');
  });
});
