/**
 * The UI server on the real control plane, in bearer mode (an authenticating proxy's
 * `Authorization: Bearer`), with two users of different RBAC: alice develops in team-a only;
 * bob develops in team-b and may only read team-a's Tasks. A controller and a simulated node
 * (status only, no containers) move the Tasks.
 */
import { grant, TASK_READER, TEAM_DEVELOPER, testAssets, tokenOf, UiClient } from './support.js';
import { tokenKubeConfig } from '../../harness/kube.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { Logger, LogFields } from '../../src/reconciler/runtime/logger.js';
import { RestClient } from '../../src/reconciler/runtime/rest-client.js';
import { BearerCredentials } from '../../src/ui/server/credentials.js';
import { UiServer } from '../../src/ui/server/server.js';
import type { Changes, Snapshot, TaskSummary } from '../../src/ui/shared/types.js';
import { Scenario } from '../reconciler/support.js';

const s = new Scenario('ui-server');
let teamA: string;
let teamB: string;
let server: UiServer;
let alice: UiClient;
let bob: UiClient;
const SECRET_VALUE = 'sk-do-not-show-this-0123456789';
const logLines: string[] = [];

/** Every line the server logs, kept to check that no token is in one. */
function capturingLogger(fields: LogFields = {}): Logger {
  const line = (level: string) => (message: string, more?: LogFields) => logLines.push(`${level} ${message} ${JSON.stringify({ ...fields, ...more }, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`);
  return { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug'), child: (f) => capturingLogger({ ...fields, ...f }) };
}

const outputs = formatTerminationMessage({ parameters: { summary: 'all green' }, truncated: [], missing: [] });

beforeAll(async () => {
  s.outcome = (pod) => (pod.metadata!.name!.startsWith('quick') ? { phase: 'Succeeded', runMs: 1500, terminationMessage: outputs } : { phase: 'Running' });
  await s.start();
  teamA = await s.namespace({}, 'team-a');
  teamB = await s.namespace({}, 'team-b');
  await s.core.createNamespacedSecret({ namespace: teamA, body: { metadata: { name: 'ai-credentials' }, stringData: { key: SECRET_VALUE } } });
  for (const ns of [teamA, teamB]) {
    await s.createAgent(ns, 'opencode', {
      outputs: { parameters: [{ name: 'summary', path: 'summary.txt' }] },
      credentials: [{ name: 'api-key', secretRef: { name: 'ai-credentials', key: 'key' }, env: 'OPENCODE_API_KEY' }],
    });
  }
  await grant(s.kc, teamA, 'alice', teamA, TEAM_DEVELOPER);
  await grant(s.kc, teamB, 'bob', teamB, TEAM_DEVELOPER);
  await grant(s.kc, teamB, 'bob', teamA, TASK_READER);
  await s.createTask(teamA, 'long-a', { agentRef: { name: 'opencode' }, description: 'Keep running in team-a' });
  await s.createTask(teamB, 'long-b', { agentRef: { name: 'opencode' }, description: 'Keep running in team-b' });
  server = new UiServer({ credentials: new BearerCredentials(s.kc.getCurrentCluster()!), assetsDir: await testAssets(), logger: capturingLogger() });
  const url = await server.listen();
  alice = new UiClient(url, tokenOf(await tokenKubeConfig(teamA, 'alice')));
  bob = new UiClient(url, tokenOf(await tokenKubeConfig(teamB, 'bob')));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await s.stop();
});

const names = (tasks: readonly TaskSummary[]) => tasks.map((t) => `${t.namespace}/${t.name}`);

test('a user who may not list every namespace sees the ones she names, and is told which she may not list', async () => {
  const stream = alice.stream(`api/stream?namespaces=${teamA},${teamB}`);
  const snap = await stream.next<Snapshot>('snapshot');
  stream.close();
  expect(snap.scope).toEqual({ clusterWide: false, namespaces: [teamA], forbidden: [{ namespace: teamB, message: `You may not list Tasks in namespace ${teamB} (Forbidden)` }] });
  expect(names(snap.tasks)).toContain(`${teamA}/long-a`);
  expect(snap.tasks.every((t) => t.namespace === teamA)).toBe(true);
  // bob may read both namespaces.
  const bobs = bob.stream(`api/stream?namespaces=${teamA},${teamB}`);
  const bobSnap = await bobs.next<Snapshot>('snapshot');
  bobs.close();
  expect(bobSnap.scope.namespaces).toEqual([teamA, teamB].sort());
  expect(names(bobSnap.tasks)).toEqual(expect.arrayContaining([`${teamA}/long-a`, `${teamB}/long-b`]));
});

test('a Task created through the UI goes Running -> Completed on the list stream, with its outputs on the Task stream', async () => {
  const list = alice.stream(`api/stream?namespaces=${teamA}`);
  await list.next<Snapshot>('snapshot');
  const created = await alice.send('POST', 'api/tasks', { namespace: teamA, name: 'quick-1', agent: { namespace: teamA, name: 'opencode' }, description: 'Say hello', contexts: [{ type: 'Text', text: 'hi' }] });
  expect(created).toEqual({ status: 201, body: { namespace: teamA, name: 'quick-1' } });
  const phaseOf = (phase: string) => (c: Changes) => c.tasks.some((t) => t.key === `${teamA}/quick-1` && t.object?.phase === phase);
  await list.next<Changes>('changes', phaseOf('Running'));
  await list.next<Changes>('changes', phaseOf('Completed'));
  list.close();

  const detail = alice.stream(`api/tasks/${teamA}/quick-1/stream`);
  const { task } = await detail.next<{ task: { status?: { outputs?: { parameters?: Record<string, string> } } } }>('task', (d) => !!d.task?.status?.outputs);
  expect(task.status!.outputs!.parameters).toEqual({ summary: 'all green' });
  const { pod } = await detail.next<{ pod: { phase: string; containers: { name: string; kind: string }[] } }>('pod', (d) => d.pod?.phase === 'Succeeded');
  expect(pod.containers.map((c) => `${c.kind}:${c.name}`)).toEqual(expect.arrayContaining(['main:agent']));
  const { events } = await detail.next<{ events: { reason: string; type: string }[] }>('events', (d) => (d.events ?? []).some((e) => e.reason === 'Succeeded'));
  expect(events[events.length - 1]).toMatchObject({ type: 'Normal', reason: 'Succeeded' });
  detail.close();
});

test('the log stream passes on what the API server returns for the log', async () => {
  const task = await s.getTask(teamA, 'long-a');
  // The simulated node runs no containers and binds no node: the API server answers 204, an empty log.
  const admin = new RestClient(s.kc);
  const body = await admin.stream(`/api/v1/namespaces/${teamA}/pods/${task.status!.podName}/log`, { container: 'agent' }, AbortSignal.timeout(5000));
  let apiLog = '';
  for await (const chunk of body) apiLog += new TextDecoder().decode(chunk);
  await admin.close();
  expect(apiLog).toBe('');
  const once = alice.stream(`api/tasks/${teamA}/long-a/logs?container=agent`);
  expect(await once.next('end')).toEqual({ bytes: 0 });
  expect(once.events.filter((e) => e.event === 'log')).toEqual([]);
  once.close();
  // Followed: the server keeps asking while the Pod runs, and says why there is nothing yet.
  const followed = alice.stream(`api/tasks/${teamA}/long-a/logs?container=agent&follow=1`);
  expect((await followed.next<{ message: string }>('waiting')).message).toContain('returned no log yet');
  followed.close();
  // The Task page gets the same on its own stream (one connection for the Task, its Pod, Events and log).
  const page = alice.stream(`api/tasks/${teamA}/long-a/stream?container=agent&follow=1`);
  expect((await page.next<{ message: string }>('log-waiting')).message).toContain('returned no log yet');
  await page.next('pod');
  page.close();
  // Not a Pod of the Task: refused without asking the API server.
  expect((await alice.get(`api/tasks/${teamA}/long-a/logs?pod=ai-credentials`)).status).toBe(404);
  // Another team's Task: the message says what alice may not do.
  expect((await alice.get(`api/tasks/${teamB}/long-b/logs`)).body.message).toBe(`You may not read Tasks in namespace ${teamB} (Forbidden)`);
});

test('stopping another team\'s Task is refused with a clear message', async () => {
  const refused = await alice.send('POST', `api/tasks/${teamB}/long-b/stop`);
  expect(refused).toEqual({ status: 403, body: { code: 403, reason: 'Forbidden', message: `You may not stop Tasks in namespace ${teamB} (Forbidden)` } });
  // bob may read team-a's Tasks, not change them.
  expect((await bob.send('POST', `api/tasks/${teamA}/long-a/stop`)).body.message).toBe(`You may not stop Tasks in namespace ${teamA} (Forbidden)`);
  expect((await bob.send('DELETE', `api/tasks/${teamA}/long-a`)).body.message).toBe(`You may not delete Tasks in namespace ${teamA} (Forbidden)`);
  expect((await bob.send('POST', `api/tasks/${teamA}/long-a/run-again`)).body.message).toBe(`You may not create Tasks in namespace ${teamA} (Forbidden)`);
  // alice may not even open it.
  const page = alice.stream(`api/tasks/${teamB}/long-b/stream`);
  await page.opened;
  expect(page.status).toBe(403);
  expect(page.events[0].data).toMatchObject({ message: `You may not list Tasks in namespace ${teamB} (Forbidden)` });
});

test('Stop, Run again and Delete work for the Task\'s own team', async () => {
  await s.createTask(teamA, 'long-stop', { agentRef: { name: 'opencode' }, description: 'Stop me' }, { labels: { team: 'a' } });
  await s.waitForPhase(teamA, 'long-stop', 'Running');
  expect((await alice.send('POST', `api/tasks/${teamA}/long-stop/stop`)).status).toBe(200);
  const stopped = await s.waitForPhase(teamA, 'long-stop', 'Completed');
  expect(stopped.status?.conditions?.find((c) => c.type === 'Stopped')?.reason).toBe('UserStopped');

  const again = await alice.send('POST', `api/tasks/${teamA}/long-stop/run-again`);
  expect(again.status).toBe(201);
  const copy = await s.getTask(teamA, again.body.name as string);
  expect(copy.spec.description).toBe('Stop me');
  expect(copy.metadata.labels).toEqual({ team: 'a' });
  expect(copy.metadata.annotations?.['kubeopencode.io/stop']).toBeUndefined();

  expect((await alice.send('DELETE', `api/tasks/${teamA}/${again.body.name}`)).status).toBe(200);
});

test('no endpoint reads Secrets, and the Agents show credentials by name only', async () => {
  for (const path of [
    `api/v1/namespaces/${teamA}/secrets/ai-credentials`, `api/namespaces/${teamA}/secrets`, `apis/v1/namespaces/${teamA}/secrets`,
    `api/proxy/api/v1/namespaces/${teamA}/secrets`, `api/tasks/${teamA}/ai-credentials/secrets`, `api/tasks/${teamA}/..%2f..%2fsecrets/stream`,
    `assets/../api/v1/namespaces/${teamA}/secrets`, `api/secrets?namespace=${teamA}`,
  ]) {
    const res = await alice.get(path);
    expect([400, 404]).toContain(res.status);
    expect(JSON.stringify(res.body)).not.toContain(SECRET_VALUE);
  }
  const list = alice.stream(`api/stream?namespaces=${teamA}`);
  const snap = await list.next<Snapshot>('snapshot');
  list.close();
  const agent = snap.agents.find((a) => a.namespace === teamA)!;
  expect(agent.credentials).toEqual([{ name: 'api-key', secretName: 'ai-credentials', key: 'key', env: 'OPENCODE_API_KEY' }]);
  expect(JSON.stringify(snap)).not.toContain(SECRET_VALUE);
});

test('a refused Task comes back with the API server\'s messages at the form\'s fields', async () => {
  const res = await alice.send('POST', 'api/tasks', {
    namespace: teamA,
    name: 'Bad_Name',
    description: 'x',
    agent: { name: 'opencode' },
    contexts: [{ type: 'Git', git: { repository: 'not a url' } }],
  });
  expect(res.status).toBe(422);
  expect(res.body.message).toMatch(/^The Task "Bad_Name" is invalid|^The Task is invalid/);
  expect(res.body.fieldErrors.name.join(' ')).toContain('RFC 1123');
  // The repository rule and the rule that a Git context needs a mountPath, each where it belongs.
  expect(res.body.fieldErrors['contexts[0].git.repository'].join(' ')).toContain('must be an https://');
  expect(res.body.fieldErrors['contexts[0]'].join(' ')).toContain('needs mountPath');
  const empty = await alice.send('POST', 'api/tasks', { namespace: teamA, description: '' });
  expect(empty.body.fieldErrors.description.join(' ')).toContain('at least 1 chars long');
});

test('the preview renders the Pod with the Agent read as the user', async () => {
  const ok = await alice.send('POST', 'api/preview', { namespace: teamA, name: 'preview-me', agent: { name: 'opencode' }, description: 'Preview' });
  expect(ok.status).toBe(200);
  expect(ok.body.objects).toContain('kind: Pod');
  expect(ok.body.objects).toContain('name: ai-credentials');
  expect(ok.body.objects).not.toContain(SECRET_VALUE);
  expect(await s.listTasks(teamA).then((ts) => ts.map((t) => t.metadata.name))).not.toContain('preview-me');
  // An Agent alice may not read: the Task is still checked, the Pod is not shown, and she is told why.
  const other = await alice.send('POST', 'api/preview', { namespace: teamA, name: 'preview-b', agent: { namespace: teamB, name: 'opencode' }, description: 'Preview' });
  expect(other.body.objects).toBeUndefined();
  expect(other.body.notes).toEqual([`You may not read Agent ${teamB}/opencode (Forbidden): the preview goes without it`]);
});

test('state-changing requests need this server\'s origin, the CSRF token and JSON', async () => {
  const path = `api/tasks/${teamA}/long-a/stop`;
  expect((await alice.send('POST', path, undefined, { Origin: undefined })).body.message).toBe('Request refused: the request has no Origin header');
  expect((await alice.send('POST', path, undefined, { Origin: 'https://evil.example' })).body.message).toBe('Request refused: the request comes from another origin (https://evil.example)');
  expect((await alice.send('POST', path, undefined, { 'x-kubeopencode-csrf': 'forged' })).status).toBe(403);
  // bob's token is not alice's.
  expect((await alice.send('POST', path, undefined, { 'x-kubeopencode-csrf': await bob.csrfToken() })).status).toBe(403);
  const form = await alice.send('POST', 'api/tasks', 'a=b', { 'Content-Type': 'application/x-www-form-urlencoded' });
  expect(form.body.message).toBe('Request refused: the request body must be application/json');
  expect((await s.getTask(teamA, 'long-a')).status?.phase).toBe('Running');
});

test('without a token, or with one the API server refuses, nothing is served and no session is kept', async () => {
  const anonymous = new UiClient(alice.base);
  expect((await anonymous.get('')).status).toBe(401);
  expect((await anonymous.get('api/session')).body.message).toContain('No bearer token');
  const sessions = server.sessionCount;
  const forged = new UiClient(alice.base, 'not-a-real-token');
  expect((await forged.get('api/session')).body).toMatchObject({ code: 401, reason: 'Unauthorized' });
  expect((await forged.get('api/stream')).status).toBe(401);
  expect(server.sessionCount).toBe(sessions);
  const me = await alice.get('api/session');
  expect(me.body).toEqual({ user: `system:serviceaccount:${teamA}:alice`, mode: 'bearer', defaultNamespaces: [] });
});

test('the answers carry a strict Content-Security-Policy, and no token reaches the log', async () => {
  const res = await fetch(alice.base, { headers: alice.headers });
  expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  const tokens = [alice.headers.Authorization, bob.headers.Authorization].map((h) => h.slice('Bearer '.length));
  for (const line of logLines) for (const t of tokens) expect(line).not.toContain(t);
});
