/**
 * The seed's "echo" end-to-end flow, without a cluster: a Task and its Agent (from the
 * seed README's YAML) are rendered by renderTask, exactly as the reconciler would create
 * them, and the Pod runs on the local kubelet (test/support/local-kubelet.ts): real
 * processes, real mounts at the Pod's paths, UID 1000. The tools image is simulated by a
 * script that copies a fake `opencode` (the echo agent, echo-agent.ts) into /tools.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { echoAgentScript, readObservations } from './echo-agent.js';
import { AGENT_OUTPUTS, CONFIG_MAPS, echoAgent, echoTask, INSPECT, NAMESPACE, runEchoTask, SECRETS, seedDoc, Servers, URL_DOCUMENTS } from './echo-flow-fixture.js';
import { startUrlServer } from './url-server.js';
import { parseTerminationMessage, terminationMessageLimit } from '../../src/api/outputs-format.js';
import { formatFieldErrors, validateObject } from '../../src/api/validate.js';
import { RUNTIME_PROMPT } from '../../src/constructs/runtime-prompt.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { createFixtureRepo, startGitDaemon, startGitHttp } from '../cli/git-servers.js';
import { makeTempDir, removeTempDirs } from '../cli/helpers.js';
import { LocalKubelet, PodRun } from '../support/local-kubelet.js';

/** Running a Pod takes a few seconds here (every container is set up with mounts); allow a slow machine much more. */
const POD_TIMEOUT_MS = 120_000;

let kubelet: LocalKubelet;
let servers: Servers;

beforeAll(async () => {
  kubelet = LocalKubelet.create(); // throws, saying what is missing, where Pods cannot run
  const repo = createFixtureRepo(makeTempDir('echo-flow-git'));
  servers = {
    repo,
    gitHttp: await startGitHttp(repo.base, { auth: { username: 'git-user', password: 'git-pass' } }),
    gitDaemon: await startGitDaemon(repo.base),
    urls: await startUrlServer(URL_DOCUMENTS),
  };
});

afterAll(async () => {
  await Promise.all([servers?.gitHttp.stop(), servers?.gitDaemon.stop(), servers?.urls.stop()]);
  kubelet?.cleanup();
  removeTempDirs();
});

const runTask = (task: TaskObject, agent: AgentObject, fakeOpencode: string) => runEchoTask(kubelet, task, agent, fakeOpencode);

const logsOf = (run: PodRun): string => run.containers.map((c) => `--- ${c.name} (exit ${c.exitCode})\n${c.stdout}${c.stderr}`).join('\n');

const wrap = (attrs: string, body: string): string => `\n<context ${attrs}>\n${body}</context>\n`;

