/**
 * The chart's Web UI (`ui.enabled`) on the real node: `helm install` with the UI on, its Pod
 * Ready through the kubelet's probes on the health port, reached from this machine at its
 * Pod IP and through its Service (kube-proxy's ClusterIP), and acting only with the bearer
 * token of each request: none gets 401, alice (a developer in team-a, nothing on Secrets)
 * sees and changes team-a's Tasks and is refused team-b's, and the Pod has no token of its own
 * (its spec, what `kubectl exec` finds in the ServiceAccount folder, and what the API server
 * says its ServiceAccount may do). Its own operator install (one per file), so the other
 * files' releases never see it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { AuthorizationV1Api, CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { seedDoc } from './echo-flow-fixture.js';
import { agentManifest, apply, INSTALL_TIMEOUT_MS, note, secondsSince, secretManifest, taskManifest } from './support.js';
import { binaryPath } from '../../harness/control-plane/binaries.js';
import { E2E_IMAGES } from '../../harness/e2e/images.js';
import { E2eOperator, installOperatorOnE2e } from '../../harness/e2e/operator.js';
import { e2eCluster } from '../../harness/e2e-cluster.js';
import { tokenKubeConfig } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';
import type { Snapshot } from '../../src/ui/shared/types.js';
import { grant, TEAM_DEVELOPER, tokenOf, UiClient } from '../ui/support.js';

jest.setTimeout(120_000);

const run = promisify(execFile);
const SECRET_VALUE = 'sk-ui-chart-do-not-show-0123456789';
/** A team developer with nothing on Secrets. */
const DEVELOPER = TEAM_DEVELOPER.map((g) => ({ ...g, resources: g.resources.filter((r) => r !== 'secrets') }));
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

let op: E2eOperator;
let teamA: string;
let teamB: string;
let uiPod: V1Pod;
let uiName: string;
/** The UI at its Pod IP, and through its Service. */
let direct: string;
let viaService: string;
let aliceToken: string;
/** The UI process's VmRSS (KiB) when its Pod had just become Ready. */
let rssAtStartKiB: number;

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** VmRSS (KiB) of the UI process, PID 1 of its container. */
async function uiRssKiB(): Promise<{ rss: number; peak: number }> {
  const status = await exec('cat', '/proc/1/status');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]);
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** `kubectl exec` into the UI container (the kubelet's streaming, as a person would). */
async function exec(...command: string[]): Promise<string> {
  const args = ['--kubeconfig', e2eCluster().kubeconfigPath, '-n', op.releaseNamespace, 'exec', uiPod.metadata!.name!, '-c', 'ui', '--', ...command];
  return (await run(binaryPath('kubectl'), args)).stdout;
}

beforeAll(async () => {
  const started = Date.now();
  op = await installOperatorOnE2e({ values: { ui: { enabled: true, logLevel: 'debug' } } });
  uiName = `${op.release}-ui`;
  teamA = await op.createNamespace('team-a');
  teamB = await op.createNamespace('team-b');
  await grant(op.kc, teamA, 'alice', teamA, DEVELOPER);
  aliceToken = tokenOf(await tokenKubeConfig(teamA, 'alice', { kc: op.kc }));
  await apply(op.kc, [
    secretManifest(teamA, 'ai-credentials', { key: SECRET_VALUE }),
    agentManifest({
      metadata: { name: 'opencode', namespace: teamA },
      spec: {
        ...seedDoc('01-quick-start-agent.yaml').spec,
        agentImage: E2E_IMAGES.echo,
        executorImage: E2E_IMAGES.echo,
        credentials: [{ name: 'api-key', secretRef: { name: 'ai-credentials', key: 'key' }, env: 'OPENCODE_API_KEY' }],
      },
    }),
    // Tasks of an Agent that does not exist wait (AgentNotFound): listed, and no Pod to run.
    taskManifest({ metadata: { name: 'fix-a', namespace: teamA }, spec: { agentRef: { name: 'absent' }, description: 'Fix the bug in team-a.' } }),
    taskManifest({ metadata: { name: 'fix-b', namespace: teamB }, spec: { agentRef: { name: 'absent' }, description: 'Fix the bug in team-b.' } }),
  ]);
  const core = op.kc.makeApiClient(CoreV1Api);
  const selector = `app.kubernetes.io/name=kubeopencode-ui,app.kubernetes.io/instance=${op.release}`;
  let last: V1Pod | undefined;
  uiPod = await waitFor(async () => {
    last = (await core.listNamespacedPod({ namespace: op.releaseNamespace, labelSelector: selector })).items[0];
    return last && isReady(last) ? last : undefined;
  }, { description: `the UI Pod of ${op.release} to be Ready`, timeoutMs: 90_000, intervalMs: 250 })
    .catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(last?.status?.containerStatuses)}`); });
  const service = await core.readNamespacedService({ namespace: op.releaseNamespace, name: uiName });
  direct = `http://${uiPod.status!.podIP}:8090/`;
  viaService = `http://${service.spec!.clusterIP}:80/`;
  note(`UI Pod ${uiPod.metadata!.name} Ready at ${direct} (Service ${viaService}), ${secondsSince(started)} after the install began`);
  rssAtStartKiB = (await uiRssKiB()).rss;
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await op?.uninstall();
});

test('the kubelet\'s probes pass on the health port, which answers /healthz and nothing else', async () => {
  expect(uiPod.status?.containerStatuses?.find((c) => c.name === 'ui')).toMatchObject({ ready: true, restartCount: 0 });
  const health = `http://${uiPod.status!.podIP}:8091`;
  const ok = await fetch(`${health}/healthz`);
  expect([ok.status, await ok.text()]).toEqual([200, 'ok']);
  expect((await fetch(`${health}/`, { headers: { Authorization: `Bearer ${aliceToken}` } })).status).toBe(404);
});

