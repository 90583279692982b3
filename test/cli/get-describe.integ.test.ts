/**
 * `get`, `describe`, `logs`, `stop` and `wait` as real processes against real Tasks, which
 * an in-process controller and the simulated node move along; and `kubectl kubeopencode`,
 * kubectl's own plugin mechanism finding the CLI on the PATH.
 */
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jest } from '@jest/globals';
import { parse } from 'yaml';
import { cliLauncher, makeTempDir, removeTempDirs, root } from './helpers.js';
import { kubeopencode, lines, runOnGhostNode } from './kube-cli.js';
import { kubeconfigPath } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';
import { taskResourceName } from '../../src/api/names.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { Scenario } from '../reconciler/support.js';

jest.setTimeout(90_000);

const s = new Scenario('cli-get');
let a: string; // Agents, Tasks, and the Pod of the cross-namespace Task
let b: string; // one cross-namespace Task
let empty: string;

beforeAll(async () => {
  await s.start();
  [a, b, empty] = [await s.namespace(), await s.namespace(), await s.namespace()];
  s.outcome = (pod) => (pod.metadata!.name!.startsWith('done-')
    ? { phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: { summary: 'All green' }, truncated: [], missing: [] }) }
    : { phase: 'Running' });
  await s.createAgent(a, 'opencode', { maxConcurrentTasks: 1, outputs: { parameters: [{ name: 'summary', path: '.outputs/summary' }] } });
  await s.createAgent(a, 'shared', {});
  await s.createTask(a, 'done-1', { description: 'Fix the login test\nand keep it fast.', agentRef: { name: 'opencode' } }, { labels: { kind: 'fix' } });
  await s.waitForPhase(a, 'done-1', 'Completed');
  await s.createTask(a, 'runs-1', { description: 'Long job', agentRef: { name: 'opencode' }, contexts: [{ type: 'Text', text: 'Be brief' }] }, { labels: { kind: 'chore' } });
  await s.waitForPhase(a, 'runs-1', 'Running');
  await s.createTask(a, 'queued-1', { description: 'Next', agentRef: { name: 'opencode' } });
  await s.waitForPhase(a, 'queued-1', 'Queued');
  await s.createTask(b, 'cross-1', { description: 'Across', agentRef: { name: 'shared', namespace: a } });
  await s.waitForPhase(b, 'cross-1', 'Running');
});
afterAll(async () => {
  await s.stop();
  removeTempDirs();
});

/** A table's rows as cells (split on runs of 3+ spaces). */
const table = (stdout: string) => lines(stdout).map((l) => l.split(/ {3,}/));

describe('get', () => {
  test('tasks: a kubectl-like table', async () => {
    const r = await kubeopencode(['get', 'tasks', '-n', a]);
    expect(r.code).toBe(0);
    expect(table(r.stdout)).toEqual([
      ['NAME', 'PHASE', 'AGENT', 'QUEUE', 'AGE'],
      ['done-1', 'Completed', 'opencode', '<none>', expect.stringMatching(/^\d+s$/)],
      ['queued-1', 'Queued', 'opencode', '1', expect.stringMatching(/^\d+s$/)],
      ['runs-1', 'Running', 'opencode', '<none>', expect.stringMatching(/^\d+s$/)],
    ]);
  });

  test('-o wide adds the Pod and the outputs; the alias tk works', async () => {
    const r = await kubeopencode(['get', 'tk', 'done-1', '-n', a, '-o', 'wide']);
    expect(table(r.stdout)).toEqual([
      ['NAME', 'PHASE', 'AGENT', 'QUEUE', 'AGE', 'POD', 'OUTPUTS'],
      ['done-1', 'Completed', 'opencode', '<none>', expect.any(String), taskResourceName(a, 'done-1'), 'summary=All green'],
    ]);
  });

  test('-o json, -o yaml (a List) and -o name', async () => {
    const json = JSON.parse((await kubeopencode(['get', 'task', 'done-1', '-n', a, '-o', 'json'])).stdout);
    expect(json).toMatchObject({ kind: 'Task', metadata: { name: 'done-1' }, status: { phase: 'Completed', outputs: { parameters: { summary: 'All green' } } } });
    expect(json.metadata.managedFields).toBeUndefined();
    const list = parse((await kubeopencode(['get', 'tasks', '-n', a, '-o', 'yaml'])).stdout);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items.map((t: { metadata: { name: string } }) => t.metadata.name)).toEqual(['done-1', 'queued-1', 'runs-1']);
    expect((await kubeopencode(['get', 'tasks', '-n', a, '-o', 'name'])).stdout)
      .toBe('task.kubeopencode.io/done-1\ntask.kubeopencode.io/queued-1\ntask.kubeopencode.io/runs-1\n');
  });

  test('-A adds a NAMESPACE column; --field-selector on the Agent\'s namespace finds the cross-namespace Task', async () => {
    const r = await kubeopencode(['get', 'tasks', '-A', '--field-selector', `spec.agentRef.namespace=${a}`]);
    expect(r.code).toBe(0);
    expect(table(r.stdout)).toEqual([
      ['NAMESPACE', 'NAME', 'PHASE', 'AGENT', 'QUEUE', 'AGE'],
      [b, 'cross-1', 'Running', `${a}/shared`, '<none>', expect.any(String)],
    ]);
  });

  test('-l and --field-selector spec.agentRef.name', async () => {
    expect((await kubeopencode(['get', 'tasks', '-n', a, '-l', 'kind=fix', '-o', 'name'])).stdout).toBe('task.kubeopencode.io/done-1\n');
    expect((await kubeopencode(['get', 'tasks', '-n', a, '-l', 'kind in (fix,chore)', '-o', 'name'])).stdout)
      .toBe('task.kubeopencode.io/done-1\ntask.kubeopencode.io/runs-1\n');
    expect((await kubeopencode(['get', 'tasks', '-n', a, '--field-selector', 'spec.agentRef.name=shared', '-o', 'name'])).stdout).toBe('');
    expect(lines((await kubeopencode(['get', 'tasks', '-n', a, '--field-selector', 'spec.agentRef.name=opencode', '-o', 'name'])).stdout)).toHaveLength(3);
  });

  test('agents: running, queued and the limit', async () => {
    await waitFor(async () => (await s.getAgent(a, 'opencode')).status?.queuedTasks === 1, { description: 'the Agent status' });
    const r = await kubeopencode(['get', 'ag', '-n', a]);
    expect(table(r.stdout)).toEqual([
      ['NAME', 'RUNNING', 'QUEUED', 'MAX', 'AGE'],
      ['opencode', '1', '1', '1', expect.any(String)],
      ['shared', '1', '0', 'unlimited', expect.any(String)],
    ]);
  });

  test('nothing there: kubectl\'s line on stderr, exit 0; a missing Task: NotFound, exit 1', async () => {
    const none = await kubeopencode(['get', 'tasks', '-n', empty]);
    expect(none).toEqual({ code: 0, stdout: '', stderr: `No resources found in ${empty} namespace.\n` });
    const missing = await kubeopencode(['get', 'task', 'missing', '-n', a]);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): tasks.kubeopencode.io "missing" not found\n' });
  });
});

