/**
 * The UI's HTTP server. Every request goes through the same gate, whatever the mode: the Host
 * check (loopback servers), the security headers, the user's credentials (kubeconfig or the
 * proxy's bearer token), the CSRF checks of state-changing requests, then one of a fixed list
 * of routes. There is no route that forwards an arbitrary API path.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Assets, BundleFile } from './assets.js';
import { RouteContext, Route } from './context.js';
import { CredentialSource, Credentials } from './credentials.js';
import { problemBody, sendProblem } from './http.js';
import { problem } from './problems.js';
import { listRoutes } from './routes-lists.js';
import { logRoutes } from './routes-logs.js';
import { newTaskRoutes } from './routes-new.js';
import { taskRoutes } from './routes-task.js';
import { checkBindAddress, csrfRefusal, CsrfTokens, isLoopback, isStateChanging, loopbackHostAllowed, setSecurityHeaders } from './security.js';
import { SessionRegistry } from './session.js';
import { Logger, nullLogger } from '../../reconciler/runtime/logger.js';

export interface UiServerOptions {
  /** @default 127.0.0.1 */
  readonly address?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** Allow a non-loopback address (bearer mode only). */
  readonly allowRemote?: boolean;
  readonly credentials: CredentialSource;
  /** Watched when the user may not list Tasks cluster-wide (besides the kubeconfig context's). */
  readonly namespaces?: readonly string[];
  /** The bundle's folder. @default lib/ui of the package */
  readonly assetsDir?: string;
  /** Origins besides the server's own Host allowed to send state-changing requests (a proxy that rewrites Host). */
  readonly allowedOrigins?: readonly string[];
  /** Extra Host header values a loopback server answers to (e.g. `ui.localhost:8080`). */
  readonly allowedHosts?: readonly string[];
  /**
   * Also answer `GET /healthz` (and nothing else) on this port, on every address: the
   * kubelet's probes reach a Pod's IP, never its loopback, where the UI listens behind a
   * sidecar proxy. Off when undefined; 0 picks a free port.
   */
  readonly healthPort?: number;
  readonly sessionIdleMs?: number;
  readonly logger?: Logger;
}

function decodeParam(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw problem(400, 'BadRequest', `"${p}" is not a valid URL part`);
  }
}

const routes: Route[] = [...listRoutes, ...taskRoutes, ...logRoutes, ...newTaskRoutes];

/** Answers the probes: no credentials are read, nothing about the cluster is said. */
function sendHealthy(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end('ok');
}

/** The health listener: `GET /healthz` and nothing else. */
function healthOnly(req: IncomingMessage, res: ServerResponse): void {
  setSecurityHeaders(res);
  if (req.method === 'GET' && new URL(req.url ?? '/', 'http://ui.invalid').pathname === '/healthz') return sendHealthy(res);
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('only /healthz is served on this port');
}

export class UiServer {
  private readonly server: Server;
  private readonly healthServer?: Server;
  private readonly assets: Assets;
  private readonly sessions: SessionRegistry;
  private readonly csrf = new CsrfTokens();
  private readonly log: Logger;
  private readonly defaults: string[];
  private readonly address: string;

  constructor(private readonly options: UiServerOptions) {
    this.address = options.address ?? '127.0.0.1';
    checkBindAddress(this.address, options.allowRemote ?? false, options.credentials.mode);
    this.log = options.logger ?? nullLogger;
    this.assets = new Assets(options.assetsDir);
    this.sessions = new SessionRegistry({ logger: this.log, idleMs: options.sessionIdleMs });
    const context = options.credentials.contextNamespace;
    this.defaults = [...new Set([...options.namespaces ?? [], ...(context ? [context] : [])])];
    this.server = createServer((req, res) => void this.handle(req, res));
    if (options.healthPort !== undefined) this.healthServer = createServer(healthOnly);
  }

  public async listen(): Promise<string> {
    const listen = (server: Server, port: number, address?: string) => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    await listen(this.server, this.options.port ?? 0, this.address);
    if (this.healthServer) await listen(this.healthServer, this.options.healthPort ?? 0);
    return this.url;
  }

  public get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The health listener's port, when there is one. */
  public get healthPort(): number | undefined {
    return (this.healthServer?.address() as AddressInfo | null)?.port;
  }

  public get url(): string {
    const host = this.address.includes(':') ? `[${this.address}]` : this.address;
    return `http://${host}:${this.port}/`;
  }

  /** Users (sets of credentials) the server holds watches for. */
  public get sessionCount(): number {
    return this.sessions.size;
  }

  /** Watches the server has open against the API server, for every user together. */
  public get watchCount(): number {
    return this.sessions.watchCount;
  }

  public async close(): Promise<void> {
    for (const server of [this.server, this.healthServer]) {
      if (!server?.listening) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.sessions.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    setSecurityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    try {
      await this.dispatch(req, res, url);
    } catch (e) {
      const body = problemBody(e);
      if (body.code >= 500) this.log.error('request failed', { method: req.method, path: url.pathname, err: e as Error });
      sendProblem(res, body);
    } finally {
      // Method, path and status only: never headers (tokens) or bodies.
      res.once('close', () => this.log.debug('request', { method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started }));
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (isLoopback(this.address) && this.options.credentials.mode === 'kubeconfig' && !loopbackHostAllowed(req.headers.host, this.port, this.options.allowedHosts)) {
      throw problem(421, 'MisdirectedRequest', `This server answers only to http://127.0.0.1:${this.port} or http://localhost:${this.port}`);
    }
    // Before the credentials: the kubelet and load balancers probe without a token.
    if (req.method === 'GET' && url.pathname === '/healthz') return sendHealthy(res);
    const credentials = this.options.credentials.credentialsFor(req);
    if (!credentials) throw problem(401, 'Unauthorized', 'No bearer token: this server expects an authenticating proxy in front of it that passes the signed-in user\'s token (Authorization: Bearer)');
    if (isStateChanging(req.method)) {
      const refusal = csrfRefusal(req, this.csrf, credentials.id, this.options.allowedOrigins ?? []);
      if (refusal) throw problem(403, 'Forbidden', `Request refused: ${refusal}`);
    }
    const path = url.pathname;
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) return this.page(res, credentials);
    const asset = /^\/assets\/([a-z]+\.(?:js|css))$/.exec(path);
    if (req.method === 'GET' && asset) return this.asset(req, res, asset[1] as BundleFile);
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method !== req.method) continue;
      const ctx: RouteContext = {
        req,
        res,
        url,
        params: m.slice(1).map(decodeParam),
        session: () => this.sessions.get(credentials),
        defaultNamespaces: this.defaults,
        log: this.log,
      };
      return route.handler(ctx);
    }
    if (routes.some((r) => r.pattern.test(path))) throw problem(405, 'MethodNotAllowed', `${req.method} is not allowed on ${path}`);
    throw problem(404, 'NotFound', `Nothing here: ${path}`);
  }

  private page(res: ServerResponse, credentials: Credentials): void {
    const html = this.assets.html(this.csrf.tokenFor(credentials.id));
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html);
  }

  private asset(req: IncomingMessage, res: ServerResponse, name: BundleFile): void {
    const a = this.assets.get(name);
    if (!a) throw problem(404, 'NotFound', `Nothing here: /assets/${name}`);
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, { ETag: a.etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': a.type, 'Cache-Control': 'no-cache', 'ETag': a.etag, 'Content-Length': a.body.length });
    res.end(a.body);
  }
}
