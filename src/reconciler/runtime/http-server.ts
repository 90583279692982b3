/**
 * The controller's HTTP endpoints: /healthz, /readyz and /metrics, on one or two listeners
 * (`--metrics-bind-address :8080`, `--health-probe-bind-address :8081`, or both on one port).
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import { nullLogger } from './logger.js';

/** What /readyz reports: ready, or not with a short reason. */
export type ReadinessResult = boolean | { readonly ready: boolean; readonly reason?: string };

export type Endpoint = 'healthz' | 'readyz' | 'metrics';

export interface BindAddress {
  /** Empty or undefined: all interfaces. */
  readonly host?: string;
  /** 0 picks a free port (see `HttpServer.port`). */
  readonly port: number;
}

/**
 * Parses `:8080`, `0.0.0.0:8080`, `127.0.0.1:0`, `[::1]:8080` or `8080`. `0` alone (the
 * controller-runtime convention for "disabled") returns undefined.
 */
export function parseBindAddress(value: string): BindAddress | undefined {
  if (value === '0') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  if (!m) throw new Error(`bind address "${value}": expected [host]:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`bind address "${value}": port out of range`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

export interface ListenerOptions extends BindAddress {
  /** Which endpoints this listener serves. */
  readonly endpoints: readonly Endpoint[];
}

export interface HttpServerOptions {
  readonly listeners: readonly ListenerOptions[];
  /** Called on every /readyz request. @default always ready */
  readonly readiness?: () => ReadinessResult | Promise<ReadinessResult>;
  /** Called on every /healthz request. @default always healthy */
  readonly liveness?: () => ReadinessResult | Promise<ReadinessResult>;
  /** The Prometheus exposition; without it /metrics answers 404. */
  readonly metrics?: { readonly contentType: string; expose(): Promise<string> };
  readonly logger?: Logger;
}

interface Bound {
  readonly server: Server;
  readonly endpoints: ReadonlySet<Endpoint>;
  readonly options: ListenerOptions;
}

export class HttpServer {
  private readonly bound: Bound[] = [];
  private readonly log: Logger;

  constructor(private readonly options: HttpServerOptions) {
    this.log = options.logger ?? nullLogger;
    if (options.listeners.length === 0) throw new Error('HttpServer needs at least one listener');
  }

  /** Binds every listener; rejects (and closes what was bound) if one cannot listen. */
  public async start(): Promise<void> {
    if (this.bound.length > 0) throw new Error('HttpServer already started');
    try {
      for (const l of this.options.listeners) {
        const endpoints = new Set(l.endpoints);
        const server = createServer((req, res) => {
          void this.handle(endpoints, req, res);
        });
        // A scrape or probe must never keep the process (or Jest) alive.
        server.keepAliveTimeout = 5_000;
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port: l.port, host: l.host || undefined }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        this.bound.push({ server, endpoints, options: l });
        const addr = server.address() as AddressInfo;
        this.log.info('http listener started', { address: `${addr.address}:${addr.port}`, endpoints: [...endpoints].join(',') });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** The bound port of listener `index` (useful with port 0). */
  public port(index = 0): number {
    const b = this.bound[index];
    if (!b) throw new Error(`listener ${index} is not bound`);
    return (b.server.address() as AddressInfo).port;
  }

  public async stop(): Promise<void> {
    const servers = this.bound.splice(0).map((b) => b.server);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  private async handle(endpoints: ReadonlySet<Endpoint>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    const endpoint = path.slice(1) as Endpoint;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return reply(res, 405, 'method not allowed\n');
      }
      if (!endpoints.has(endpoint)) return reply(res, 404, 'not found\n');
      switch (endpoint) {
        case 'healthz':
          return await this.probe(res, this.options.liveness);
        case 'readyz':
          return await this.probe(res, this.options.readiness);
        case 'metrics': {
          if (!this.options.metrics) return reply(res, 404, 'metrics are not enabled\n');
          const body = await this.options.metrics.expose();
          return reply(res, 200, body, this.options.metrics.contentType);
        }
      }
    } catch (err) {
      this.log.error('http handler failed', { path, err: err as Error });
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    }
  }

  private async probe(res: ServerResponse, check: HttpServerOptions['readiness']): Promise<void> {
    const result = check ? await check() : true;
    const ready = typeof result === 'boolean' ? result : result.ready;
    const reason = typeof result === 'boolean' ? undefined : result.reason;
    if (ready) return reply(res, 200, 'ok\n');
    return reply(res, 503, `${reason ?? 'not ready'}\n`);
  }
}

function reply(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * Listeners from the two controller-runtime style flags; equal addresses share one listener.
 * Either may be undefined (disabled).
 */
export function listenersFor(metrics: BindAddress | undefined, probes: BindAddress | undefined): ListenerOptions[] {
  const out: ListenerOptions[] = [];
  if (metrics) out.push({ ...metrics, endpoints: ['metrics'] });
  if (probes) {
    const same = metrics && metrics.port !== 0 && metrics.port === probes.port && (metrics.host ?? '') === (probes.host ?? '');
    if (same) out[0] = { ...metrics, endpoints: ['metrics', 'healthz', 'readyz'] };
    else out.push({ ...probes, endpoints: ['healthz', 'readyz'] });
  }
  return out;
}