describe('the echo flow on the local kubelet', () => {
  let run: PodRun;
  let agent: AgentObject;
  let task: TaskObject;
  let containerCount: number;

  beforeAll(async () => {
    agent = echoAgent();
    task = echoTask(servers);
    const result = await runTask(task, agent, echoAgentScript({ inspect: INSPECT, outputs: AGENT_OUTPUTS, gitCheckout: '/workspace/source-code' }));
    run = result.run;
    containerCount = result.rendered.pod.spec.initContainers.length + result.rendered.pod.spec.containers.length;
  }, POD_TIMEOUT_MS);

  test('the Agent and the Task built from the seed YAML are valid objects', () => {
    const errors = (kind: 'Agent' | 'Task', o: object) => formatFieldErrors(validateObject(kind, { apiVersion: 'kubeopencode.io/v1alpha1', kind, ...o }));
    expect(errors('Agent', agent)).toBe('');
    expect(errors('Task', task)).toBe('');
  });

  test('runs the containers in Kubernetes order and the Pod succeeds', () => {
    expect(run.containers.map((c) => [c.name, c.exitCode])).toEqual([
      ['tools', 0], ['git-0', 0], ['git-1', 0], ['url-0', 0], ['url-1', 0], ['context', 0], ['outputs', 0], ['agent', 0],
    ]);
    expect(run.phase).toBe('Succeeded');
    // The sidecar ran through the agent's whole life and ended after it, on SIGTERM, with exit 0.
    expect(run.container('outputs').finishedAt).toBeGreaterThan(run.container('agent').finishedAt);
  });

  test('task.md is the description, then the unmounted contexts in order, the URL content inlined at its place', () => {
    const quickStart = seedDoc('02-quick-start-task.yaml');
    const standards = seedDoc('04-agent-configuration.yaml').spec.contexts[0].text;
    const { 'style.md': style, 'review.md': review } = CONFIG_MAPS['team-docs'];
    const expected = quickStart.spec.description +
      wrap('name="runtime" type="Runtime"', RUNTIME_PROMPT) +
      wrap('name="context-1" type="Text"', standards) +
      wrap('name="context-2" type="Text"', quickStart.spec.contexts[0].text) +
      wrap('name="team-docs/style.md" type="ConfigMap"', style) +
      wrap('name="team-docs" type="ConfigMap"', `<file name="review.md">\n${review}</file>\n<file name="style.md">\n${style}</file>\n`) +
      wrap('name="release-notes" type="URL"', `${URL_DOCUMENTS['/notes.md'].body}\n`) +
      wrap('name="context-14" type="Text"', 'Keep the change small.\n');
    expect(readFileSync(join(run.volumes.path('workspace'), 'task.md'), 'utf8')).toBe(expected);
    // The agent got it as its prompt (the quick-start command: /tools/opencode run "$(cat task.md)") and echoed it.
    expect(run.container('agent').stdout).toBe(expected);
  });

  test('the agent runs as UID 1000 with fsGroup 1000, in the workspace, HOME and /tmp writable, /tools read-only', () => {
    const seen = readObservations(run.volumes.path('workspace'), INSPECT);
    expect(seen.identity).toEqual(['1000', '1000', '/workspace', '/home/agent']);
    expect(Object.fromEntries(seen.writable)).toEqual({
      '/tools': expect.stringContaining('Read-only file system'),
      '/home/agent': 'writable',
      '/tmp': 'writable',
      '/workspace': 'writable',
    });
    expect(seen.env.get('TASK_NAME')).toBe('update-service-a');
    expect(seen.env.get('WORKSPACE_DIR')).toBe('/workspace');
  });

  test('each mounted context is at its path with its mode, seen from inside the agent container', () => {
    const seen = readObservations(run.volumes.path('workspace'), INSPECT);
    // Written by context-init (the agent's user owns them, exact modes); mounted by the kubelet (owned by root,
    // group fsGroup, which adds group read to every file of a ConfigMap or Secret volume).
    expect(Object.fromEntries(seen.stat)).toEqual({
      '/workspace/task.md': '664 1000:1000 regular file',
      '/workspace/rules/AGENT_RULES.md': '600 1000:1000 regular file',
      '/etc/motd.d/kubeopencode': '444 0:1000 regular file',
      '/opt/team/review.md': '440 0:1000 regular file',
      '/workspace/.scripts/setup.sh': '755 1000:1000 regular file',
      '/opt/team-docs': '2777 0:1000 directory',
      '/opt/team-docs/style.md': '444 0:1000 regular file',
      '/workspace/source-code/README.md': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/guides/guide.md': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/guides/api/index.md': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/workspace/specs/openapi.yaml': '644 1000:1000 regular file',
      '/home/agent/.ssh/id_rsa': '440 0:1000 regular file',
      '/home/agent/.config/gh/hosts.yml': '640 0:1000 regular file',
      '/tools/opencode': '755 1000:1000 regular file',
    });
    expect(seen.content.get('/workspace/rules/AGENT_RULES.md')).toBe(seedDoc('03-contexts-fragment.yaml').contexts[0].text);
    expect(seen.content.get('/etc/motd.d/kubeopencode')).toBe('welcome\n');
    expect(seen.content.get('/opt/team/review.md')).toBe(CONFIG_MAPS['team-docs']['review.md']);
    expect(seen.content.get('/workspace/.scripts/setup.sh')).toBe(CONFIG_MAPS['my-scripts']['setup.sh']);
    expect(seen.content.get('/opt/team-docs/style.md')).toBe(CONFIG_MAPS['team-docs']['style.md']);
    expect(seen.content.get('/workspace/specs/openapi.yaml')).toBe(URL_DOCUMENTS['/openapi.yaml'].body);
    // The URL server saw the token from the Secret for the mounted URL, and the header for the inlined one.
    expect(servers.urls.requests.map((r) => [r.path, r.headers.authorization ?? r.headers['x-team']])).toEqual([
      ['/openapi.yaml', 'Bearer url-token'], ['/notes.md', 'platform'],
    ]);
  });

  test('the repositories are checked out at their refs (tag v1 over authenticated HTTP; a commit, docs/ only, over git://)', () => {
    const seen = readObservations(run.volumes.path('workspace'), INSPECT);
    expect(seen.content.get('/workspace/source-code/README.md')).toBe('one\n');
    expect(seen.gitHead).toBe(servers.repo.commits.one);
    expect(seen.content.get('/opt/guides/guide.md')).toBe('guide\n');
    expect(seen.content.get('/opt/guides/api/index.md')).toBe('api\n');
    expect(existsSync(join(run.volumes.path('git-1'), 'repo/.git'))).toBe(false);
  });

  test('credentials: a key as an env var, a key as a file, a whole Secret as a directory and as env vars', () => {
    const seen = readObservations(run.volumes.path('workspace'), INSPECT);
    expect(seen.env.get('OPENCODE_API_KEY')).toBe(SECRETS['ai-credentials']['opencode-key']);
    expect(seen.env.get('CLOUD_REGION')).toBe('eu-west-1');
    expect(seen.env.get('CLOUD_PROJECT')).toBe('kubeopencode-test');
    expect(seen.content.get('/home/agent/.ssh/id_rsa')).toBe(SECRETS['ssh-keys'].id_rsa);
    expect(seen.content.get('/home/agent/.config/gh/hosts.yml')).toBe(SECRETS['gh-config']['hosts.yml']);
  });

  test('the outputs sidecar reports through its termination message, the over-long value cut and listed', () => {
    const message = run.container('outputs').message!;
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(terminationMessageLimit(containerCount));
    const outputs = parseTerminationMessage(message);
    expect(outputs.parameters).toEqual({
      'pr-url': 'https://github.com/org/repo/pull/42',
      'summary': 'No summary provided',
      'log': expect.stringMatching(/^x+$/),
    });
    expect(outputs.parameters.log.length).toBeLessThan(AGENT_OUTPUTS['.outputs/log'].length);
    expect(outputs.truncated).toEqual(['log']);
    expect(outputs.missing).toEqual(['custom-metric']);
  });

  test('the Pod\'s paths existed only inside its containers: nothing was created or left mounted on the host', () => {
    for (const container of run.containers) expect([container.name, readdirSync(join(run.dir, 'roots', container.name))]).toEqual([container.name, []]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(run.dir);
    for (const path of ['/workspace', '/tools', '/kubeopencode', '/etc/motd.d/kubeopencode', '/opt/team', '/opt/guides', '/home/agent']) {
      expect([path, existsSync(path)]).toEqual([path, false]);
    }
  });

  // The containers' logs, when the Pod did not succeed (or always, with SHOW_POD_LOGS=1).
  afterAll(() => {
    if (run && (process.env.SHOW_POD_LOGS || run.phase !== 'Succeeded')) process.stderr.write(logsOf(run));
  });
});

describe('the echo flow when the agent fails', () => {
  test('the Pod fails with the agent\'s exit code and logs, and the outputs are still collected', async () => {
    const quickStart = seedDoc('01-quick-start-agent.yaml');
    const agent: AgentObject = {
      metadata: { name: 'failing', namespace: NAMESPACE },
      spec: {
        ...quickStart.spec,
        command: ['sh', '-c', 'mkdir -p .outputs && echo partial > .outputs/pr-url && echo "agent gave up" >&2 && exit 3'],
        outputs: seedDoc('06-outputs-agent.yaml').spec.outputs,
      },
    };
    const task: TaskObject = { ...seedDoc('07-outputs-task.yaml'), metadata: { name: 'my-task', namespace: NAMESPACE } } as TaskObject;
    const { run } = await runTask(task, agent, '#!/bin/sh\nexit 0\n');
    expect(run.containers.map((c) => [c.name, c.exitCode])).toEqual([['tools', 0], ['context', 0], ['outputs', 0], ['agent', 3]]);
    expect(run.phase).toBe('Failed');
    expect(run.container('agent').message).toContain('agent gave up'); // FallbackToLogsOnError
    expect(parseTerminationMessage(run.container('outputs').message!)).toEqual({
      parameters: { 'pr-url': 'partial', 'summary': 'No summary provided' },
      truncated: [],
      missing: ['custom-metric'],
    });
  }, POD_TIMEOUT_MS);
});
