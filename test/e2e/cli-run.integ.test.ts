/**
 * `kubeopencode run --watch` end to end on the real node: the CLI (a real process) creates
 * the Task against the e2e cluster, where the operator installed by Helm runs it in real
 * containers, follows its phases, streams the agent container's log (from the kubelet,
 * through the API server) and prints the outputs; the exit code says how it ended.
 */
import { jest } from '@jest/globals';
import { agentManifest, apply, INSTALL_TIMEOUT_MS, TASK_TIMEOUT_MS } from './support.js';
import { E2E_IMAGES } from '../../harness/e2e/images.js';
import { E2eOperator, installOperatorOnE2e } from '../../harness/e2e/operator.js';
import { e2eCluster } from '../../harness/e2e-cluster.js';
import { kubeopencode } from '../cli/kube-cli.js';

jest.setTimeout(TASK_TIMEOUT_MS);

let op: E2eOperator;
let namespace: string;

beforeAll(async () => {
  op = await installOperatorOnE2e();
  namespace = await op.createNamespace('cli');
  const echo = (name: string, script: string) => agentManifest({
    metadata: { name, namespace },
    spec: {
      agentImage: E2E_IMAGES.echo,
      executorImage: E2E_IMAGES.echo,
      command: ['sh', '-c', script],
      outputs: { parameters: [{ name: 'summary', path: '.outputs/summary' }] },
    },
  });
  await apply(op.kc, [
    echo('echo', 'echo "hello from $TASK_NAME"; head -n 1 "$WORKSPACE_DIR/task.md"; mkdir -p .outputs; head -n 1 task.md > .outputs/summary'),
    echo('broken', 'echo "about to fail"; exit 4'),
  ]);
}, INSTALL_TIMEOUT_MS);
afterAll(() => op?.uninstall());

/** `kubeopencode COMMAND ARGS` against the e2e cluster, in the test's namespace. */
const cli = (command: string, ...args: string[]) => kubeopencode([command, '-n', namespace, ...args], { kubeconfig: e2eCluster().kubeconfigPath });

test('run --watch: the phases, the agent\'s own log lines from its container, the outputs; exit 0', async () => {
  const { code, stdout, stderr } = await cli('run', '--agent', 'echo', '--name', 'greet', 'Say hello to the team', '--watch');
  expect(`${code}\n${stderr}`).toMatch(/^0\n/);
  expect(stderr).toContain('task greet: Running');
  expect(stderr).toContain('task greet: Completed');
  expect(stdout).toContain('hello from greet');
  expect(stdout).toContain('Say hello to the team');
  expect(stdout).toMatch(/outputs:\n\s+summary: Say hello to the team/);
});

test('run --watch on an agent that fails: its log, then exit 1', async () => {
  const { code, stdout, stderr } = await cli('run', '--agent', 'broken', '--name', 'doomed', 'Try', '--watch');
  expect(code).toBe(1);
  expect(stdout).toContain('about to fail');
  expect(stderr).toContain('task doomed: Failed');
  expect(stderr).toContain('exit code 4');
});
