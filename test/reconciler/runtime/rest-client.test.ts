/**
 * The RestClient's plain requests (undici's dispatcher API under the kubeconfig's
 * authentication) against a local HTTP server that plays the API server: what is sent, how
 * answers and failures come back. The real API server is every integration test's.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ApiError, isNetworkError, NetworkError } from '../../../src/reconciler/runtime/api-errors.js';
import { KubeConfig } from '../../../src/reconciler/runtime/client-node.js';
import { MERGE_PATCH, RestClient } from '../../../src/reconciler/runtime/rest-client.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Handler = (req: Seen, res: ServerResponse) => void;

let server: Server;
let handler: Handler;
const seen: Seen[] = [];
const sockets = new Set<Socket>();
let rest: RestClient;

function kubeConfig(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(request);
      handler(request, res);
    });
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rest = new RestClient(kubeConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), { fieldManager: 'kubeopencode', requestTimeoutMs: 5_000 });
});

afterAll(async () => {
  await rest.close();
  sockets.forEach((s) => s.destroy());
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

describe('RestClient.request', () => {
  test('a GET sends the kubeconfig\'s token, asks for JSON (gzip allowed) and returns the parsed answer', async () => {
    handler = (_req, res) => json(res, 200, { kind: 'Namespace', metadata: { name: 'default', creationTimestamp: '2026-12-03T00:00:00Z' } });
    const ns = await rest.get<{ metadata: { name: string; creationTimestamp: string } }>('/api/v1/namespaces/default', { labelSelector: 'a=b', empty: '', unset: undefined });
    expect(ns.metadata).toEqual({ name: 'default', creationTimestamp: '2026-12-03T00:00:00Z' });
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe('GET');
    expect(seen[0].url).toBe('/api/v1/namespaces/default?labelSelector=a%3Db');
    expect(seen[0].headers).toMatchObject({ 'authorization': 'Bearer secret-token', 'accept': 'application/json', 'accept-encoding': 'gzip' });
  });

  test('a gzipped answer (the API server compresses answers over 128 KiB) is unpacked', async () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ metadata: { name: `task-${i}` } }));
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ items })));
    };
    const list = await rest.get<{ items: unknown[] }>('/apis/kubeopencode.io/v1alpha1/tasks');
    expect(list.items).toEqual(items);
  });

  test('a POST and a merge PATCH send their JSON body, content type and field manager', async () => {
    handler = (req, res) => json(res, req.method === 'POST' ? 201 : 200, JSON.parse(req.body) as unknown);
    const created = await rest.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'cm' }, data: { a: 'é' } } });
    await rest.request('PATCH', '/api/v1/namespaces/default/configmaps/cm', { body: { data: { a: 'b' } }, contentType: MERGE_PATCH });
    expect(created).toEqual({ metadata: { name: 'cm' }, data: { a: 'é' } });
    expect(seen.map((s) => [s.method, s.url, s.headers['content-type'], s.body])).toEqual([
      ['POST', '/api/v1/namespaces/default/configmaps?fieldManager=kubeopencode', 'application/json', '{"metadata":{"name":"cm"},"data":{"a":"é"}}'],
      ['PATCH', '/api/v1/namespaces/default/configmaps/cm?fieldManager=kubeopencode', MERGE_PATCH, '{"data":{"a":"b"}}'],
    ]);
  });

  test('a refusal becomes an ApiError with the server\'s Status; an empty answer is undefined', async () => {
    handler = (_req, res) => json(res, 404, { kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'tasks "x" not found', code: 404 });
    const error = await rest.get('/apis/kubeopencode.io/v1alpha1/namespaces/default/tasks/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 404, status: { reason: 'NotFound', message: 'tasks "x" not found' } });
    handler = (_req, res) => res.writeHead(200).end();
    await expect(rest.request('DELETE', '/api/v1/namespaces/default/pods/p')).resolves.toBeUndefined();
  });

  test('no answer within the timeout is a NetworkError; the caller\'s own abort stays an AbortError', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    const timedOut = await rest.request('GET', '/api/v1/pods', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(NetworkError);
    expect(isNetworkError(timedOut)).toBe(true);
    expect(Date.now() - started).toBeLessThan(4_000);

    const controller = new AbortController();
    const pending = rest.request('GET', '/api/v1/pods', { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 50);
    const aborted = await pending;
    expect(aborted).toMatchObject({ name: 'AbortError' });
    expect(aborted).not.toBeInstanceOf(NetworkError);
  });

  test('a refused connection is a NetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = new RestClient(kubeConfig(`http://127.0.0.1:${port}`));
    try {
      const error = await nowhere.get('/api/v1/pods').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
    } finally {
      await nowhere.close();
    }
  });
});
