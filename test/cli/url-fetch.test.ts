import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs, runCli } from './helpers.js';
import { permissionBits } from '../../src/cli/lib/safe-write.js';

const TOKEN = 'tok-0123456789abcdef';
const BASIC = `Basic ${Buffer.from('bob:hunter2-password').toString('base64')}`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const echoHeaders: Handler = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(req.headers));
};

/** Routes of the main test server; `other` is a second server on another host (127.0.0.2). */
function routes(other: () => string): Record<string, Handler> {
  return {
    '/hello': (_req, res) => res.end('hello\n'),
    '/headers': echoHeaders,
    '/bearer': (req, res) => (req.headers.authorization === `Bearer ${TOKEN}` ? res.end('token ok\n') : res.writeHead(401).end()),
    '/basic': (req, res) => (req.headers.authorization === BASIC ? res.end('basic ok\n') : res.writeHead(401).end()),
    '/missing': (_req, res) => res.writeHead(404, 'Not Found').end('no such thing'),
    '/stall-body': (_req, res) => { res.writeHead(200, { 'content-length': '100' }); res.write('partial'); },
    '/declared-big': (_req, res) => res.writeHead(200, { 'content-length': '2000' }).end('x'.repeat(2000)),
    '/streamed-big': (_req, res) => { res.writeHead(200); for (let i = 0; i < 20; i++) res.write('y'.repeat(100)); res.end(); },
    '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
    '/same-origin': (_req, res) => res.writeHead(307, { location: '/headers' }).end(),
    '/other-host': (_req, res) => res.writeHead(302, { location: `${other()}/headers` }).end(),
  };
}

function listen(server: http.Server | https.Server, host: string): Promise<string> {
  return new Promise((resolve) => server.listen(0, host, () => {
    const scheme = server instanceof https.Server ? 'https' : 'http';
    resolve(`${scheme}://${host}:${(server.address() as AddressInfo).port}`);
  }));
}

let dir: string;
let base: string;
let otherBase: string;
let tlsBase: string;
const servers: (http.Server | https.Server)[] = [];

beforeAll(async () => {
  dir = makeTempDir('url-fetch');
  const table = routes(() => otherBase);
  const main = http.createServer((req, res) => (table[req.url!] ?? ((_q, r) => r.writeHead(500).end()))(req, res));
  const other = http.createServer(echoHeaders);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost',
    '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const tls = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('over tls\n'));
  servers.push(main, other, tls);
  [base, otherBase, tlsBase] = await Promise.all([listen(main, '127.0.0.1'), listen(other, '127.0.0.2'), listen(tls, '127.0.0.1')]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => {
    s.closeAllConnections();
    s.close(resolve);
  })));
  removeTempDirs();
});

let count = 0;
const newTarget = (): string => join(dir, `out-${count++}`, 'content');
const fetchUrl = (path: string, target: string, ...args: string[]) => runCli(['url-fetch', '--source', `${base}${path}`, '--target', target, ...args]);

function secretDir(files: Record<string, string>): string {
  const secret = join(dir, `secret-${count++}`);
  mkdirSync(secret);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(secret, name), content);
  return secret;
}

/** The directory holds only the target (no temporary file left behind), or nothing. */
const leftovers = (target: string): string[] => (existsSync(join(target, '..')) ? readdirSync(join(target, '..')) : []);

