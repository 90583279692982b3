import { request } from 'node:http';
import { HttpServer, listenersFor, parseBindAddress } from '../../../src/reconciler/runtime/http-server.js';
import { Metrics } from '../../../src/reconciler/runtime/metrics.js';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HttpServer (real HTTP on port 0)', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  test('one listener serves /healthz, /readyz and /metrics', async () => {
    let ready: boolean | { ready: boolean; reason: string } = { ready: false, reason: 'informers not synced' };
    const metrics = new Metrics({ prefix: 'kubeopencode', defaultMetrics: false });
    metrics.observeReconcile('task', 'done', 0.01);
    server = new HttpServer({
      listeners: [{ host: '127.0.0.1', port: 0, endpoints: ['healthz', 'readyz', 'metrics'] }],
      readiness: () => ready,
      metrics,
    });
    await server.start();
    const port = server.port();
    expect(port).toBeGreaterThan(0);

    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: 'informers not synced\n' });
    ready = true;
    expect(await get(port, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(port, '/readyz/')).toMatchObject({ status: 200 });

    const m = await get(port, '/metrics');
    expect(m.status).toBe(200);
    expect(m.type).toContain('text/plain');
    expect(m.body).toContain('kubeopencode_reconcile_total{kind="task",result="done"} 1');

    expect((await get(port, '/nope')).status).toBe(404);
    expect((await get(port, '/healthz', 'POST')).status).toBe(405);
    expect(await get(port, '/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  test('separate listeners serve only their endpoints; async checks and failures', async () => {
    server = new HttpServer({
      listeners: [
        { host: '127.0.0.1', port: 0, endpoints: ['metrics'] },
        { host: '127.0.0.1', port: 0, endpoints: ['healthz', 'readyz'] },
      ],
      readiness: async () => false,
      liveness: async () => {
        throw new Error('probe exploded');
      },
      metrics: new Metrics({ prefix: 'kubeopencode', defaultMetrics: false }),
    });
    await server.start();
    const [metricsPort, probePort] = [server.port(0), server.port(1)];
    expect(metricsPort).not.toBe(probePort);
    expect((await get(metricsPort, '/metrics')).status).toBe(200);
    expect((await get(metricsPort, '/healthz')).status).toBe(404);
    expect((await get(probePort, '/metrics')).status).toBe(404);
    expect(await get(probePort, '/readyz')).toMatchObject({ status: 503, body: 'not ready\n' });
    expect((await get(probePort, '/healthz')).status).toBe(500);
  });

  test('without a metrics source /metrics is 404; a busy port makes start() reject', async () => {
    server = new HttpServer({ listeners: [{ host: '127.0.0.1', port: 0, endpoints: ['healthz', 'metrics'] }] });
    await server.start();
    expect((await get(server.port(), '/metrics')).status).toBe(404);
    const clash = new HttpServer({ listeners: [{ host: '127.0.0.1', port: server.port(), endpoints: ['healthz'] }] });
    await expect(clash.start()).rejects.toThrow(/EADDRINUSE/);
  });

  test('parses bind addresses and merges equal ones into one listener', () => {
    expect(parseBindAddress(':8080')).toEqual({ port: 8080 });
    expect(parseBindAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseBindAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseBindAddress('8081')).toEqual({ port: 8081 });
    expect(parseBindAddress('0')).toBeUndefined();
    expect(() => parseBindAddress('localhost')).toThrow(/expected \[host\]:port/);
    expect(() => parseBindAddress(':70000')).toThrow(/out of range/);

    expect(listenersFor({ port: 8080 }, { port: 8080 })).toEqual([{ port: 8080, endpoints: ['metrics', 'healthz', 'readyz'] }]);
    expect(listenersFor({ port: 8080 }, { port: 8081 })).toEqual([
      { port: 8080, endpoints: ['metrics'] },
      { port: 8081, endpoints: ['healthz', 'readyz'] },
    ]);
    expect(listenersFor(undefined, { port: 8081 })).toEqual([{ port: 8081, endpoints: ['healthz', 'readyz'] }]);
    expect(listenersFor({ port: 0 }, { port: 0 })).toHaveLength(2); // port 0 means two free ports
  });
});
