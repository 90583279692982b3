/**
 * `kubeopencode run` as a real process against the test control plane, with an in-process
 * controller and the simulated node doing the rest. The simulated node has no kubelet, so
 * a Pod's log is empty (no node) or fails (a node that does not exist); the log streaming
 * itself is tested on the real node by the e2e tests.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { makeTempDir, removeTempDirs } from './helpers.js';
import { CliProcess, kubeopencode, lines, runOnGhostNode, unreachableKubeconfig } from './kube-cli.js';
import { waitFor } from '../../harness/wait.js';
import { taskResourceName } from '../../src/api/names.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { parseManifests } from '../../src/cli/manifests.js';
import { Scenario } from '../reconciler/support.js';

jest.setTimeout(90_000);

const s = new Scenario('cli-run');
let ns: string;
let dir: string;
const outputs = (summary: string) => formatTerminationMessage({ parameters: { summary }, truncated: [], missing: [] });

beforeAll(async () => {
  await s.start();
  ns = await s.namespace();
  dir = makeTempDir('run');
  await s.createAgent(ns, 'opencode', { outputs: { parameters: [{ name: 'summary', path: '.outputs/summary' }] } });
});
afterAll(async () => {
  await s.stop();
  removeTempDirs();
});
beforeEach(() => {
  s.outcome = () => ({ phase: 'Running' });
});

test('each flag kind makes its part of the Task; a --file becomes a ConfigMap the Task owns', async () => {
  const file = join(dir, 'standards.md');
  writeFileSync(file, '# Standards\nSmall commits.\n');
  const r = await kubeopencode(['run', '-n', ns, '--agent', 'opencode', '--name', 'flags', 'Fix the flaky test',
    '--text', 'Be brief', '--file', `${file}:docs/standards.md`, '--git', 'https://github.com/org/app.git@release/1.2:app',
    '--url', 'https://example.com/spec.md', '--timeout', '30m', '--label', 'team=a', '--label', 'tier=web']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const [cmLine, taskLine] = lines(r.stdout);
  expect(taskLine).toBe('task.kubeopencode.io/flags created');
  const task = await s.getTask(ns, 'flags');
  const cmName = task.spec.contexts![1].configMap!.name;
  expect(cmLine).toBe(`configmap/${cmName} created`);
  expect(cmName).toMatch(/^flags-files-[a-z0-9]{5}$/);
  expect(task.metadata.labels).toEqual({ team: 'a', tier: 'web' });
  expect(task.spec).toEqual({
    description: 'Fix the flaky test',
    agentRef: { name: 'opencode' },
    timeoutSeconds: 1800,
    contexts: [
      { type: 'Text', text: 'Be brief' },
      { type: 'ConfigMap', name: 'standards.md', configMap: { name: cmName, key: 'standards.md' }, mountPath: 'docs/standards.md' },
      { type: 'Git', git: { repository: 'https://github.com/org/app.git', ref: 'release/1.2', depth: 1 }, mountPath: 'app' },
      { type: 'URL', url: { source: 'https://example.com/spec.md', timeoutSeconds: 30 } },
    ],
  });
  const cm = await s.core.readNamespacedConfigMap({ namespace: ns, name: cmName });
  expect(cm.data).toEqual({ 'standards.md': '# Standards\nSmall commits.\n' });
  expect(cm.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Task', name: 'flags', uid: task.metadata.uid })]);
  // The operator found the ConfigMap at once: the Task runs.
  await s.waitForPhase(ns, 'flags', 'Running');
});

test('the description from -f FILE or stdin (-f -); --agent NS/NAME; --generate-name', async () => {
  const file = join(dir, 'task.md');
  writeFileSync(file, 'Upgrade Go to 1.26\nand fix what breaks.\n');
  const fromFile = await kubeopencode(['run', '-n', ns, '-f', file, '--generate-name', 'upgrade-', '--agent', 'opencode']);
  expect(fromFile.code).toBe(0);
  const name = /task\.kubeopencode\.io\/(upgrade-[a-z0-9]{5}) created/.exec(fromFile.stdout)![1];
  expect((await s.getTask(ns, name)).spec.description).toBe('Upgrade Go to 1.26\nand fix what breaks.\n');

  const fromStdin = await kubeopencode(['run', '-n', ns, '-f', '-', '--name', 'stdin', '--agent', `${ns}/opencode`], { stdin: 'From stdin\n' });
  expect(fromStdin.code).toBe(0);
  const task = await s.getTask(ns, 'stdin');
  expect(task.spec.description).toBe('From stdin\n');
  expect(task.spec.agentRef).toEqual({ namespace: ns, name: 'opencode' });
});

test('--dry-run creates nothing and prints the Task, its ConfigMaps and the Pod it would get', async () => {
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'notes');
  const before = (await s.listTasks(ns)).length;
  const r = await kubeopencode(['run', '-n', ns, '--agent', 'opencode', '--name', 'preview', 'Preview me', '--file', file, '--dry-run']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const [task, files, context, pod] = parseManifests(r.stdout, 'stdout');
  expect(task).toMatchObject({ kind: 'Task', metadata: { name: 'preview', namespace: ns }, spec: { description: 'Preview me', agentRef: { name: 'opencode' } } });
  expect(task.metadata?.managedFields).toBeUndefined();
  expect(files).toMatchObject({ kind: 'ConfigMap', data: { 'notes.txt': 'notes' } });
  // renderTask's output, as the operator would create it.
  expect(context).toMatchObject({ kind: 'ConfigMap', metadata: { name: taskResourceName(ns, 'preview') } });
  expect(context.data['task.md']).toContain('Preview me');
  expect(context.data['task.md']).toContain('notes');
  expect(pod).toMatchObject({ kind: 'Pod', metadata: { name: taskResourceName(ns, 'preview'), namespace: ns } });
  expect(pod.spec.containers.map((c: { name: string }) => c.name)).toContain('agent');
  expect((await s.listTasks(ns)).length).toBe(before);
  const cms = await s.core.listNamespacedConfigMap({ namespace: ns });
  expect(cms.items.map((c) => c.metadata!.name)).not.toContain(files.metadata?.name);
  expect(cms.items.map((c) => c.metadata!.name)).not.toContain(taskResourceName(ns, 'preview'));
});

test('--dry-run without a reachable cluster checks the Task offline and says so', async () => {
  const kubeconfig = await unreachableKubeconfig();
  const ok = await kubeopencode(['run', '-n', 'dev', 'Offline', '--dry-run'], { kubeconfig });
  expect(ok.code).toBe(0);
  expect(parseManifests(ok.stdout, 'stdout')).toEqual([expect.objectContaining({ kind: 'Task', spec: { description: 'Offline', agentRef: { name: 'default' } } })]);
  expect(lines(ok.stderr)).toEqual([expect.stringMatching(/^kubeopencode run: warning: the cluster is not reachable \(The connection to the server 127\.0\.0\.1:\d+ was refused - did you specify the right host or port\?\): the Task was checked offline; its Pod is not shown/)]);
  const bad = await kubeopencode(['run', 'Offline', '--url', 'ftp://example.com/x', '--dry-run'], { kubeconfig });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe('The Task is invalid:\n* spec.contexts[0].url.source: must be an http:// or https:// URL\n');
});

test('--watch: the phases, the (empty) agent log said so, the outputs; exit 0 on Completed', async () => {
  s.outcome = () => ({ phase: 'Succeeded', runMs: 3000, terminationMessage: outputs('Fixed the race in LoginTest') });
  const r = await kubeopencode(['run', '-n', ns, '--agent', 'opencode', '--name', 'watched', 'Fix it', '--watch']);
  expect(r.code).toBe(0);
  const pod = taskResourceName(ns, 'watched');
  expect(r.stdout).toBe('task.kubeopencode.io/watched created\noutputs:\n  summary: Fixed the race in LoginTest\n');
  expect(lines(r.stderr)).toEqual([
    `task watched: Running, Pod ${ns}/${pod}`,
    `kubeopencode run: the agent container's log is empty (Pod ${ns}/${pod})`,
    'task watched: Completed',
  ]);
});

test('--watch: exit 1 on Failed, with the reason', async () => {
  s.outcome = () => ({ phase: 'Failed', exitCode: 3, terminationMessage: outputs('gave up') });
  const r = await kubeopencode(['run', '-n', ns, '--agent', 'opencode', '--name', 'fails', 'Fail', '--watch']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('task fails: Failed: PodFailed (container agent failed (Error, exit code 3))');
  expect(r.stdout).toContain('summary: gave up');
});

test('--watch: the place in the queue while Queued, then the run', async () => {
  const own = await s.namespace();
  await s.createAgent(own, 'one-at-a-time', { maxConcurrentTasks: 1 });
  await s.createTask(own, 'first', { description: 'x', agentRef: { name: 'one-at-a-time' } });
  await s.waitForPhase(own, 'first', 'Running');
  const cli = new CliProcess(['run', '-n', own, '--agent', 'one-at-a-time', '--name', 'second', 'Wait your turn', '--watch']);
  await cli.stderrMatches(/task second: Queued, position 1/);
  s.outcome = () => ({ phase: 'Succeeded', terminationMessage: outputs('done') });
  await s.annotateTask(own, 'first', { 'kubeopencode.io/stop': 'true' });
  const r = await cli.done;
  expect(r.code).toBe(0);
  expect(lines(r.stderr).filter((l) => l.startsWith('task second:'))).toEqual([
    'task second: Queued, position 1',
    `task second: Running, Pod ${own}/${taskResourceName(own, 'second')}`,
    'task second: Completed',
  ]);
});

test('--watch when the Pod\'s log endpoint fails: one warning, and still the phases and outputs', async () => {
  s.outcome = () => ({ phase: 'Pending', waiting: { reason: 'ContainerCreating', message: '' } });
  const cli = new CliProcess(['run', '-n', ns, '--agent', 'opencode', '--name', 'no-log', 'No log', '--watch']);
  const podName = taskResourceName(ns, 'no-log');
  const pod = await waitFor(() => s.pod(ns, podName), { description: `Pod ${podName}` });
  await runOnGhostNode(s.core, pod);
  await cli.stderrMatches(/cannot read the log/);
  await s.node!.finish(pod, { phase: 'Succeeded', terminationMessage: outputs('no log, still done') });
  const r = await cli.done;
  expect(r.code).toBe(0);
  expect(lines(r.stderr)).toEqual([
    `task no-log: Running, Pod ${ns}/${podName}`,
    `kubeopencode run: warning: cannot read the log of Pod ${ns}/${podName}: Error from server (NotFound): pods "ghost-node" not found`,
    'task no-log: Completed',
  ]);
  expect(r.stdout).toContain('summary: no log, still done');
});

describe('bad input: exit 2, nothing created', () => {
  test.each([
    [[], 'a description is required: as an argument, or -f FILE (-f - reads stdin)'],
    [['x', '--git', 'https://github.com/org/app.git'], '--git must be REPOSITORY[@REF]:MOUNTPATH, got "https://github.com/org/app.git"'],
    [['x', '--agent', 'a/b/c'], '--agent must be NAME or NAMESPACE/NAME, got "a/b/c"'],
    [['x', '--timeout', 'soon'], '--timeout: invalid duration "soon" (examples: 90s, 5m, 1h30m)'],
    [['x', '--label', 'nokey'], '--label must be KEY=VALUE, got "nokey"'],
    [['x', '--name', 'a', '--generate-name', 'b-'], 'give --name or --generate-name, not both'],
    [['x', '--watch', '--dry-run'], '--dry-run and --watch do not go together'],
    [['x', 'y'], 'unexpected argument "y"'],
  ])('%j', async (args, message) => {
    const r = await kubeopencode(['run', '-n', ns, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`kubeopencode run: error: ${message} (see "kubeopencode run --help")\n`);
  });

  test('a Task the API server refuses: its field messages, one per line; the --file ConfigMap is removed again', async () => {
    const file = join(dir, 'context.txt');
    writeFileSync(file, 'ctx');
    const cmsBefore = (await s.core.listNamespacedConfigMap({ namespace: ns })).items.length;
    const r = await kubeopencode(['run', '-n', ns, '--name', 'refused', 'x', '--label', 'bad key=v', '--url', 'ftp://example.com/x', '--file', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([
      'The Task "refused" is invalid:',
      expect.stringMatching(/^\* metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/),
      '* spec.contexts[1].url.source: Invalid value: "ftp://example.com/x": must be an http:// or https:// URL',
    ]);
    await expect(s.getTask(ns, 'refused')).rejects.toThrow();
    await waitFor(async () => (await s.core.listNamespacedConfigMap({ namespace: ns })).items.length === cmsBefore, { description: 'the ConfigMap to be gone' });
  });
});
