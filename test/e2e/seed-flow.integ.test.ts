/**
 * The seed README's flow end to end on the real node: the operator installed by Helm runs as
 * a Pod; an Agent and a Task from the seed YAML (images: the echo image we build) run in
 * real containers, in a namespace that enforces Pod Security `restricted`; every kind of
 * context (Text, ConfigMap, Git by tag, SHA, branch and subdirectory over HTTPS with a token
 * and a private CA and over SSH with a key, URL with a token and with a header) and of
 * credential reaches the agent; the outputs come back through the real collect-outputs
 * sidecar's termination message. Beside it, in parallel: an Agent with MCP servers, and a
 * repository cloned into the workspace itself.
 */
import { jest } from '@jest/globals';
import { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { inspectScript, Observations, parseObservations } from './echo-agent.js';
import { AGENT_OUTPUTS, CONFIG_MAPS, echoAgent, echoCommand, echoTask, namespaceObjects, SECRETS, seedDoc, URL_DOCUMENTS } from './echo-flow-fixture.js';
import {
  agentManifest, apply, condition, containerStatus, containerStatuses, INSTALL_TIMEOUT_MS, note, podLog, secondsSince, secretManifest,
  TASK_TIMEOUT_MS, taskManifest, taskPod, waitForTask,
} from './support.js';
import { E2E_IMAGES } from '../../harness/e2e/images.js';
import { E2eOperator, installOperatorOnE2e, RESTRICTED } from '../../harness/e2e/operator.js';
import { PodServers, startPodServers } from '../../harness/e2e/servers.js';
import { parseTerminationMessage, terminationMessageLimit } from '../../src/api/outputs-format.js';
import { RUNTIME_PROMPT } from '../../src/constructs/runtime-prompt.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';

jest.setTimeout(TASK_TIMEOUT_MS);

let op: E2eOperator;
let servers: PodServers;
let namespace: string;
let created: number;

/** An Agent with MCP servers (README "MCP servers for agents"): one remote with a header from a Secret, one local. */
const mcpAgent = (ns: string): AgentObject => ({
  metadata: { name: 'tooled', namespace: ns },
  spec: {
    ...echoAgent(ns).spec,
    contexts: undefined,
    credentials: undefined,
    outputs: undefined,
    command: echoCommand(inspectScript({ inspect: ['/workspace/.kubeopencode/opencode.json'] })),
    mcpServers: [
      { name: 'github', remote: { url: 'https://api.githubcopilot.com/mcp/', headers: [{ name: 'Authorization', secretKeyRef: { name: 'mcp-tokens', key: 'github-authorization' } }] } },
      { name: 'filesystem', local: { command: ['npx', '-y', '@modelcontextprotocol/server-filesystem'], args: ['/workspace'], env: [{ name: 'LOG_LEVEL', value: 'info' }] } },
    ],
  },
});
const MCP_TOKEN = 'Bearer ghp-mcp-secret-value';

/** A repository cloned into the workspace root; the system image (which has git) as executor, to run git there. */
const layoutAgent = (ns: string): AgentObject => ({
  metadata: { name: 'layout', namespace: ns },
  spec: {
    ...seedDoc('01-quick-start-agent.yaml').spec,
    agentImage: E2E_IMAGES.echo,
    executorImage: E2E_IMAGES.system,
    credentials: undefined,
    command: ['sh', '-c', 'git status --porcelain && git rev-parse HEAD && git log -1 --format=%s'],
  },
});

const task = (ns: string, name: string, agent: string, spec: Partial<TaskObject['spec']> = {}): TaskObject =>
  ({ metadata: { name, namespace: ns }, spec: { agentRef: { name: agent }, description: `Task ${name}.`, ...spec } });

beforeAll(async () => {
  op = await installOperatorOnE2e();
  servers = await startPodServers(op.nodeIP, URL_DOCUMENTS);
  namespace = await op.createNamespace('seed');
  await apply(op.kc, [
    ...namespaceObjects(namespace, servers),
    secretManifest(namespace, 'mcp-tokens', { 'github-authorization': MCP_TOKEN }),
  ]);
  created = Date.now();
  // The three Tasks run side by side; each describe below waits for its own.
  await apply(op.kc, [
    agentManifest(echoAgent(namespace)), taskManifest(echoTask(namespace, servers)),
    agentManifest(mcpAgent(namespace)), taskManifest(task(namespace, 'mcp', 'tooled', { mcpServers: [{ name: 'docs', remote: { url: 'https://docs-mcp.example.com/mcp' } }] })),
    agentManifest(layoutAgent(namespace)),
    taskManifest(task(namespace, 'clone-into-workspace', 'layout', { contexts: [{ type: 'Git', git: { repository: servers.gitSsh.url('repo.git'), ref: 'feature', secretRef: { name: 'git-ssh' } }, mountPath: '/workspace' }] })),
  ]);
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await servers?.stop();
  await op?.uninstall();
});

const wrap = (attrs: string, body: string): string => `\n<context ${attrs}>\n${body}</context>\n`;

describe('the seed README flow on the real node', () => {
  let done: TaskObject;
  let pod: V1Pod;
  let log: string;
  let seen: Observations;

  beforeAll(async () => {
    done = await waitForTask(op.kc, namespace, 'update-service-a', ['Completed']);
    note(`seed flow Task: created -> Completed in ${secondsSince(created)}`);
    pod = await taskPod(op.kc, done);
    log = await podLog(op.kc, pod, 'agent');
    seen = parseObservations(log);
  }, TASK_TIMEOUT_MS);

  test('the Pod ran every container in Kubernetes order, under Pod Security restricted, and succeeded', async () => {
    expect(pod.metadata?.namespace).toBe(namespace);
    expect((await op.kc.makeApiClient(CoreV1Api).readNamespace({ name: namespace })).metadata?.labels).toMatchObject(RESTRICTED);
    expect(containerStatuses(pod).map((s) => [s.name, s.state?.terminated?.exitCode])).toEqual([
      ['tools', 0], ['git-0', 0], ['git-1', 0], ['git-2', 0], ['git-3', 0], ['url-0', 0], ['url-1', 0], ['context', 0], ['outputs', 0], ['agent', 0],
    ]);
    expect(pod.status?.phase).toBe('Succeeded');
    // The native sidecar ran through the agent's whole life and was stopped after it.
    const finished = (name: string) => Date.parse(String(containerStatus(pod, name)?.state?.terminated?.finishedAt));
    expect(finished('outputs')).toBeGreaterThanOrEqual(finished('agent'));
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
      wrap('name="context-16" type="Text"', 'Keep the change small.\n');
    expect(seen.content.get('/workspace/task.md')).toBe(expected);
    // The echo image's opencode got it as its prompt (the seed's command) and printed it.
    expect(seen.rest).toContain(`=== task (${namespace}/update-service-a) ===\n${expected}`);
  });

  test('the agent runs as UID 1000 with fsGroup 1000, in the workspace; HOME and /tmp writable, /tools read-only', () => {
    expect(seen.identity).toEqual(['1000', '1000', '/workspace', '/home/agent']);
    expect(Object.fromEntries(seen.writable)).toEqual({
      '/tools': expect.stringContaining('Read-only file system'),
      '/home/agent': 'writable',
      '/tmp': 'writable',
      '/workspace': 'writable',
    });
    expect(seen.env.get('TASK_NAME')).toBe('update-service-a');
    expect(seen.env.get('TASK_NAMESPACE')).toBe(namespace);
    expect(seen.env.get('WORKSPACE_DIR')).toBe('/workspace');
  });

  test('each mounted context is at its path with its mode, as the agent sees it', () => {
    // Written by context-init (owned by the agent's user, exact modes); mounted by the kubelet (owned by root,
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
      '/workspace/source-code/.git/HEAD': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/at-two/README.md': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/at-two/.git/HEAD': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/at-two/feature.txt': expect.stringContaining('No such file or directory'),
      '/opt/feature/feature.txt': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/feature/.git/HEAD': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/guides/guide.md': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/guides/api/index.md': expect.stringMatching(/^6[67]4 1000:1000 regular file$/),
      '/opt/guides/.git': expect.stringContaining('No such file or directory'),
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
  });

  test('Git: a tag and a branch over HTTPS (token, private CA), a SHA and a subdirectory over SSH (key, known host)', () => {
    const { commits } = servers.repo;
    expect(seen.content.get('/workspace/source-code/README.md')).toBe('one\n'); // tag v1
    expect(seen.content.get('/workspace/source-code/.git/HEAD')).toBe(`${commits.one}\n`);
    expect(seen.content.get('/opt/at-two/README.md')).toBe('two\n'); // the commit `two`, which no ref names
    expect(seen.content.get('/opt/at-two/.git/HEAD')).toBe(`${commits.two}\n`);
    expect(seen.content.get('/opt/feature/feature.txt')).toBe('feature\n'); // branch feature
    expect(seen.content.get('/opt/feature/.git/HEAD')).toBe('ref: refs/heads/feature\n');
    expect(seen.content.get('/opt/guides/guide.md')).toBe('guide\n'); // docs/ only, without .git
    expect(seen.content.get('/opt/guides/api/index.md')).toBe('api\n');
    // The HTTPS server saw the token from the Secret (as the password of basic auth), and nothing unauthenticated got through.
    const token = `Basic ${Buffer.from(`${servers.gitLogin.username}:${servers.gitLogin.password}`).toString('base64')}`;
    expect(servers.gitHttps.authorizations).toContain(token);
  });

  test('URL contexts: the token from the Secret for the mounted one, the header for the inlined one', () => {
    expect(seen.content.get('/workspace/specs/openapi.yaml')).toBe(URL_DOCUMENTS['/openapi.yaml'].body);
    const seenByServer = servers.urls.requests.map((r) => [r.path, r.headers.authorization ?? r.headers['x-team']]);
    expect(seenByServer).toEqual(expect.arrayContaining([['/openapi.yaml', 'Bearer url-token'], ['/notes.md', 'platform']]));
  });

  test('credentials: a key as an env var, a key as a file, a whole Secret as a directory and as env vars', () => {
    expect(seen.env.get('OPENCODE_API_KEY')).toBe(SECRETS['ai-credentials']['opencode-key']);
    expect(seen.env.get('CLOUD_REGION')).toBe('eu-west-1');
    expect(seen.env.get('CLOUD_PROJECT')).toBe('kubeopencode-test');
    expect(seen.content.get('/home/agent/.ssh/id_rsa')).toBe(SECRETS['ssh-keys'].id_rsa);
    expect(seen.content.get('/home/agent/.config/gh/hosts.yml')).toBe(SECRETS['gh-config']['hosts.yml']);
  });

  test('the agent creates ~/.config/opencode and ~/.ssh/known_hosts beside its mounted credentials', () => {
    expect(seen.rest).toContain('created /home/agent/.config/opencode\ncreated /home/agent/.ssh/known_hosts\n');
  });

  test('the Task\'s outputs are what the collect-outputs sidecar reported in its termination message', () => {
    const message = containerStatus(pod, 'outputs')?.state?.terminated?.message ?? '';
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(terminationMessageLimit(containerStatuses(pod).length));
    const reported = parseTerminationMessage(message);
    expect(reported.parameters).toEqual({
      'pr-url': 'https://github.com/org/repo/pull/42',
      'summary': 'Update dependencies to latest versions.', // the echo agent's: the first line of task.md
      'log': expect.stringMatching(/^x+$/),
      'changes': 'changed', // inside a Git context mounted in the workspace
      'home-note': 'from-home', // an absolute path in $HOME
    });
    expect(reported.parameters.log.length).toBeLessThan(AGENT_OUTPUTS['.outputs/log'].length);
    expect(reported.truncated).toEqual(['log']);
    expect(reported.missing).toEqual(['custom-metric']);
    expect(done.status?.outputs?.parameters).toEqual(reported.parameters);
    expect(condition(done, 'OutputsTruncated')).toMatchObject({ status: 'True', message: expect.stringContaining('log') });
  });
});

describe('MCP servers declared on the Agent, on the real node', () => {
  let seen: Observations;

  beforeAll(async () => {
    const done = await waitForTask(op.kc, namespace, 'mcp', ['Completed']);
    seen = parseObservations(await podLog(op.kc, await taskPod(op.kc, done), 'agent'));
  }, TASK_TIMEOUT_MS);

  test('the agent has $OPENCODE_CONFIG, its file holds the Agent\'s and the Task\'s servers, and the token only as a variable', () => {
    const path = '/workspace/.kubeopencode/opencode.json';
    expect(seen.env.get('OPENCODE_CONFIG')).toBe(path);
    expect(seen.stat.get(path)).toBe('644 1000:1000 regular file');
    const file = seen.content.get(path)!;
    expect(JSON.parse(file)).toEqual({
      $schema: 'https://opencode.ai/config.json',
      mcp: {
        github: { type: 'remote', url: 'https://api.githubcopilot.com/mcp/', headers: { Authorization: '{env:KUBEOPENCODE_MCP_GITHUB_AUTHORIZATION}' }, enabled: true },
        filesystem: { type: 'local', command: ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/workspace'], environment: { LOG_LEVEL: 'info' }, enabled: true },
        docs: { type: 'remote', url: 'https://docs-mcp.example.com/mcp', enabled: true },
      },
    });
    expect(seen.env.get('KUBEOPENCODE_MCP_GITHUB_AUTHORIZATION')).toBe(MCP_TOKEN);
    expect(file).not.toContain(MCP_TOKEN);
  });
});

describe('a repository cloned into the workspace itself, on the real node', () => {
  test('is usable by the agent\'s user (the Pod\'s safe.directory), with task.md beside it', async () => {
    const done = await waitForTask(op.kc, namespace, 'clone-into-workspace', ['Completed']);
    const log = await podLog(op.kc, await taskPod(op.kc, done), 'agent');
    // The workspace's root belongs to root (an emptyDir): without the Pod's GIT_CONFIG_* safe.directory, git would refuse it.
    expect(log).toBe(`?? task.md\n${servers.repo.commits.feature}\nfeature\n`);
  });
});