describe('url-fetch', () => {
  test('writes the body with the default mode 644 and logs the size', async () => {
    const target = newTarget();
    const { code, stderr } = await fetchUrl('/hello', target);
    expect(code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('hello\n');
    expect(permissionBits(statSync(target).mode)).toBe(0o644);
    expect(stderr).toContain(`fetched 6 bytes from ${base}/hello`);
    expect(leftovers(target)).toEqual(['content']);
  });

  test('applies --mode and sends --header values', async () => {
    const target = newTarget();
    const { code } = await fetchUrl('/headers', target, '--mode', '600', '--header', 'X-Custom: yes please', '--header', 'Accept:text/plain');
    expect(code).toBe(0);
    expect(permissionBits(statSync(target).mode)).toBe(0o600);
    const headers = JSON.parse(readFileSync(target, 'utf8'));
    expect(headers['x-custom']).toBe('yes please');
    expect(headers.accept).toBe('text/plain');
  });

  test('a bearer token and basic auth from the Secret, never logged', async () => {
    const bearer = await fetchUrl('/bearer', newTarget(), '--secret-dir', secretDir({ token: `${TOKEN}\n` }));
    expect(bearer.code).toBe(0);
    const basic = await fetchUrl('/basic', newTarget(), '--secret-dir', secretDir({ username: 'bob', password: 'hunter2-password' }));
    expect(basic.code).toBe(0);
    const wrong = await fetchUrl('/bearer', newTarget(), '--secret-dir', secretDir({ token: 'wrong-token-value' }));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('HTTP 401');
    expect([bearer, basic, wrong].map((r) => r.stdout + r.stderr).join('')).not.toMatch(/tok-0123|hunter2|wrong-token|Ym9i/);
  });

  test('a non-2xx status is an error naming the status and the URL; an existing file stays as it was', async () => {
    const target = newTarget();
    mkdirSync(join(target, '..'));
    writeFileSync(target, 'previous');
    const { code, stderr } = await fetchUrl('/missing', target);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: GET ${base}/missing returned HTTP 404 Not Found`);
    expect(readFileSync(target, 'utf8')).toBe('previous');
    expect(leftovers(target)).toEqual(['content']);
  });

  test('the timeout covers a body that stalls', async () => {
    const target = newTarget();
    const started = Date.now();
    const { code, stderr } = await fetchUrl('/stall-body', target, '--timeout', '1');
    expect(code).toBe(1);
    expect(stderr).toContain(`error: timed out after 1s fetching ${base}/stall-body`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(leftovers(target)).toEqual([]);
  });

  test('bodies over --max-bytes are refused, whether declared or streamed', async () => {
    const declared = await fetchUrl('/declared-big', newTarget(), '--max-bytes', '1000');
    expect(declared.code).toBe(1);
    expect(declared.stderr).toContain('is 2000 bytes, over the limit of 1000 bytes');
    const target = newTarget();
    const streamed = await fetchUrl('/streamed-big', target, '--max-bytes', '1000');
    expect(streamed.code).toBe(1);
    expect(streamed.stderr).toContain('is larger than the limit of 1000 bytes');
    expect(leftovers(target)).toEqual([]);
  });

  test('a redirect loop stops after 5 redirects', async () => {
    const { code, stderr } = await fetchUrl('/loop', newTarget());
    expect(code).toBe(1);
    expect(stderr).toContain('too many redirects (more than 5)');
    expect(stderr.match(/redirected to/g)).toHaveLength(5);
  });

  test('credentials follow a redirect within the origin but not to another host', async () => {
    const secret = secretDir({ token: TOKEN });
    const same = newTarget();
    expect((await fetchUrl('/same-origin', same, '--secret-dir', secret, '--header', 'Cookie: a=b')).code).toBe(0);
    expect(JSON.parse(readFileSync(same, 'utf8'))).toMatchObject({ authorization: `Bearer ${TOKEN}`, cookie: 'a=b' });
    const other = newTarget();
    const { code, stderr } = await fetchUrl('/other-host', other, '--secret-dir', secret, '--header', 'Cookie: a=b', '--header', 'X-Kept: 1');
    expect(code).toBe(0);
    expect(stderr).toContain('are not forwarded');
    const headers = JSON.parse(readFileSync(other, 'utf8'));
    expect(headers.host).toBe(otherBase.replace('http://', ''));
    expect(headers.authorization).toBeUndefined();
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-kept']).toBe('1');
  });

  test('TLS is verified unless --insecure-skip-tls-verify', async () => {
    const strict = await runCli(['url-fetch', '--source', `${tlsBase}/`, '--target', newTarget()]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/self[- ]signed certificate/);
    const target = newTarget();
    const insecure = await runCli(['url-fetch', '--source', `${tlsBase}/`, '--target', target, '--insecure-skip-tls-verify']);
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toContain('warning: TLS certificate verification is disabled');
    expect(readFileSync(target, 'utf8')).toBe('over tls\n');
  });

  test('usage errors exit 2 with one line', async () => {
    for (const args of [['--mode', '999'], ['--header', 'no colon'], ['--timeout', 'soon'], ['--source', 'ftp://x/y']]) {
      const { code, stderr } = await runCli(['url-fetch', '--source', `${base}/hello`, '--target', newTarget(), ...args]);
      expect([code, stderr.trim().split('\n').length]).toEqual([2, 1]);
    }
  });
});
