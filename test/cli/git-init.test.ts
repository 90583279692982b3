import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { createFixtureRepo, Fixture, git, GitServer, HttpGitServer, startGitDaemon, startGitHttp } from './git-servers.js';
import { makeTempDir, removeTempDirs, runCli } from './helpers.js';
import { createServerCertificate, ServerCertificate } from '../../harness/e2e/pki.js';
import { hasBits } from '../../src/cli/lib/safe-write.js';

const USER = 'alice';
const PASSWORD = 's3cr3t-pa55word';

let dir: string;
let fixture: Fixture;
let daemon: GitServer;
let plain: HttpGitServer;
let guarded: HttpGitServer;
let v0: HttpGitServer;
let tokenOnly: HttpGitServer;
const TOKEN = 'ghp-token-as-user-name';

beforeAll(async () => {
  dir = makeTempDir('git-init');
  fixture = createFixtureRepo(dir);
  [daemon, plain, guarded, v0, tokenOnly] = await Promise.all([
    startGitDaemon(fixture.base),
    startGitHttp(fixture.base),
    startGitHttp(fixture.base, { auth: { username: USER, password: PASSWORD } }),
    startGitHttp(fixture.base, { protocolV0: true }),
    startGitHttp(fixture.base, { auth: { username: TOKEN, password: '' } }),
  ]);
});

afterAll(async () => {
  await Promise.all([daemon, plain, guarded, v0, tokenOnly].filter(Boolean).map((s) => s.stop()));
  removeTempDirs();
});

let count = 0;
const newTarget = (): string => join(dir, `clone-${count++}`);
const readme = (target: string): string => readFileSync(join(target, 'README.md'), 'utf8');
const head = (target: string): string => git(target, 'rev-parse', 'HEAD');
const historyLength = (target: string): number => Number(git(target, 'rev-list', '--count', 'HEAD'));

function secretDir(files: Record<string, string>): string {
  const secret = join(dir, `secret-${count++}`);
  mkdirSync(secret);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(secret, name), content, { mode: 0o440 });
  return secret;
}

/** Every file under the directory, as text (the test repository is tiny). */
function allText(root: string): string {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}

const gitInit = (...args: string[]) => runCli(['git-init', ...args]);

