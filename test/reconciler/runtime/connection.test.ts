import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { CoordinationV1Api, HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { isNetworkError } from '../../../src/reconciler/runtime/api-errors.js';
import { PooledConnection } from '../../../src/reconciler/runtime/connection.js';

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

async function authenticate(auth: { applySecurityAuthentication(ctx: RequestContext): Promise<void> | void }): Promise<RequestContext> {
  const ctx = new RequestContext('https://127.0.0.1:1/api/v1/pods', HttpMethod.GET);
  await auth.applySecurityAuthentication(ctx);
  return ctx;
}

describe('PooledConnection (no network: only which dispatcher each request gets)', () => {
  test('plain client-node builds a new dispatcher per request; the pool reuses one', async () => {
    const kc = kubeConfig();
    const [a, b] = [await authenticate(kc), await authenticate(kc)];
    expect(a.getDispatcher()).toBeDefined();
    expect(a.getDispatcher()).not.toBe(b.getDispatcher());

    const pool = new PooledConnection(kc);
    const [c, d] = [await authenticate(pool), await authenticate(pool.kubeConfig)];
    expect(c.getDispatcher()).toBe(d.getDispatcher());
    expect(c.getHeaders().Authorization).toBe('Bearer secret-token');
    expect(d.getHeaders().Authorization).toBe('Bearer secret-token');
    await pool.close();
  });

  test('reset() and maxAgeMs start a new dispatcher; after close() requests are not pooled', async () => {
    const pool = new PooledConnection(kubeConfig(), 60_000);
    const first = (await authenticate(pool)).getDispatcher();
    pool.reset();
    const second = (await authenticate(pool)).getDispatcher();
    expect(second).not.toBe(first);
    expect((await authenticate(pool)).getDispatcher()).toBe(second);

    const aged = new PooledConnection(kubeConfig(), -1);
    expect((await authenticate(aged)).getDispatcher()).not.toBe((await authenticate(aged)).getDispatcher());
    await aged.close();

    await pool.close();
    expect((await authenticate(pool)).getDispatcher()).not.toBe((await authenticate(pool)).getDispatcher());
  });

  test('the KubeConfig view forwards everything else to the original', () => {
    const kc = kubeConfig();
    const pool = new PooledConnection(kc);
    expect(pool.kubeConfig.getCurrentCluster()?.server).toBe('https://127.0.0.1:1');
    expect(pool.kubeConfig.getCurrentUser()?.name).toBe('u');
    expect(pool.makeApiClient(CoordinationV1Api)).toBeInstanceOf(CoordinationV1Api);
  });
});

test('a pool built on another pool\'s KubeConfig view pools the original and shares no dispatcher', async () => {
  const outer = new PooledConnection(kubeConfig());
  const inner = new PooledConnection(outer.kubeConfig);
  const fromOuter = (await authenticate(outer)).getDispatcher();
  const fromInner = (await authenticate(inner)).getDispatcher();
  expect(fromInner).not.toBe(fromOuter);
  await inner.close();
  expect((await authenticate(outer)).getDispatcher()).toBe(fromOuter);
  await outer.close();
});

test('requestTimeoutMs: a request to a server that never answers fails as a network error, instead of hanging', async () => {
  // A TLS port that accepts connections and never says anything (a dead API server's half-open connection).
  const accepted = new Set<Socket>();
  const silent = createServer((socket) => accepted.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${(silent.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const pool = new PooledConnection(kc, undefined, 300);
  const started = Date.now();
  try {
    const error = await pool.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: 'default' }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(isNetworkError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    await pool.close();
    accepted.forEach((socket) => socket.destroy());
    await new Promise((resolve) => silent.close(resolve));
  }
});
