/**
 * A TaskTrigger on a real API server: the Task its Sensor creates from a GitHub pull_request
 * event is created (as the Sensor's ServiceAccount, with generateName) and passes the API
 * server's validation, and the Sensor's RBAC allows exactly that.
 *
 * Argo Events is not installed (nor needed) as a service, but its code runs: the
 * argo-events-trigger binary (harness/argo-events.ts) validates the Sensor as the Argo Events
 * controller does, builds the event as the webhook EventSource publishes it, applies the
 * dependency's filters and runs the k8s trigger (parameters, then the labels it adds on
 * create) up to the create call. The test then makes that call as the Sensor would.
 */
import { AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { App } from 'cdk8s';
import { GithubPrReview } from '../../../examples/github-pr-review.js';
import { applySensorTrigger, runSensor, WebhookCall } from '../../../harness/argo-events.js';
import { applyYaml, createTestNamespace, deleteNamespace, isApiError, loadKubeConfig, tokenKubeConfig } from '../../../harness/kube.js';
import { waitFor } from '../../../harness/wait.js';

// ---------------------------------------------------------------------------------------
// A GitHub pull_request webhook call
// ---------------------------------------------------------------------------------------

function pullRequestEvent(overrides: { action?: string; number?: number; fullName?: string; cloneUrl?: string; headRef?: string } = {}) {
  const number = overrides.number ?? 1347;
  const fullName = overrides.fullName ?? 'octo-org/hello-world';
  return {
    // As GitHub sends them; Go's HTTP server makes X-GitHub-Event the key X-Github-Event.
    header: {
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/1a2b3c4',
      'X-GitHub-Event': 'pull_request',
      'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    },
    body: {
      action: overrides.action ?? 'opened',
      number,
      pull_request: {
        html_url: `https://github.com/${fullName}/pull/${number}`,
        number,
        state: 'open',
        title: 'Fix the <script> & "quotes" in the README',
        head: {
          ref: overrides.headRef ?? 'fix/readme',
          sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
          repo: { full_name: 'contributor/hello-world', clone_url: overrides.cloneUrl ?? 'https://github.com/contributor/hello-world.git' },
        },
        base: { ref: 'main', sha: '9049f1265b7d61be4a8904a9a27120d2064dab3b', repo: { full_name: fullName } },
      },
      repository: { full_name: fullName, clone_url: `https://github.com/${fullName}.git` },
      sender: { login: 'contributor' },
    },
  };
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

const admin = loadKubeConfig();
const tasksOf = (kc: KubeConfig) => kc.makeApiClient(CustomObjectsApi);
const TASKS = { group: 'kubeopencode.io', version: 'v1alpha1', plural: 'tasks' };

async function apiErrorOf(promise: Promise<unknown>): Promise<{ code: number; text: string }> {
  try {
    await promise;
  } catch (e) {
    if (isApiError(e)) return { code: e.code, text: `${e.message} ${String(e.body)}` };
    throw e;
  }
  throw new Error('expected the API server to reject the request');
}

describe('TaskTrigger on a real API server (examples/github-pr-review.ts)', () => {
  let namespace: string;
  let otherNamespace: string;
  let sensor: any;
  let serviceAccount: string;
  let asSensor: KubeConfig;

  beforeAll(async () => {
    namespace = await createTestNamespace('trigger');
    otherNamespace = await createTestNamespace('trigger-other');
    const chart = new GithubPrReview(new App(), 'github-pr-review', { namespace });
    const objects = chart.toJson();
    sensor = objects.find((o) => o.kind === 'Sensor');
    serviceAccount = sensor.spec.template.serviceAccountName;
    // Everything but the Argo Events kinds, whose CRDs this cluster does not have.
    const kube = objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding', 'Agent'].includes(o.kind));
    expect(kube.map((o) => o.kind).sort()).toEqual(['Agent', 'Role', 'RoleBinding', 'ServiceAccount']);
    await applyYaml(kube, { fieldManager: 'task-trigger-test' });
    await admin.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace, body: { metadata: { name: 'github-creds' }, stringData: { token: 'ghp_secret' } } });
    asSensor = await tokenKubeConfig(namespace, serviceAccount);
    // The authorizer learns of new bindings through an informer: wait until it has.
    const ssar = asSensor.makeApiClient(AuthorizationV1Api);
    await waitFor(async () => (await ssar.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace, verb: 'create', group: 'kubeopencode.io', resource: 'tasks' } } },
    })).status?.allowed, { timeoutMs: 30_000, description: 'the RoleBinding to take effect' });
  }, 60_000);

  afterAll(async () => {
    await deleteNamespace(namespace);
    await deleteNamespace(otherNamespace);
  });

  test('the Sensor keeps opened, synchronized and reopened pull requests and drops the rest', async () => {
    const outcome = async (call: WebhookCall) => (await runSensor(sensor, call)).kind;
    for (const action of ['opened', 'synchronize', 'reopened']) expect(`${action}: ${await outcome(pullRequestEvent({ action }))}`).toBe(`${action}: created`);
    for (const action of ['closed', 'labeled', 'reopened-ish']) expect(`${action}: ${await outcome(pullRequestEvent({ action }))}`).toBe(`${action}: filtered`);
    const push = { ...pullRequestEvent(), header: { 'X-GitHub-Event': 'push' } };
    expect(await outcome(push)).toBe('filtered');
    // No event header at all: the filter's path is missing, which drops the event too.
    expect(await runSensor(sensor, { body: pullRequestEvent().body })).toMatchObject({ kind: 'filtered', error: expect.stringContaining('does not exist') });
  });

  test('the Task created from a pull_request event is filled from the payload and admitted by the API server', async () => {
    const task = await applySensorTrigger(sensor, pullRequestEvent());
    expect(task.metadata).toEqual({
      generateName: 'pr-review-',
      namespace,
      labels: {
        'app.kubernetes.io/part-of': 'pr-review',
        'example.com/repo': 'octo-org.hello-world',
        'example.com/pr': '1347',
        'events.argoproj.io/sensor': 'github-pr-review',
        'events.argoproj.io/trigger': 'create-task',
        'events.argoproj.io/action-timestamp': expect.stringMatching(/^\d+$/),
      },
      annotations: {
        'example.com/pr-url': 'https://github.com/octo-org/hello-world/pull/1347',
        'example.com/head-ref': 'fix/readme',
      },
    });
    expect(task.spec.description).toBe([
      'Review pull request #1347 of octo-org/hello-world:',
      'https://github.com/octo-org/hello-world/pull/1347',
      '',
      'Its head commit 6dcb09b5b57875f334f61aebed695e2e4193db5e (branch fix/readme)',
      'is checked out in src/; it targets main.',
      'Read the diff against the base branch, then post one review on the pull request with',
      '`gh pr review` (GITHUB_TOKEN is set): correctness first, then tests, then style.',
      'Write the review you posted to .outputs/review.md.',
    ].join('\n'));
    expect(task.spec.contexts).toEqual([{
      type: 'Git',
      name: 'pull-request',
      description: 'The pull request\'s head commit',
      git: { repository: 'https://github.com/contributor/hello-world.git', ref: '6dcb09b5b57875f334f61aebed695e2e4193db5e', depth: 0 },
      mountPath: 'src',
    }]);

    // Created as the Sensor's ServiceAccount, as Argo Events does.
    const created = await tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace, body: task });
    expect(created.metadata.name).toMatch(/^pr-review-[a-z0-9]{5}$/);
    const stored = await tasksOf(admin).getNamespacedCustomObject({ ...TASKS, namespace, name: created.metadata.name });
    expect(stored.metadata.labels).toEqual(task.metadata.labels);
    expect(stored.spec.description).toBe(task.spec.description);
    expect(stored.spec.agentRef).toEqual({ name: 'pr-reviewer' });
    expect(stored.spec.outputs).toEqual({ parameters: [{ name: 'review', path: '.outputs/review.md', default: 'No review written' }] });
    expect(stored.spec.timeoutSeconds).toBe(1800);
  });

  test('hostile and large payload values still make a valid Task: the labels are sanitized', async () => {
    const fullName = `Weird Org!/${'--my.repo_'.repeat(8)}`;
    const task = await applySensorTrigger(sensor, pullRequestEvent({ fullName, number: 12_345_678 }));
    const repoLabel = task.metadata.labels['example.com/repo'];
    // The JSON quotes and '!' become '-', '/' becomes '.', then the cut at 63 and the trim.
    expect(repoLabel).toBe('Weird-Org-.--my.repo_--my.repo_--my.repo_--my.repo_--my.repo');
    expect(repoLabel.length).toBeLessThanOrEqual(63);
    expect(task.metadata.labels['example.com/pr']).toBe('12345678');
    expect(task.spec.description).toMatch(/^Review pull request #12345678 of Weird Org!\//);
    const created = await tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace, body: task });
    expect(created.metadata.labels['example.com/repo']).toBe(repoLabel);

    // The raw value would have been refused: that is why labels go through the template.
    const raw = { ...task, metadata: { ...task.metadata, labels: { ...task.metadata.labels, 'example.com/repo': fullName } } };
    const error = await apiErrorOf(tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace, body: raw }));
    expect(error.code).toBe(422);
    expect(error.text).toContain('metadata.labels');
  });

  test('a missing field: labels and annotations fall back to their defaults; a field without one fails the trigger', async () => {
    const event = pullRequestEvent();
    delete (event.body as Record<string, unknown>).number;
    delete (event.body.pull_request as Record<string, unknown>).html_url;
    const task = await applySensorTrigger(sensor, event);
    expect(task.metadata.labels['example.com/pr']).toBe('unknown');
    expect(task.metadata.annotations['example.com/pr-url']).toBe('');
    // Go templates print a missing key as <no value> (and int64 of nothing is 0).
    expect(task.spec.description.split('\n').slice(0, 2)).toEqual(['Review pull request #0 of octo-org/hello-world:', '<no value>']);
    const noHead = pullRequestEvent();
    delete (noHead.body.pull_request.head as Record<string, unknown>).sha;
    const failed = await runSensor(sensor, noHead);
    expect(failed).toMatchObject({ kind: 'failed', stage: 'resource parameters', error: expect.stringMatching(/^unable to resolve 'webhook' parameter value/) });
    // Argo Events names the missing key in its log only (the error itself ends in "err: <nil>").
    expect(failed.log).toContain('key body.pull_request.head.sha does not exist');
  });

  test('a payload that breaks the Task schema is refused by the API server, not created half-right', async () => {
    // A clone URL that is not a URL: the CRD's repository rule refuses it.
    const task = await applySensorTrigger(sensor, pullRequestEvent({ cloneUrl: 'not a url' }));
    const error = await apiErrorOf(tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace, body: task }));
    expect(error.code).toBe(422);
    expect(error.text).toContain('spec.contexts[0].git.repository');
  });

  test('RBAC, with real requests: the Sensor can create Tasks in its namespace only, and cannot read Secrets or Tasks', async () => {
    const task = await applySensorTrigger(sensor, pullRequestEvent());
    const elsewhere = { ...task, metadata: { ...task.metadata, namespace: otherNamespace } };
    const denied = await apiErrorOf(tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace: otherNamespace, body: elsewhere }));
    expect(denied.code).toBe(403); // 401 would mean the token itself was refused
    expect(denied.text).toContain(`system:serviceaccount:${namespace}:${serviceAccount}`);

    const core = asSensor.makeApiClient(CoreV1Api);
    expect((await apiErrorOf(core.readNamespacedSecret({ namespace, name: 'github-creds' }))).code).toBe(403);
    expect((await apiErrorOf(core.listNamespacedSecret({ namespace }))).code).toBe(403);
    expect((await apiErrorOf(tasksOf(asSensor).listNamespacedCustomObject({ ...TASKS, namespace }))).code).toBe(403);
  });

  test('RBAC, asked of the API server (SelfSubjectAccessReview as the Sensor): create tasks here, nothing else', async () => {
    const ssar = asSensor.makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, resource: string, ns: string, group = '', subresource?: string) => (await ssar.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace: ns, verb, group, resource, subresource } } },
    })).status?.allowed ?? false;
    expect(await can('create', 'tasks', namespace, 'kubeopencode.io')).toBe(true);
    expect(await can('create', 'tasks', otherNamespace, 'kubeopencode.io')).toBe(false);
    for (const verb of ['get', 'list', 'watch', 'update', 'patch', 'delete']) expect(`${verb} tasks: ${await can(verb, 'tasks', namespace, 'kubeopencode.io')}`).toBe(`${verb} tasks: false`);
    expect(await can('update', 'tasks', namespace, 'kubeopencode.io', 'status')).toBe(false);
    for (const verb of ['get', 'list', 'watch', 'create']) expect(`${verb} secrets: ${await can(verb, 'secrets', namespace)}`).toBe(`${verb} secrets: false`);
    expect(await can('create', 'agents', namespace, 'kubeopencode.io')).toBe(false);
    expect(await can('create', 'pods', namespace)).toBe(false);
  });
});
