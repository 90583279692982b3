/**
 * The people-facing commands without a cluster: --help, usage errors (one line, exit 2,
 * before any connection), shell completion; and the pure parts (flag parsing, durations,
 * tables, kubectl's error wording).
 */
import { removeTempDirs, runCli } from './helpers.js';
import { lines } from './kube-cli.js';
import { humanDuration, parseDuration } from '../../src/cli/kube/duration.js';
import { kubectlMessage } from '../../src/cli/kube/errors.js';
import { formatTable } from '../../src/cli/kube/table.js';
import { buildRun, parseGit } from '../../src/cli/run-spec.js';
import { parseFor } from '../../src/cli/wait.js';
import { ApiError, NetworkError } from '../../src/reconciler/runtime/api-errors.js';

afterAll(removeTempDirs);

const PEOPLE = ['run', 'get', 'describe', 'logs', 'stop', 'wait', 'completion'];

describe('--help', () => {
  test('the top-level help lists the commands (not the hidden one)', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const name of PEOPLE) expect(r.stdout).toMatch(new RegExp(`\\n {2}${name} +\\S`));
    expect(r.stdout).not.toContain('__complete');
  });

  test.each(PEOPLE)('%s --help: usage, arguments and options, exit 0', async (name) => {
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: kubeopencode ${name} \\[options\\]`));
    expect(r.stdout).toContain('-h, --help');
    if (name !== 'completion') expect(r.stdout).toContain('-n, --namespace NS');
  });

  test('positional arguments are shown in the synopsis', async () => {
    expect((await runCli(['get', '--help'])).stdout).toMatch(/^Usage: kubeopencode get \[options\] TYPE \[NAME\]\n/);
    expect((await runCli(['wait', '--help'])).stdout).toContain('--for WHAT');
  });
});

describe('usage errors: one line, exit 2, no connection attempted', () => {
  test.each([
    [['get'], 'get', 'TYPE is required'],
    [['get', 'pods'], 'get', 'unknown resource type "pods": use tasks (tk) or agents (ag)'],
    [['get', 'tasks', 'x', '-A'], 'get', 'a resource cannot be retrieved by name across all namespaces'],
    [['get', 'tasks', '-o', 'table'], 'get', '--output must be one of wide, yaml, json or name, got "table"'],
    [['get', 'tasks', '--bogus'], 'get', "Unknown option '--bogus'"],
    [['describe', 'agent', 'x'], 'describe', 'unknown resource type "agent": use tasks (tk)'],
    [['describe', 'task'], 'describe', 'NAME is required'],
    [['logs'], 'logs', 'TASK is required'],
    [['logs', 'x', '--tail', 'many'], 'logs', '--tail must be a non-negative integer, got "many"'],
    [['stop'], 'stop', 'TASK is required'],
    [['stop', 'a', 'b'], 'stop', 'unexpected argument "b"'],
    [['wait', 'x'], 'wait', '--for is required'],
    [['wait', 'x', '--for', 'ready'], 'wait', '--for must be phase=PHASE or condition=TYPE[=STATUS], got "ready"'],
    [['wait', 'x', '--for=phase=Completed', '--timeout', 'abc'], 'wait', '--timeout: invalid duration "abc" (examples: 90s, 5m, 1h30m)'],
    [['completion', 'fish'], 'completion', 'unsupported shell "fish": use bash or zsh'],
  ])('%j', async (args, name, message) => {
    // A kubeconfig that does not exist: a command that tried to connect would say so instead.
    const r = await runCli(args, { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`kubeopencode ${name}: error: ${message}`);
  });

  test('no kubeconfig at all: kubectl\'s one line, exit 1', async () => {
    const r = await runCli(['get', 'tasks', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'error: stat /nonexistent/kubeconfig: no such file or directory\n' });
  });
});

describe('completion', () => {
  test('bash and zsh scripts call the hidden __complete command', async () => {
    const bash = await runCli(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('__complete');
    expect(bash.stdout).toContain('complete -o default -F _kubeopencode kubeopencode kubectl-kubeopencode');
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef kubeopencode kubectl-kubeopencode\n/);
  });

  test.each([
    [[''], ['run', 'get', 'describe', 'logs', 'stop', 'wait', 'completion']],
    [['get', ''], ['tasks', 'agents']],
    [['describe', ''], ['task']],
    [['get', 'tasks', '-o', ''], ['wide', 'yaml', 'json', 'name']],
    [['wait', 'x', '--for', ''], ['phase=Completed', 'condition=Ready']],
    [['stop', '--'], ['--namespace', '--kubeconfig', '--context', '--help']],
    [['completion', ''], ['bash', 'zsh']],
    // Names come from the cluster; without one there are none, and no error.
    [['logs', ''], []],
  ])('__complete %j', async (words, expected) => {
    const r = await runCli(['__complete', ...words], { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toEqual(expected.length ? expect.arrayContaining(expected) : []);
  });
});

describe('run flags (pure)', () => {
  const build = (values: Record<string, unknown>, files: Record<string, string> = {}) => buildRun(values as never, {
    readFile: (p) => {
      if (!(p in files)) throw new Error(`no ${p}`);
      return files[p];
    },
    exists: (p) => p in files,
  });

  test.each([
    ['https://github.com/org/app.git:app', { repository: 'https://github.com/org/app.git', mountPath: 'app' }],
    ['https://github.com/org/app.git@v1.2.0:/src/app', { repository: 'https://github.com/org/app.git', ref: 'v1.2.0', mountPath: '/src/app' }],
    ['https://github.com/org/app.git@feature/x:app', { repository: 'https://github.com/org/app.git', ref: 'feature/x', mountPath: 'app' }],
    ['https://token@github.com/org/app.git@main:app', { repository: 'https://token@github.com/org/app.git', ref: 'main', mountPath: 'app' }],
    ['git@github.com:org/app.git:app', { repository: 'git@github.com:org/app.git', mountPath: 'app' }],
    ['git@github.com:org/app.git@abc123:app', { repository: 'git@github.com:org/app.git', ref: 'abc123', mountPath: 'app' }],
    ['https://git.example.com:8443/org/app.git:app', { repository: 'https://git.example.com:8443/org/app.git', mountPath: 'app' }],
  ])('--git %s', (value, expected) => {
    expect(parseGit(value)).toEqual(expected);
  });

  test.each(['https://github.com/org/app.git', 'app', ':app', 'https://x/y.git:'])('--git %s is a usage error', (value) => {
    expect(() => parseGit(value)).toThrow('--git must be REPOSITORY[@REF]:MOUNTPATH');
  });

  test('--file: a path that exists whole wins over a colon in it; keys are unique', () => {
    const req = build({ description: 'x', file: ['a:b.txt', 'dir/a:b.txt:in/x', 'other/a:b.txt'] }, { 'a:b.txt': 'one', 'dir/a:b.txt': 'two', 'other/a:b.txt': 'three' });
    expect(req.files).toEqual([{ key: 'a_b.txt', content: 'one' }, { key: 'a_b.txt-2', content: 'two' }, { key: 'a_b.txt-3', content: 'three' }]);
    expect(req.task.spec.contexts.map((c: { mountPath?: string }) => c.mountPath)).toEqual([undefined, 'in/x', undefined]);
    expect(req.filesPrefix).toBe('task-files-');
  });

  test('--timeout rounds up to whole seconds and must be at least 1s', () => {
    expect(build({ description: 'x', timeout: '90s' }).task.spec.timeoutSeconds).toBe(90);
    expect(build({ description: 'x', timeout: '1500ms' }).task.spec.timeoutSeconds).toBe(2);
    expect(build({ description: 'x', timeout: '120' }).task.spec.timeoutSeconds).toBe(120);
    expect(() => build({ description: 'x', timeout: '500ms' })).toThrow('--timeout must be at least 1s');
  });
});

test('durations: Go notation in, kubectl\'s AGE out', () => {
  expect(parseDuration('t', '1h30m')).toBe(5_400_000);
  expect(parseDuration('t', '2.5s')).toBe(2500);
  expect(() => parseDuration('t', '5 m')).toThrow('--t: invalid duration "5 m"');
  const s = 1000;
  const [m, h, d] = [60 * s, 3600 * s, 86400 * s];
  expect([0, 59 * s, 119 * s, 120 * s, 200 * s, 600 * s, 179 * m, 3 * h + 5 * m, 30 * h, 3 * d + 4 * h, 40 * d, 800 * d].map(humanDuration))
    .toEqual(['0s', '59s', '119s', '2m', '3m20s', '10m', '179m', '3h5m', '30h', '3d4h', '40d', '2y70d']);
});

test('wait --for', () => {
  expect(parseFor('phase=completed').text).toBe('phase=Completed');
  expect(parseFor('condition=Ready').holds({ conditions: [{ type: 'Ready', status: 'True' }] } as never)).toBe(true);
  expect(parseFor('condition=Stopped=False').holds({ conditions: [{ type: 'Stopped', status: 'True' }] } as never)).toBe(false);
});

test('tables: padded columns three spaces apart, no trailing blanks', () => {
  expect(formatTable(['NAME', 'PHASE'], [['a-long-name', 'Running'], ['b', '']])).toBe('NAME          PHASE\na-long-name   Running\nb\n');
});

describe('errors worded as kubectl words them', () => {
  const status = (code: number, body: object) => new ApiError(code, { kind: 'Status', ...body }, JSON.stringify(body));

  test.each([
    [status(404, { reason: 'NotFound', message: 'tasks.kubeopencode.io "x" not found' }), 'Error from server (NotFound): tasks.kubeopencode.io "x" not found'],
    [status(401, { reason: 'Unauthorized', message: 'Unauthorized' }), 'error: You must be logged in to the server (Unauthorized)'],
    [status(500, { message: 'etcd\nis down' }), 'Error from server: etcd; is down'],
    [new ApiError(404, undefined, '404 page not found'), 'Error from server (NotFound): the server could not find the requested resource'],
    [status(422, { reason: 'Invalid', message: 'm', details: { kind: 'Task', name: 't', causes: [{ field: 'spec.description', message: 'Required value' }] } }),
      'The Task "t" is invalid: spec.description: Required value'],
    [status(422, { reason: 'Invalid', message: 'm', details: { kind: 'Task', name: 't', causes: [{ field: 'a', message: 'x' }, { field: 'b', message: 'y' }] } }),
      'The Task "t" is invalid:\n* a: x\n* b: y'],
    [new NetworkError('https://10.0.0.1:6443', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } })),
      'The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?'],
    [new NetworkError('https://10.0.0.1:6443', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' } })),
      'Unable to connect to the server: getaddrinfo ENOTFOUND x'],
    // A plain request (not fetch) fails with the system error itself.
    [new NetworkError('https://10.0.0.1:6443', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' })),
      'The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?'],
    [new NetworkError('https://10.0.0.1:6443', Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' })),
      'Unable to connect to the server: getaddrinfo ENOTFOUND x'],
  ])('%#', (error, expected) => {
    expect(kubectlMessage(error)).toBe(expected);
  });
});