describe('describe task', () => {
  test('a Completed Task: spec, status, conditions, outputs, the Pod\'s containers, the Events', async () => {
    const r = await kubeopencode(['describe', 'task', 'done-1', '-n', a]);
    expect(r.code).toBe(0);
    const pod = taskResourceName(a, 'done-1');
    expect(r.stdout).toMatch(/^Name: +done-1\nNamespace: +\S+\nLabels: +kind=fix\n/);
    expect(r.stdout).toMatch(/\nDescription: +Fix the login test\n +and keep it fast\.\n/);
    expect(r.stdout).toMatch(/\n {2}Phase: +Completed\n {2}Pod: +\S+\/done-1-[0-9a-f]{8}\n/);
    expect(r.stdout).toMatch(/\n {2}Ready +False +Succeeded +\d+s +Pod \S+ succeeded\n/);
    expect(r.stdout).toMatch(/\nOutputs:\n {2}summary: +All green\n/);
    expect(r.stdout).toContain(`\nPod:  ${a}/${pod}\n`);
    expect(r.stdout).toMatch(/\n {4}agent: +Terminated \(Completed, exit code 0\)\n/);
    expect(r.stdout).toMatch(/\nEvents:\n {2}Type +Reason +Age +From +Message\n {2}-+ +-+ +-+ +-+ +-+\n/);
    const events = r.stdout.slice(r.stdout.indexOf('\nEvents:'));
    // The reconciler sends Events without waiting for them: their order within a second may vary.
    expect(lines(events).slice(3).map((l) => l.trim().split(/ {3,}/).slice(0, 2).join(' ')).sort()).toEqual(['Normal Admitted', 'Normal PodCreated', 'Normal Succeeded']);
  });

  test('a Running Task and a Queued one', async () => {
    const running = (await kubeopencode(['describe', 'tk', 'runs-1', '-n', a])).stdout;
    expect(running).toMatch(/\nContexts: +1\. Text "Be brief" \(in task\.md\)\n/);
    expect(running).toMatch(/\n {2}Ready +True +PodRunning /);
    expect(running).toMatch(/\n {4}agent: +Running since /);
    const queued = (await kubeopencode(['describe', 'task', 'queued-1', '-n', a])).stdout;
    expect(queued).toMatch(/\n {2}Phase: +Queued\n {2}Pod: +<none>\n/);
    expect(queued).toMatch(/\n {2}Queue Position: +1\n/);
    expect(queued).toMatch(/\n {2}Queued +True +AgentAtCapacity /);
    expect(queued).toContain('\nPod:  <none>\n');
  });
});

