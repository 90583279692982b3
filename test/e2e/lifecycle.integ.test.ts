/**
 * A Task's life on the real node, with the operator installed by Helm and running as a Pod:
 * an agent that fails (exit code and reason in the Task, its output through `kubectl logs`),
 * a stop (the container really killed), a timeout (the same), a retry (a second real Pod).
 * Every Pod runs in a namespace that enforces Pod Security `restricted`. The Tasks run side
 * by side; each test waits for its own.
 */
import { jest } from '@jest/globals';
import { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { seedDoc } from './echo-flow-fixture.js';
import {
  agentManifest, apply, condition, containerIds, containerStatus, getTask, INSTALL_TIMEOUT_MS, note, podGone, podLog, secondsSince,
  serviceAccountManifest, stillRunning, TASK_TIMEOUT_MS, taskManifest, taskPod, waitForTask,
} from './support.js';
import { E2E_IMAGES } from '../../harness/e2e/images.js';
import { E2eOperator, installOperatorOnE2e, leadingWithSyncedCaches, RESTRICTED } from '../../harness/e2e/operator.js';
import { applyYaml, isApiError } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';
import { Annotations } from '../../src/api/constants.js';
import { taskResourceName } from '../../src/api/names.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';

jest.setTimeout(TASK_TIMEOUT_MS);

let op: E2eOperator;
let namespace: string;
let created: number;
/** The timed-out Task's Pod while its agent ran: watched for from the start, since the Task may time out before its test begins. */
let tooSlowRunning: Promise<V1Pod>;

/** The quick-start Agent on the echo image, with another command. */
const agent = (name: string, script: string, extra: Partial<AgentObject['spec']> = {}): AgentObject => ({
  metadata: { name, namespace },
  spec: {
    ...seedDoc('01-quick-start-agent.yaml').spec,
    agentImage: E2E_IMAGES.echo,
    executorImage: E2E_IMAGES.echo,
    credentials: undefined,
    command: ['sh', '-c', script],
    ...extra,
  },
});

const task = (name: string, agentName: string, spec: Partial<TaskObject['spec']> = {}): TaskObject =>
  ({ metadata: { name, namespace }, spec: { agentRef: { name: agentName }, description: `Task ${name}.`, ...spec } });

/** Runs until stopped; exits at once on SIGTERM (as PID 1 a shell ignores it unless it traps it). */
const SLEEPER = 'trap \'echo "got SIGTERM"; exit 143\' TERM; echo started; sleep 600 & wait';

/** Fails when its Pod is the Task's first (the Pod's hostname is its name), succeeds on any other attempt. */
const flaky = (firstPod: string) => [
  'pod=$(cat /proc/sys/kernel/hostname)',
  `if [ "$pod" = '${firstPod}' ]; then echo "attempt in $pod: failing"; exit 7; fi`,
  'echo "attempt in $pod: succeeding"',
].join('\n');

beforeAll(async () => {
  op = await installOperatorOnE2e();
  namespace = await op.createNamespace('life');
  const failing = 'echo "working on it"; mkdir -p .outputs && echo partial > .outputs/pr-url; echo "agent gave up" >&2; exit 3';
  created = Date.now();
  await apply(op.kc, [
    serviceAccountManifest(namespace, 'kubeopencode-agent'),
    agentManifest(agent('failing', failing, { outputs: seedDoc('06-outputs-agent.yaml').spec.outputs })),
    agentManifest(agent('sleeper', SLEEPER)),
    agentManifest(agent('flaky', flaky(taskResourceName(namespace, 'flaky', 1)), { retryPolicy: { limit: 2, backoff: { initialSeconds: 1 } } })),
    taskManifest(task('fails', 'failing')),
    taskManifest(task('stop-me', 'sleeper')),
    taskManifest(task('too-slow', 'sleeper', { timeoutSeconds: 15 })),
    taskManifest(task('flaky', 'flaky')),
  ]);
  tooSlowRunning = agentRunning('too-slow');
  tooSlowRunning.catch(() => undefined); // awaited by its test
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await op?.uninstall();
});

/** Waits until the Task's agent container runs; resolves with its Pod (fails at once if the Task ends first). */
async function agentRunning(name: string): Promise<V1Pod> {
  const seen = await waitFor<{ pod?: V1Pod; ended?: string }>(async () => {
    const current = await getTask(op.kc, namespace, name);
    if (['Completed', 'Failed'].includes(current.status?.phase ?? '')) return { ended: current.status!.phase! };
    if (!current.status?.podName) return undefined;
    const pod = await taskPod(op.kc, current);
    return containerStatus(pod, 'agent')?.state?.running ? { pod } : undefined;
  }, { description: `the agent container of Task ${name} to run`, timeoutMs: TASK_TIMEOUT_MS, intervalMs: 250 });
  if (!seen.pod) throw new Error(`Task ${name} was ${seen.ended} before its agent container was seen running`);
  return seen.pod;
}

test('the controller runs as a Pod: in-cluster through the kubernetes Service, holding its Lease, kubeopencode_leader 1', async () => {
  const core = op.kc.makeApiClient(CoreV1Api);
  const pod = await core.readNamespacedPod({ name: op.podName, namespace: op.releaseNamespace });
  expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(pod.spec?.serviceAccountName).toBe(`${op.release}-controller`);
  expect(pod.spec?.containers[0].image).toBe(E2E_IMAGES.system);
  // No kubeconfig: the client found the API server through KUBERNETES_SERVICE_HOST (the Service, through kube-proxy).
  const started = (await op.logs()).split('\n').map((l) => { try { return JSON.parse(l); } catch { return {}; } })
    .find((l) => l.message === 'kubeopencode controller starting');
  expect(started).toMatchObject({ server: 'https://10.96.0.1:443', identity: expect.stringMatching(new RegExp(`^${op.podName}_`)) });
  const metrics = await op.metrics();
  expect(metrics.split('\n')).toContain('kubeopencode_leader 1');
  expect(leadingWithSyncedCaches(metrics)).toBe(true);
});

test('the Task namespace enforces Pod Security restricted: a Pod without the restricted settings is refused there', async () => {
  const core = op.kc.makeApiClient(CoreV1Api);
  expect((await core.readNamespace({ name: namespace })).metadata?.labels).toMatchObject(RESTRICTED);
  const refused = await core.createNamespacedPod({
    namespace,
    dryRun: 'All',
    body: { metadata: { name: 'not-restricted' }, spec: { containers: [{ name: 'c', image: E2E_IMAGES.echo }] } },
  }).then(() => undefined, (e: unknown) => e);
  expect(isApiError(refused, 403)).toBe(true);
  const { message } = JSON.parse(String((refused as { body: unknown }).body)) as { message: string };
  expect(message).toContain('violates PodSecurity "restricted:latest"');
});

test('a failing agent: the Task is Failed with the exit code and the reason, its log is the agent\'s output', async () => {
  const done = await waitForTask(op.kc, namespace, 'fails', ['Failed']);
  note(`failing Task: created -> Failed in ${secondsSince(created)}`);
  expect(condition(done, 'Ready')).toMatchObject({
    status: 'False',
    reason: 'PodFailed',
    message: expect.stringMatching(/^container agent failed \(Error, exit code 3\): .*agent gave up/s),
  });
  const pod = await taskPod(op.kc, done);
  expect(pod.status?.phase).toBe('Failed');
  expect(containerStatus(pod, 'agent')?.state?.terminated?.exitCode).toBe(3);
  await expect(podLog(op.kc, pod, 'agent')).resolves.toBe('working on it\nagent gave up\n');
  // The outputs are collected from a failed agent too.
  expect(done.status?.outputs?.parameters).toEqual({ 'pr-url': 'partial', 'summary': 'No summary provided' });
});

test('a stop on a Running Task kills the real container: the Pod is gone, the Task Completed, Stopped=True/UserStopped', async () => {
  const pod = await agentRunning('stop-me');
  const ids = containerIds(pod);
  expect(await stillRunning(ids)).toContain(ids[ids.length - 1]); // the agent, as containerd sees it
  const stopped = Date.now();
  // `kubectl annotate`: its own field manager, so that the Task's spec keeps its owner.
  await applyYaml({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name: 'stop-me', namespace, annotations: { [Annotations.stop]: 'true' } } },
    { fieldManager: 'kubectl-annotate', kc: op.kc });
  const done = await waitForTask(op.kc, namespace, 'stop-me', ['Completed']);
  expect(condition(done, 'Stopped')).toMatchObject({ status: 'True', reason: 'UserStopped' });
  await waitFor(() => podGone(op.kc, pod.metadata!.namespace!, pod.metadata!.name!), { description: `Pod ${pod.metadata!.name} to be gone`, timeoutMs: 60_000 });
  expect(await stillRunning(ids)).toEqual([]);
  note(`stop: annotated -> Pod gone, containers stopped in ${secondsSince(stopped)}`);
});