test('without a token: 401 at the Pod and through the Service, /healthz only answers', async () => {
  for (const base of [direct, viaService]) {
    const anonymous = new UiClient(base);
    expect((await anonymous.get('')).status).toBe(401);
    expect((await anonymous.get('api/session')).body).toMatchObject({ code: 401, reason: 'Unauthorized' });
    expect((await anonymous.get('api/stream')).status).toBe(401);
    expect(await anonymous.get('healthz')).toEqual({ status: 200, body: 'ok' });
    // A token the API server does not accept is no better.
    expect((await new UiClient(base, 'not-a-token').get('api/session')).status).toBe(401);
  }
});

test('alice\'s token: her user, team-a\'s Tasks and Agent (credentials by name only), team-b refused with a reason', async () => {
  const alice = new UiClient(viaService, aliceToken);
  expect((await alice.get('api/session')).body).toMatchObject({ user: `system:serviceaccount:${teamA}:alice`, mode: 'bearer' });
  const stream = alice.stream(`api/stream?namespaces=${teamA},${teamB}`);
  const snap = await stream.next<Snapshot>('snapshot');
  stream.close();
  expect(snap.scope).toEqual({
    clusterWide: false,
    namespaces: [teamA],
    forbidden: [{ namespace: teamB, message: `You may not list Tasks in namespace ${teamB} (Forbidden)` }],
  });
  expect(snap.tasks.map((t) => `${t.namespace}/${t.name}`)).toEqual([`${teamA}/fix-a`]);
  expect(snap.agents.map((a) => [a.name, a.credentials])).toEqual([['opencode', [{ name: 'api-key', secretName: 'ai-credentials', key: 'key', env: 'OPENCODE_API_KEY' }]]]);
  expect(JSON.stringify(snap)).not.toContain(SECRET_VALUE);
});

test('alice creates a Task in team-a through the UI, and is refused one in team-b', async () => {
  const alice = new UiClient(direct, aliceToken);
  const form = (namespace: string) => ({ namespace, name: 'from-the-ui', agent: { namespace, name: 'absent' }, description: 'Made in the UI', contexts: [] });
  expect(await alice.send('POST', 'api/tasks', form(teamA))).toEqual({ status: 201, body: { namespace: teamA, name: 'from-the-ui' } });
  const refused = await alice.send('POST', 'api/tasks', form(teamB));
  expect(refused.status).toBe(403);
  expect(refused.body.message).toContain(`You may not create Tasks in namespace ${teamB}`);
});

test('a Secret cannot be read: the UI has no route to one, and alice\'s token may not read it', async () => {
  const alice = new UiClient(direct, aliceToken);
  const viaUi = await alice.get(`api/v1/namespaces/${teamA}/secrets/ai-credentials`);
  expect(viaUi.status).toBe(404);
  expect(JSON.stringify(viaUi.body)).not.toContain(SECRET_VALUE);
  const asAlice = (await tokenKubeConfig(teamA, 'alice', { kc: op.kc })).makeApiClient(CoreV1Api);
  await expect(asAlice.readNamespacedSecret({ namespace: teamA, name: 'ai-credentials' })).rejects.toMatchObject({ code: 403 });
});

test('the UI Pod has no token: not in its spec, not on its filesystem, and its ServiceAccount may do nothing', async () => {
  const core = op.kc.makeApiClient(CoreV1Api);
  const pod = await core.readNamespacedPod({ namespace: op.releaseNamespace, name: uiPod.metadata!.name! });
  expect(pod.spec?.automountServiceAccountToken).toBe(false);
  expect(pod.spec?.serviceAccountName).toBe(uiName);
  // No projected token volume (what the ServiceAccount admission plugin adds when it mounts one).
  expect(JSON.stringify(pod.spec?.volumes)).not.toContain('serviceAccountToken');
  const sa = await core.readNamespacedServiceAccount({ namespace: op.releaseNamespace, name: uiName });
  expect(sa.automountServiceAccountToken).toBe(false);
  expect((await exec('ls', SA_DIR)).split('\n').filter(Boolean)).toEqual(['ca.crt']);
  expect((await exec('ls', '/var/run/secrets')).split('\n').filter(Boolean)).toEqual(['kubernetes.io']);
  expect(await exec('cat', `${SA_DIR}/ca.crt`)).toContain('BEGIN CERTIFICATE');
  // What the API server says the UI's own identity may do: nothing (it has no binding).
  const authz = op.kc.makeApiClient(AuthorizationV1Api);
  const may = async (resourceAttributes: object) => (await authz.createSubjectAccessReview({
    body: { spec: { user: `system:serviceaccount:${op.releaseNamespace}:${uiName}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${op.releaseNamespace}`, 'system:authenticated'], resourceAttributes } },
  })).status?.allowed;
  expect(await may({ group: 'kubeopencode.io', resource: 'tasks', verb: 'list' })).toBe(false);
  expect(await may({ resource: 'secrets', verb: 'get', namespace: teamA })).toBe(false);
  expect(await may({ resource: 'pods', verb: 'list', namespace: op.releaseNamespace })).toBe(false);
});

test('its memory, at rest and after serving a user', async () => {
  const { rss, peak } = await uiRssKiB();
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  note(`UI process RSS: ${mib(rssAtStartKiB)} once Ready, ${mib(rss)} after the tests above (peak ${mib(peak)})`);
  expect(rssAtStartKiB).toBeGreaterThan(0);
  // The chart's default request is 160Mi (the limit 384Mi): one user must fit in it.
  expect(peak / 1024).toBeLessThan(160);
});