describe('logs', () => {
  test('the agent container\'s log (empty without a kubelet); a container that does not exist; a Task without a Pod', async () => {
    expect(await kubeopencode(['logs', 'done-1', '-n', a])).toEqual({ code: 0, stdout: '', stderr: '' });
    const wrong = await kubeopencode(['logs', 'done-1', '-n', a, '-c', 'nope']);
    expect(wrong).toEqual({ code: 1, stdout: '', stderr: `Error from server (BadRequest): container nope is not valid for pod ${taskResourceName(a, 'done-1')}\n` });
    const queued = await kubeopencode(['logs', 'queued-1', '-n', a]);
    expect(queued).toEqual({ code: 1, stdout: '', stderr: 'error: Task "queued-1" has no Pod (phase Queued)\n' });
  });

  test('a cross-namespace Task\'s Pod is read in the Agent\'s namespace (here on a node that does not exist: its error)', async () => {
    const pod = (await s.pod(a, taskResourceName(b, 'cross-1')))!;
    await runOnGhostNode(s.core, pod);
    const r = await kubeopencode(['logs', 'cross-1', '-n', b]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "ghost-node" not found\n' });
  });
});

describe('stop and wait', () => {
  test('wait: met at once; a finished Task that can never get there; a timeout', async () => {
    expect(await kubeopencode(['wait', 'done-1', '-n', a, '--for=phase=Completed'])).toEqual({ code: 0, stdout: 'task.kubeopencode.io/done-1 condition met\n', stderr: '' });
    expect(await kubeopencode(['wait', 'done-1', '-n', a, '--for=phase=Failed'])).toEqual({
      code: 1, stdout: '', stderr: `error: Task "done-1" ended Completed (Succeeded: Pod ${a}/${taskResourceName(a, 'done-1')} succeeded): it will never be phase=Failed\n`,
    });
    const started = Date.now();
    expect(await kubeopencode(['wait', 'runs-1', '-n', a, '--for=phase=Completed', '--timeout', '2s'])).toEqual({
      code: 1, stdout: '', stderr: 'error: timed out after 2s waiting for phase=Completed on tasks/runs-1 (it is Running)\n',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('stop: the annotation; wait follows the Task to Completed/UserStopped, and the queued one starts', async () => {
    const waiting = kubeopencode(['wait', 'runs-1', '-n', a, '--for=phase=Completed', '--for=condition=Stopped', '--timeout', '60s']);
    const stop = await kubeopencode(['stop', 'runs-1', '-n', a]);
    expect(stop).toEqual({ code: 0, stdout: 'task.kubeopencode.io/runs-1 stop requested\n', stderr: '' });
    expect((await s.getTask(a, 'runs-1')).metadata.annotations).toEqual({ 'kubeopencode.io/stop': 'true' });
    expect(await waiting).toEqual({ code: 0, stdout: 'task.kubeopencode.io/runs-1 condition met\n', stderr: '' });
    expect((await kubeopencode(['wait', 'queued-1', '-n', a, '--for', 'phase=Running', '--timeout', '30s'])).code).toBe(0);
    expect((await kubeopencode(['stop', 'done-1', '-n', a])).stdout).toBe('task.kubeopencode.io/done-1 stop requested (it had already ended Completed: nothing to stop)\n');
  });

  test('errors: a missing Task; a bad --for', async () => {
    expect(await kubeopencode(['stop', 'missing', '-n', a])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): tasks.kubeopencode.io "missing" not found\n' });
    expect(await kubeopencode(['wait', 'missing', '-n', a, '--for=phase=Completed'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): tasks.kubeopencode.io "missing" not found\n' });
    const bad = await kubeopencode(['wait', 'done-1', '-n', a, '--for=phase=Done']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('kubeopencode wait: error: --for: unknown phase "Done"; phases: Pending, Queued, Running, Completed, Failed (see "kubeopencode wait --help")\n');
  });
});

test('kubectl kubeopencode: kubectl finds the plugin on the PATH and runs the same CLI', () => {
  const kubectl = join(process.env.KUBEOPENCODE_BIN!, 'kubectl');
  const dir = makeTempDir('plugin');
  const plugin = join(dir, 'kubectl-kubeopencode');
  const [first] = cliLauncher();
  if (first === join(root, 'bin/kubeopencode.js')) {
    symlinkSync(join(root, 'bin/kubectl-kubeopencode.js'), plugin);
  } else {
    // lib/ is stale: the same main, from the sources.
    writeFileSync(plugin, `#!/bin/sh\nexec "${process.execPath}" ${cliLauncher().map((x) => `"${x}"`).join(' ')} "$@"\n`, { mode: 0o755 });
  }
  // Node 24 first on the PATH: the plugin's shebang is `env node`.
  const env = { ...process.env, PATH: `${dir}:${dirname(process.execPath)}:${process.env.PATH}`, KUBECONFIG: kubeconfigPath() };
  const viaKubectl = spawnSync(kubectl, ['kubeopencode', 'get', 'tasks', '-n', a, '-o', 'name'], { env, encoding: 'utf8' });
  expect(viaKubectl.stderr).toBe('');
  expect(viaKubectl.status).toBe(0);
  expect(viaKubectl.stdout).toBe('task.kubeopencode.io/done-1\ntask.kubeopencode.io/queued-1\ntask.kubeopencode.io/runs-1\n');
  const list = spawnSync(kubectl, ['plugin', 'list'], { env, encoding: 'utf8' });
  expect(list.stdout).toContain(plugin);
});
