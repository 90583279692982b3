/** The UI server's pure parts: where it may listen, the CSRF and Host checks, field mapping, filters, builders. */
import type { IncomingMessage } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { testAssets } from './support.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { BearerCredentials, jwtExpiry, KubeconfigCredentials } from '../../src/ui/server/credentials.js';
import { fieldErrorsOf, formField } from '../../src/ui/server/problems.js';
import { checkBindAddress, csrfRefusal, CsrfTokens, isLoopback, loopbackHostAllowed } from '../../src/ui/server/security.js';
import { UiServer } from '../../src/ui/server/server.js';
import { rerunOf, taskFromForm } from '../../src/ui/server/task-builder.js';
import { agentSummary, taskSummary } from '../../src/ui/server/views.js';
import { matchesLabels, parseLabelSelector, queueOf } from '../../src/ui/shared/filter.js';

const cluster = { name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false };

describe('where the server may listen', () => {
  test('loopback addresses', () => {
    expect(['127.0.0.1', '127.3.4.5', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', ''].some(isLoopback)).toBe(false);
  });

  test('a reachable address needs --allow-remote, and that needs bearer mode', () => {
    expect(() => checkBindAddress('127.0.0.1', false, 'kubeconfig')).not.toThrow();
    expect(() => checkBindAddress('0.0.0.0', false, 'bearer')).toThrow('refusing to listen on 0.0.0.0: other machines could reach it');
    expect(() => checkBindAddress('0.0.0.0', true, 'kubeconfig')).toThrow('--allow-remote needs --auth bearer');
    expect(() => checkBindAddress('0.0.0.0', true, 'bearer')).not.toThrow();
  });

  test('the server refuses before it binds anything', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [cluster], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    expect(() => new UiServer({ address: '0.0.0.0', credentials: new KubeconfigCredentials(kc) })).toThrow('refusing to listen');
    expect(() => new UiServer({ address: '0.0.0.0', allowRemote: true, credentials: new KubeconfigCredentials(kc) })).toThrow('--allow-remote needs --auth bearer');
    expect(() => new UiServer({ address: '127.0.0.1', credentials: new BearerCredentials(cluster), assetsDir: '/nonexistent' })).toThrow('the UI bundle is missing');
  });
});

describe('health', () => {
  // A cluster nothing listens at: /healthz must answer without asking it (or the user) anything.
  const nowhere = { name: 'nowhere', server: 'https://127.0.0.1:9', skipTLSVerify: false };

  test('/healthz answers without a token (the kubelet has none); everything else still needs one', async () => {
    const server = new UiServer({ credentials: new BearerCredentials(nowhere), assetsDir: await testAssets() });
    const url = await server.listen();
    try {
      const health = await fetch(new URL('healthz', url));
      expect([health.status, await health.text(), health.headers.get('content-security-policy')]).toEqual([200, 'ok', expect.stringContaining("default-src 'none'")]);
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(new URL('healthz', url), { method: 'POST' })).status).toBe(401);
      expect(server.healthPort).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  test('the health port answers /healthz on every address and nothing else, even when the UI listens on loopback', async () => {
    const server = new UiServer({ address: '127.0.0.1', healthPort: 0, credentials: new BearerCredentials(nowhere), assetsDir: await testAssets() });
    await server.listen();
    try {
      const health = `http://127.0.0.1:${server.healthPort}`;
      const ok = await fetch(`${health}/healthz`);
      expect([ok.status, await ok.text()]).toEqual([200, 'ok']);
      for (const path of ['/', '/api/session', '/assets/app.js']) {
        const res = await fetch(`${health}${path}`, { headers: { Authorization: 'Bearer abc' } });
        expect([path, res.status]).toEqual([path, 404]);
      }
      expect(server.healthPort).not.toBe(server.port);
    } finally {
      await server.close();
    }
  });
});

describe('request checks', () => {
  test('a loopback server answers only to loopback Host names on its port (DNS rebinding)', () => {
    expect(loopbackHostAllowed('127.0.0.1:8090', 8090)).toBe(true);
    expect(loopbackHostAllowed('localhost:8090', 8090)).toBe(true);
    expect(loopbackHostAllowed('[::1]:8090', 8090)).toBe(true);
    expect(loopbackHostAllowed('attacker.example:8090', 8090)).toBe(false);
    expect(loopbackHostAllowed('127.0.0.1:8091', 8090)).toBe(false);
    expect(loopbackHostAllowed(undefined, 8090)).toBe(false);
    expect(loopbackHostAllowed('ui.localhost:8090', 8090, ['ui.localhost:8090'])).toBe(true);
  });

  const tokens = new CsrfTokens();
  const req = (headers: Record<string, string>): IncomingMessage => ({ headers: { host: '127.0.0.1:8090', ...headers } }) as unknown as IncomingMessage;
  const good = { 'origin': 'http://127.0.0.1:8090', 'x-kubeopencode-csrf': tokens.tokenFor('alice'), 'content-type': 'application/json', 'content-length': '2' };

  test('a change must come from this origin, with the token of the same credentials, as JSON', () => {
    expect(csrfRefusal(req(good), tokens, 'alice', [])).toBeUndefined();
    expect(csrfRefusal(req({ ...good, origin: 'http://evil.example' }), tokens, 'alice', [])).toContain('another origin');
    expect(csrfRefusal(req({ ...good, origin: 'https://ui.example.com' }), tokens, 'alice', ['https://ui.example.com'])).toBeUndefined();
    expect(csrfRefusal(req({ ...good, 'x-kubeopencode-csrf': tokens.tokenFor('bob') }), tokens, 'alice', [])).toContain('CSRF token');
    expect(csrfRefusal(req({ ...good, 'content-type': 'text/plain' }), tokens, 'alice', [])).toContain('application/json');
    const { origin: _o, ...noOrigin } = good;
    expect(csrfRefusal(req(noOrigin), tokens, 'alice', [])).toBe('the request has no Origin header');
    // Another server's tokens are worth nothing here.
    expect(csrfRefusal(req({ ...good, 'x-kubeopencode-csrf': new CsrfTokens().tokenFor('alice') }), tokens, 'alice', [])).toContain('CSRF token');
  });

  test('bearer credentials: the header\'s token, keyed by its hash', () => {
    const source = new BearerCredentials(cluster);
    const c = source.credentialsFor(req({ authorization: 'Bearer abc.def-ghi' }))!;
    expect(c.kc.getCurrentUser()?.token).toBe('abc.def-ghi');
    expect(c.kc.getCurrentCluster()?.server).toBe(cluster.server);
    expect(c.id).not.toContain('abc');
    expect(c.expiresAt).toBeUndefined(); // not a JWT
    const jwt = ['{"alg":"RS256"}', '{"sub":"alice","exp":1900000000}'].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.sig';
    expect(jwtExpiry(jwt)).toBe(1_900_000_000_000);
    expect(source.credentialsFor(req({ authorization: `Bearer ${jwt}` }))!.expiresAt).toBe(1_900_000_000_000);
    expect(source.credentialsFor(req({ authorization: 'Basic Zm9vOmJhcg==' }))).toBeUndefined();
    expect(source.credentialsFor(req({}))).toBeUndefined();
  });
});

describe('the API server\'s field paths -> the form\'s fields', () => {
  test.each([
    ['metadata.name', 'name'], ['metadata.generateName', 'name'], ['metadata.labels', 'labels'], ['spec.description', 'description'],
    ['spec.agentRef.name', 'agent'], ['spec.timeoutSeconds', 'timeoutSeconds'], ['spec.contexts[2]', 'contexts[2]'],
    ['spec.contexts[0].git.repository', 'contexts[0].git.repository'], ['spec.contexts', 'contexts'], ['spec.outputs', ''], [undefined, ''],
  ])('%s -> %s', (path, field) => expect(formField(path)).toBe(field));

  test('messages are grouped by field; a CEL rule\'s "Invalid value: \\"object\\"" is left out', () => {
    expect(fieldErrorsOf({
      details: {
        causes: [
          { field: 'spec.contexts[0]', message: 'Invalid value: "object": a Git context needs mountPath: the repository is cloned there' },
          { field: 'spec.description', message: 'Invalid value: "": spec.description in body should be at least 1 chars long' },
          { field: 'spec.outputs.parameters[0].path', message: 'Required value' },
        ],
      },
    })).toEqual({
      'contexts[0]': ['a Git context needs mountPath: the repository is cloned there'],
      'description': ['Invalid value: "": spec.description in body should be at least 1 chars long'],
      '': ['spec.outputs.parameters[0].path: Required value'],
    });
  });
});

describe('filters', () => {
  test('label selectors as kubectl writes them', () => {
    const reqs = parseLabelSelector('app=web, tier!=db,team,!beta');
    expect(matchesLabels({ app: 'web', team: 'a' }, reqs)).toBe(true);
    expect(matchesLabels({ app: 'web', team: 'a', tier: 'db' }, reqs)).toBe(false);
    expect(matchesLabels({ app: 'web', team: 'a', beta: '' }, reqs)).toBe(false);
    expect(matchesLabels({ app: 'api', team: 'a' }, reqs)).toBe(false);
    expect(() => parseLabelSelector('a=b=c')).toThrow('cannot read "a=b=c"');
  });

  test('an Agent\'s queue: Queued Tasks by queue position', () => {
    const t = (name: string, phase: string, queuePosition?: number) => taskSummary({ metadata: { name, namespace: 'ns', creationTimestamp: `2026-01-01T00:00:0${name.length}Z` }, spec: { description: name, agentRef: { name: 'a' } }, status: { phase: phase as 'Queued', queuePosition } } as TaskObject);
    expect(queueOf([t('c', 'Queued', 2), t('a', 'Running'), t('b', 'Queued', 1), t('d', 'Queued', 3)], 'ns/a').map((x) => x.name)).toEqual(['b', 'c', 'd']);
  });
});

describe('what the UI creates and shows', () => {
  test('the form becomes a Task; an Agent in the Task\'s namespace is named without its namespace', () => {
    expect(taskFromForm({ namespace: 'team-a', agent: { namespace: 'team-a', name: 'opencode' }, description: 'Do it', contexts: [{ type: 'Git', git: { repository: 'https://x/y.git', ref: '' }, mountPath: 'src' }], labels: { app: 'web' } })).toEqual({
      apiVersion: 'kubeopencode.io/v1alpha1',
      kind: 'Task',
      metadata: { generateName: 'task-', namespace: 'team-a', labels: { app: 'web' } },
      spec: { description: 'Do it', agentRef: { name: 'opencode' }, contexts: [{ type: 'Git', mountPath: 'src', git: { repository: 'https://x/y.git' } }] },
    });
    expect(() => taskFromForm({ namespace: '', description: 'x' })).toThrow('1 field to fix');
  });

  test('Run again keeps the spec and labels, not the CronTask label or the stop annotation', () => {
    const task = { metadata: { name: 'nightly-29000000', namespace: 'ns', labels: { 'kubeopencode.io/crontask': 'nightly', 'app': 'web' }, annotations: { 'kubeopencode.io/stop': 'true' } }, spec: { description: 'x' } } as unknown as TaskObject;
    expect(rerunOf(task)).toEqual({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { generateName: 'nightly-29000000-r', namespace: 'ns', labels: { app: 'web' } }, spec: { description: 'x' } });
  });

  test('an Agent shows its credentials by Secret name, and nothing of its MCP header values', () => {
    const agent = {
      metadata: { name: 'a', namespace: 'ns' },
      spec: {
        maxConcurrentTasks: 3,
        credentials: [{ name: 'key', secretRef: { name: 'ai', key: 'k' }, env: 'KEY' }],
        mcpServers: [{ name: 'gh', remote: { url: 'https://x', headers: [{ name: 'Authorization', value: 'Bearer literal-secret' }] } }],
      },
      status: { runningTasks: 1, queuedTasks: 2 },
    } as unknown as AgentObject;
    const view = agentSummary(agent);
    expect(view).toMatchObject({ maxConcurrentTasks: 3, runningTasks: 1, queuedTasks: 2, credentials: [{ name: 'key', secretName: 'ai', key: 'k', env: 'KEY' }] });
    expect(JSON.stringify(view)).not.toContain('literal-secret');
  });
});