test('timeoutSeconds on a sleeping agent: the Task is Failed/Timeout and the container is killed', async () => {
  const ids = containerIds(await tooSlowRunning);
  const done = await waitForTask(op.kc, namespace, 'too-slow', ['Failed']);
  expect(condition(done, 'Ready')).toMatchObject({ status: 'False', reason: 'Timeout' });
  const elapsed = Date.parse(String(done.status!.completionTime)) - Date.parse(String(done.status!.startTime));
  expect(elapsed).toBeGreaterThanOrEqual(15_000);
  // The kubelet (activeDeadlineSeconds) or the controller (deleting the Pod) stops it: either way within its grace period.
  await waitFor(async () => (await stillRunning(ids)).length === 0, { description: 'the timed-out Task\'s containers to stop', timeoutMs: 45_000 });
});

test('a retry: the first attempt fails, a second real Pod succeeds, and the Task is Completed', async () => {
  const done = await waitForTask(op.kc, namespace, 'flaky', ['Completed']);
  const [first, second] = [1, 2].map((n) => taskResourceName(namespace, 'flaky', n));
  expect(done.status?.attempts).toEqual([
    expect.objectContaining({ attempt: 1, podName: first, reason: 'PodFailed', exitCode: 7 }),
    expect.objectContaining({ attempt: 2, podName: second, reason: 'Succeeded' }),
  ]);
  expect(done.status?.podName).toBe(second);
  const secondPod = await taskPod(op.kc, done);
  await expect(podLog(op.kc, secondPod, 'agent')).resolves.toBe(`attempt in ${second}: succeeding\n`);
  // The first attempt's Pod stays (until the Task goes), with its own log.
  const firstPod = await op.kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: first, namespace });
  expect(firstPod.status?.phase).toBe('Failed');
  await expect(podLog(op.kc, firstPod, 'agent')).resolves.toBe(`attempt in ${first}: failing\n`);
});