describe('git-init over git:// (git daemon)', () => {
  test('the default branch at depth 1, group-writable', async () => {
    const target = newTarget();
    const { code, stderr } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--depth', '1');
    expect(stderr).toContain(`cloning ${daemon.url('repo.git')} at the default branch (depth 1)`);
    expect(code).toBe(0);
    expect(readme(target)).toBe('three\n');
    expect(historyLength(target)).toBe(1);
    expect(hasBits(statSync(join(target, 'README.md')).mode, 0o020)).toBe(true);
  });

  test('depth 0 fetches the whole history', async () => {
    const target = newTarget();
    const { code } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--depth', '0');
    expect(code).toBe(0);
    expect(historyLength(target)).toBe(3);
    expect(existsSync(join(target, '.git/shallow'))).toBe(false);
  });

  test('a branch', async () => {
    const target = newTarget();
    const { code } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--depth', '1', '--ref', 'feature');
    expect(code).toBe(0);
    expect(head(target)).toBe(fixture.commits.feature);
    expect(readFileSync(join(target, 'feature.txt'), 'utf8')).toBe('feature\n');
  });

  test('an annotated tag', async () => {
    const target = newTarget();
    const { code } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--depth', '1', '--ref', 'v1');
    expect(code).toBe(0);
    expect(head(target)).toBe(fixture.commits.one);
    expect(readme(target)).toBe('one\n');
  });

  test('a full SHA that no ref points to, fetched alone at depth 1 (protocol v2)', async () => {
    const target = newTarget();
    const { code, stderr } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--depth', '1', '--ref', fixture.commits.two);
    expect(code).toBe(0);
    expect(stderr).not.toContain('whole history');
    expect(head(target)).toBe(fixture.commits.two);
    expect(historyLength(target)).toBe(1);
  });

  test('an abbreviated SHA', async () => {
    const target = newTarget();
    const { code, stderr } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--ref', fixture.commits.two.slice(0, 8));
    expect(code).toBe(0);
    expect(stderr).toContain('abbreviated SHA');
    expect(head(target)).toBe(fixture.commits.two);
  });

  test('--subdir keeps only that directory\'s content', async () => {
    const target = newTarget();
    const { code } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--subdir', 'docs/');
    expect(code).toBe(0);
    expect(readdirSync(target).sort()).toEqual(['api', 'guide.md']);
    expect(readFileSync(join(target, 'api/index.md'), 'utf8')).toBe('api\n');
  });

  test('an unknown ref is a clear error and leaves the target empty', async () => {
    const target = newTarget();
    const { code, stderr } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--ref', 'v9');
    expect(code).toBe(1);
    expect(stderr).toContain(`error: ref v9 not found in ${daemon.url('repo.git')}`);
    expect(readdirSync(target)).toEqual([]);
  });

  test('an unknown SHA is a clear error', async () => {
    const { code, stderr } = await gitInit('--repository', daemon.url('repo.git'), '--target', newTarget(), '--ref', 'f'.repeat(40));
    expect(code).toBe(1);
    expect(stderr).toContain(`error: ref ${'f'.repeat(40)} not found`);
  });

  test('a missing --subdir and a missing repository are clear errors', async () => {
    const subdir = await gitInit('--repository', daemon.url('repo.git'), '--target', newTarget(), '--subdir', 'nope');
    expect(subdir.code).toBe(1);
    expect(subdir.stderr).toContain('error: path nope not found in');
    const repo = await gitInit('--repository', daemon.url('missing.git'), '--target', newTarget());
    expect(repo.code).toBe(1);
    expect(repo.stderr).toContain(`error: repository not found: ${daemon.url('missing.git')}`);
  });

  test('usage errors exit 2: a non-empty target, a bad depth, an escaping subdir, an unsupported scheme', async () => {
    const busy = newTarget();
    mkdirSync(busy);
    writeFileSync(join(busy, 'x'), '');
    expect((await gitInit('--repository', daemon.url('repo.git'), '--target', busy)).stderr).toContain('is not empty');
    for (const args of [['--depth', '-1'], ['--subdir', '../etc'], ['--repository', 'file:///etc']]) {
      const { code, stderr } = await gitInit('--repository', daemon.url('repo.git'), '--target', newTarget(), ...args);
      expect([code, stderr.split('\n').filter(Boolean).length]).toEqual([2, 1]);
    }
  });

  (process.getuid?.() === 0 ? test : test.skip)('a target owned by another user (an emptyDir root) works: safe.directory', async () => {
    const target = newTarget();
    mkdirSync(target, { mode: 0o777 });
    chmodSync(target, 0o777);
    chownSync(target, 4321, 4321);
    const { code, stderr } = await gitInit('--repository', daemon.url('repo.git'), '--target', target, '--ref', fixture.commits.two);
    expect(stderr).not.toContain('dubious ownership');
    expect(code).toBe(0);
    expect(readme(target)).toBe('two\n');
  });
});

