/**
 * Real Git servers on loopback for the git-init tests: `git daemon` (git://) and
 * `git http-backend` (smart HTTP) behind a small CGI wrapper that can demand basic auth
 * and can hide the client's protocol v2 request (so that the backend speaks v0).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './helpers.js';

const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

export const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();

export interface Fixture {
  /** Directory holding repo.git, the base path of both servers. */
  readonly base: string;
  readonly commits: { readonly one: string; readonly two: string; readonly three: string; readonly feature: string };
}

/**
 * main: one (tag v1, annotated) - two - three; feature: two - feature.
 * `docs/guide.md` exists from the first commit; README.md says which commit it is.
 */
export function createFixtureRepo(dir: string): Fixture {
  const work = join(dir, 'work');
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work], { env: gitEnv });
  const commit = (message: string, files: Record<string, string>): string => {
    for (const [name, content] of Object.entries(files)) {
      execFileSync('mkdir', ['-p', join(work, name, '..')]);
      writeFileSync(join(work, name), content);
    }
    git(work, 'add', '--all');
    git(work, 'commit', '--quiet', '-m', message);
    return git(work, 'rev-parse', 'HEAD');
  };
  const one = commit('one', { 'README.md': 'one\n', 'docs/guide.md': 'guide\n', 'docs/api/index.md': 'api\n' });
  git(work, 'tag', '-a', 'v1', '-m', 'version 1');
  const two = commit('two', { 'README.md': 'two\n' });
  git(work, 'checkout', '--quiet', '-b', 'feature');
  const feature = commit('feature', { 'feature.txt': 'feature\n' });
  git(work, 'checkout', '--quiet', 'main');
  const three = commit('three', { 'README.md': 'three\n' });
  const base = join(dir, 'served');
  execFileSync('git', ['clone', '--quiet', '--bare', work, join(base, 'repo.git')], { env: gitEnv });
  return { base, commits: { one, two, three, feature } };
}

function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        if (Date.now() - start > timeoutMs) reject(new Error(`nothing listens on port ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export interface GitServer {
  readonly url: (repo: string) => string;
  readonly stop: () => Promise<void>;
}

export async function startGitDaemon(base: string): Promise<GitServer> {
  const port = await freePort();
  const daemon: ChildProcess = spawn('git', ['daemon', '--export-all', '--reuseaddr', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base], {
    env: gitEnv,
    stdio: 'ignore',
  });
  await waitForPort(port);
  return {
    url: (repo) => `git://127.0.0.1:${port}/${repo}`,
    stop: () => new Promise((resolve) => {
      daemon.once('exit', () => resolve());
      daemon.kill('SIGTERM');
    }),
  };
}

export interface HttpGitServer extends GitServer {
  /** The Authorization header of every request, in order. */
  readonly authorizations: (string | undefined)[];
}

export interface HttpGitOptions {
  readonly auth?: { readonly username: string; readonly password: string };
  /** Do not pass the client's Git-Protocol header on: the backend then speaks protocol v0. */
  readonly protocolV0?: boolean;
}

const httpBackend = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');

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
    REMOTE_ADDR: '127.0.0.1',
    ...optional('CONTENT_TYPE', req.headers['content-type']),
    ...optional('CONTENT_LENGTH', req.headers['content-length']),
    ...optional('HTTP_CONTENT_ENCODING', req.headers['content-encoding']),
    ...(options.protocolV0 ? {} : optional('GIT_PROTOCOL', req.headers['git-protocol'])),
  };
  const child = spawn(httpBackend, [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  req.pipe(child.stdin!);
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  child.on('close', () => {
    const out = Buffer.concat(chunks);
    const split = out.indexOf('\r\n\r\n');
    const headers = out.subarray(0, split).toString().split('\r\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
    const status = Number(headers.find(([k]) => k.toLowerCase() === 'status')?.[1].split(' ')[0] ?? 200);
    res.writeHead(status, Object.fromEntries(headers.filter(([k]) => k.toLowerCase() !== 'status')));
    res.end(out.subarray(split + 4));
  });
}

export async function startGitHttp(base: string, options: HttpGitOptions = {}): Promise<HttpGitServer> {
  const authorizations: (string | undefined)[] = [];
  const expected = options.auth && `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end();
      return;
    }
    cgi(base, options, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: (repo) => `http://127.0.0.1:${port}/${repo}`,
    authorizations,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
