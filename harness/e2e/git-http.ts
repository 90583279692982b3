/**
 * Git's smart HTTP protocol served by `git http-backend` (CGI) behind a small Node server,
 * over HTTP or HTTPS, that can demand basic auth (a password, or a token as the password)
 * and can hide the client's protocol v2 request (so that the backend speaks v0).
 * The git-init unit tests use it on loopback; the e2e tests on the node's address, where
 * Pods reach it.
 */
import { execFileSync, spawn } from 'node:child_process';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { listen, ServedAt, stopServer } from './listen.js';

export interface GitServer {
  readonly url: (repo: string) => string;
  readonly stop: () => Promise<void>;
}

export interface HttpGitServer extends GitServer {
  /** The Authorization header of every request, in order. */
  readonly authorizations: (string | undefined)[];
}

export interface HttpGitOptions extends ServedAt {
  readonly auth?: { readonly username: string; readonly password: string };
  /** Do not pass the client's Git-Protocol header on: the backend then speaks protocol v0. */
  readonly protocolV0?: boolean;
  /** Serve HTTPS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

let backend: string | undefined;
const httpBackend = (): string => (backend ??= join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend'));

/** Runs one request through git http-backend (CGI) and relays its answer. */
function cgi(base: string, options: HttpGitOptions, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, 'http://localhost');
  const optional = (name: string, value: string | string[] | undefined) => (value === undefined ? {} : { [name]: String(value) });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: base,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    ...optional('CONTENT_TYPE', req.headers['content-type']),
    ...optional('CONTENT_LENGTH', req.headers['content-length']),
    ...optional('HTTP_CONTENT_ENCODING', req.headers['content-encoding']),
    ...(options.protocolV0 ? {} : optional('GIT_PROTOCOL', req.headers['git-protocol'])),
  };
  const child = spawn(httpBackend(), [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  req.pipe(child.stdin);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.on('close', () => {
    const out = Buffer.concat(chunks);
    const split = out.indexOf('\r\n\r\n');
    const headers = out.subarray(0, split).toString().split('\r\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
    const status = Number(headers.find(([k]) => k.toLowerCase() === 'status')?.[1].split(' ')[0] ?? 200);
    res.writeHead(status, Object.fromEntries(headers.filter(([k]) => k.toLowerCase() !== 'status')));
    res.end(out.subarray(split + 4));
  });
}

/** Serves every repository under `base` (e.g. `url('repo.git')`). */
export async function startGitHttp(base: string, options: HttpGitOptions = {}): Promise<HttpGitServer> {
  const authorizations: (string | undefined)[] = [];
  const expected = options.auth && `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    authorizations.push(req.headers.authorization);
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end();
      return;
    }
    cgi(base, options, req, res);
  };
  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
  const origin = await listen(server, options.tls ? 'https' : 'http', options);
  return { url: (repo) => `${origin}/${repo}`, authorizations, stop: () => stopServer(server) };
}