describe('git-init over smart HTTP (git http-backend)', () => {
  test('without authentication', async () => {
    const target = newTarget();
    const { code } = await gitInit('--repository', plain.url('repo.git'), '--target', target, '--ref', 'feature');
    expect(code).toBe(0);
    expect(head(target)).toBe(fixture.commits.feature);
  });

  test('a server that refuses unadvertised SHAs (protocol v0): falls back to the whole history', async () => {
    const target = newTarget();
    const { code, stderr } = await gitInit('--repository', v0.url('repo.git'), '--target', target, '--ref', fixture.commits.two);
    expect(stderr).toContain('fetching the whole history');
    expect(code).toBe(0);
    expect(head(target)).toBe(fixture.commits.two);
  });

  test('basic auth from the Secret, which appears nowhere', async () => {
    const target = newTarget();
    const secret = secretDir({ username: USER, password: `${PASSWORD}\n` });
    const { code, stdout, stderr } = await gitInit('--repository', guarded.url('repo.git'), '--target', target, '--secret-dir', secret);
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    expect(readme(target)).toBe('three\n');
    expect(guarded.authorizations).toContain(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    expect(git(target, 'remote', 'get-url', 'origin')).toBe(guarded.url('repo.git'));
    const everything = `${allText(target)}${stdout}${stderr}`;
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
  });

  test('credentials written into the URL are moved out of it', async () => {
    const target = newTarget();
    const url = guarded.url('repo.git').replace('http://', `http://${USER}:${PASSWORD}@`);
    const { code, stdout, stderr } = await gitInit('--repository', url, '--target', target);
    expect(code).toBe(0);
    expect(git(target, 'remote', 'get-url', 'origin')).toBe(guarded.url('repo.git'));
    expect(`${allText(target)}${stdout}${stderr}`).not.toContain(PASSWORD);
    expect(stderr).toContain('http://***@127.0.0.1');

    const tokenTarget = newTarget();
    const token = await gitInit('--repository', tokenOnly.url('repo.git').replace('http://', `http://${TOKEN}@`), '--target', tokenTarget);
    expect(token.code).toBe(0);
    expect(git(tokenTarget, 'remote', 'get-url', 'origin')).toBe(tokenOnly.url('repo.git'));
    expect(`${allText(tokenTarget)}${token.stdout}${token.stderr}`).not.toContain(TOKEN);
  });

  test('a wrong password is "authentication failed", without the password', async () => {
    const target = newTarget();
    const { code, stdout, stderr } = await gitInit('--repository', guarded.url('repo.git'), '--target', target,
      '--secret-dir', secretDir({ username: USER, password: 'wrong-password' }));
    expect(code).toBe(1);
    expect(stderr).toContain(`error: authentication failed: ${guarded.url('repo.git')}`);
    expect(`${stdout}${stderr}`).not.toContain('wrong-password');
    expect(readdirSync(target)).toEqual([]);
  });

  test('no Secret for a protected repository is "authentication failed"', async () => {
    const { code, stderr } = await gitInit('--repository', guarded.url('repo.git'), '--target', newTarget());
    expect(code).toBe(1);
    expect(stderr).toContain('error: authentication failed');
  });

  test('a server that never answers hits --timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const { code, stderr } = await gitInit('--repository', `http://127.0.0.1:${port}/repo.git`, '--target', newTarget(), '--timeout', '1');
      expect(code).toBe(1);
      expect(stderr).toContain('error: timed out after 1s');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('git-init over HTTPS with a private CA (the Secret\'s ca.crt)', () => {
  let cert: ServerCertificate;
  let guardedTls: HttpGitServer;
  let openTls: HttpGitServer;

  beforeAll(async () => {
    cert = await createServerCertificate(join(dir, 'pki'), []);
    [guardedTls, openTls] = await Promise.all([
      startGitHttp(fixture.base, { tls: cert, auth: { username: USER, password: PASSWORD } }),
      startGitHttp(fixture.base, { tls: cert }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([guardedTls, openTls].filter(Boolean).map((s) => s.stop()));
  });

  test('username, password and ca.crt: the server\'s certificate is trusted through that CA, and the clone works', async () => {
    const target = newTarget();
    const secret = secretDir({ 'username': USER, 'password': PASSWORD, 'ca.crt': cert.ca });
    const { code, stdout, stderr } = await gitInit('--repository', guardedTls.url('repo.git'), '--target', target, '--ref', 'v1', '--secret-dir', secret);
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    expect(readme(target)).toBe('one\n');
    expect(guardedTls.authorizations).toContain(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    // The trust lives in git-init's private configuration, not in the clone the agent gets.
    expect(readFileSync(join(target, '.git/config'), 'utf8')).not.toMatch(/sslCAInfo|ca\.crt/i);
    expect(`${allText(target)}${stdout}${stderr}`).not.toContain(PASSWORD);
  });

  test('without ca.crt the self-signed chain is refused: "TLS error"', async () => {
    const target = newTarget();
    const { code, stderr } = await gitInit('--repository', guardedTls.url('repo.git'), '--target', target,
      '--secret-dir', secretDir({ username: USER, password: PASSWORD }));
    expect(code).toBe(1);
    expect(stderr).toContain(`error: TLS error: ${guardedTls.url('repo.git')}`);
    expect(readdirSync(target)).toEqual([]);
  });

  test('ca.crt alone: a server without login needs no username or password', async () => {
    const target = newTarget();
    const { code, stderr } = await gitInit('--repository', openTls.url('repo.git'), '--target', target, '--secret-dir', secretDir({ 'ca.crt': cert.ca }));
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    expect(readme(target)).toBe('three\n');
  });

  test('a CA that did not sign the server\'s certificate is refused', async () => {
    const other = await createServerCertificate(join(dir, 'other-pki'), []);
    const { code, stderr } = await gitInit('--repository', openTls.url('repo.git'), '--target', newTarget(), '--secret-dir', secretDir({ 'ca.crt': other.ca }));
    expect(code).toBe(1);
    expect(stderr).toContain('error: TLS error');
  });

  test('a user name without its password is still an error, which names the keys', async () => {
    const { code, stderr } = await gitInit('--repository', openTls.url('repo.git'), '--target', newTarget(),
      '--secret-dir', secretDir({ 'username': USER, 'ca.crt': cert.ca }));
    expect(code).toBe(1);
    expect(stderr).toContain('needs "username" and "password" (or only "ca.crt")');
  });
});

describe('git-init over SSH (a fake ssh that records its arguments and serves the repository locally)', () => {
  const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key-but-secret\n-----END OPENSSH PRIVATE KEY-----';
  let bin: string;
  let log: string;

  beforeAll(() => {
    bin = join(dir, 'fake-bin');
    log = join(dir, 'ssh.log');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ssh'), [
      '#!/bin/sh',
      'printf "%s\\n" "$@" > "$FAKE_SSH_LOG"',
      'prev=""; for arg in "$@"; do',
      '  if [ "$prev" = "-i" ]; then stat -c "%a" "$arg" > "$FAKE_SSH_LOG.keymode"; cat "$arg" > "$FAKE_SSH_LOG.key"; echo "$arg" > "$FAKE_SSH_LOG.keypath"; fi',
      '  case "$arg" in UserKnownHostsFile=*) cat "${arg#UserKnownHostsFile=}" > "$FAKE_SSH_LOG.hosts";; esac',
      '  prev="$arg"; last="$arg"',
      'done',
      'exec sh -c "$last"',
    ].join('\n'), { mode: 0o755 });
  });

  const sshEnv = () => ({ env: { PATH: `${bin}:${process.env.PATH}`, FAKE_SSH_LOG: log } });

  test('the key reaches ssh as a private copy (mode 600) that is removed afterwards; no known hosts: accept-new with a warning', async () => {
    const target = newTarget();
    const secret = secretDir({ 'ssh-privatekey': KEY });
    const { code, stdout, stderr } = await runCli(['git-init', '--repository', `git@localhost:${fixture.base}/repo.git`, '--target', target,
      '--secret-dir', secret], sshEnv());
    expect(stderr).toContain('warning: no ssh-known-hosts');
    expect(code).toBe(0);
    expect(readme(target)).toBe('three\n');
    const args = readFileSync(log, 'utf8').split('\n');
    expect(args).toContain('StrictHostKeyChecking=accept-new');
    expect(args).toContain('BatchMode=yes');
    expect(args.join(' ')).not.toContain('not-a-real-key');
    expect(readFileSync(`${log}.keymode`, 'utf8').trim()).toBe('600');
    expect(readFileSync(`${log}.key`, 'utf8')).toBe(`${KEY}\n`);
    expect(existsSync(readFileSync(`${log}.keypath`, 'utf8').trim())).toBe(false);
    expect(`${allText(target)}${stdout}${stderr}`).not.toContain('not-a-real-key');
  });

  test('known hosts from the Secret: strict checking', async () => {
    const hosts = 'localhost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBogusBogusBogusBogusBogusBogusBogusBogus\n';
    const secret = secretDir({ 'ssh-privatekey': `${KEY}\n`, 'ssh-known-hosts': hosts });
    const { code, stderr } = await runCli(['git-init', '--repository', `ssh://git@localhost${fixture.base}/repo.git`, '--target', newTarget(),
      '--secret-dir', secret, '--ref', 'v1'], sshEnv());
    expect(stderr).not.toContain('warning');
    expect(code).toBe(0);
    expect(readFileSync(log, 'utf8').split('\n')).toContain('StrictHostKeyChecking=yes');
    expect(readFileSync(`${log}.hosts`, 'utf8')).toBe(hosts);
  });
});
