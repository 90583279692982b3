/**
 * `kubeopencode git-init`: the init container that clones a Git context. The ref may be a
 * branch, a tag or a commit SHA (full or abbreviated): a SHA is fetched by itself when the
 * server allows it (protocol v2 servers do), otherwise the whole history is fetched.
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { defineCommand, errorCode, Log, parseCount, str, UsageError } from './lib/cli.js';
import { explainGitFailure, GitError, GitSession, Repository } from './lib/git.js';
import { scrubUrl } from './lib/redact.js';
import { hasBits, withBits } from './lib/safe-write.js';

const DEFAULT_TIMEOUT_SECONDS = 600;
const SHA = /^[0-9a-f]{4,64}$/i;
const FULL_SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/i;

function decodeUserinfo(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError('--repository has badly encoded user information');
  }
}

/** Splits user information out of an HTTP(S) URL: git only ever sees the URL without it. */
export function parseRepository(raw: string): Repository {
  const display = scrubUrl(raw);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(`--repository is not a valid URL: ${display}`);
    }
    const scheme = url.protocol.slice(0, -1);
    if (scheme === 'ssh' || scheme === 'git+ssh') return { url: raw, display, transport: 'ssh' };
    if (scheme === 'git') return { url: raw, display, transport: 'git' };
    if (scheme !== 'http' && scheme !== 'https') throw new UsageError(`--repository must use https, http, ssh or git, not ${scheme}`);
    // A user name alone is often a token (https://TOKEN@host/...): it leaves the URL as well.
    const embedded = url.username || url.password ? { username: decodeUserinfo(url.username), password: decodeUserinfo(url.password) } : undefined;
    url.username = '';
    url.password = '';
    return { url: url.href, display, transport: 'http', origin: url.origin, embedded };
  }
  // scp-like syntax: [user@]host:path
  if (/^([^@/:\s]+@)?[^/:\s]+:/.test(raw)) return { url: raw, display, transport: 'ssh' };
  throw new UsageError(`--repository must be an https, http, ssh or git URL, got ${display}`);
}

/** `--subdir`: relative, inside the repository, normalised ('' means the whole repository). */
function parseSubdir(raw: string | undefined): string {
  if (raw === undefined) return '';
  const path = posix.normalize(raw).replace(/^\.\/|\/+$/g, '');
  if (raw.startsWith('/') || raw.split('/').includes('..')) throw new UsageError(`--subdir must be a path inside the repository, got "${raw}"`);
  return path === '.' ? '' : path;
}

/** The target may exist (an emptyDir, the workspace) but must be empty. */
async function prepareTarget(target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  const entries = await readdir(target);
  if (entries.length) throw new Error(`target ${target} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''})`);
}

/** A git failure as one clear line, naming the repository. */
function describeFailure(err: unknown, repository: Repository): Error {
  if (!(err instanceof GitError) || err.timedOut) return err instanceof Error ? err : new Error(String(err));
  const what = explainGitFailure(err.stderr);
  return what ? new Error(`${what}: ${repository.display} (${err.message})`) : err;
}

type RefKind = { kind: 'branch' | 'tag'; name: string } | { kind: 'commit'; sha: string; full: boolean };

/** Decides what a ref is from the server's advertised refs. */
async function classifyRef(git: GitSession, repository: Repository, ref: string): Promise<RefKind> {
  const advertised = new Map<string, string>();
  for (const line of (await git.run(['ls-remote', repository.url])).split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name) advertised.set(name, sha);
  }
  const short = ref.replace(/^refs\/(heads|tags)\//, '');
  if (advertised.has(`refs/heads/${short}`) && !ref.startsWith('refs/tags/')) return { kind: 'branch', name: short };
  if (advertised.has(`refs/tags/${short}`)) return { kind: 'tag', name: short };
  // Other advertised refs (refs/pull/1/head, ...) are fetched by the commit they point to.
  if (advertised.has(ref) && ref !== 'HEAD') return { kind: 'commit', sha: advertised.get(ref)!, full: true };
  if (!SHA.test(ref)) throw new Error(`ref ${ref} not found in ${repository.display}`);
  // An abbreviated SHA of an advertised commit can be fetched by its full SHA.
  const tip = [...new Set(advertised.values())].filter((sha) => sha.toLowerCase().startsWith(ref.toLowerCase()));
  if (tip.length === 1) return { kind: 'commit', sha: tip[0], full: true };
  return { kind: 'commit', sha: ref.toLowerCase(), full: FULL_SHA.test(ref) };
}

const depthArgs = (depth: number): string[] => (depth > 0 ? ['--depth', String(depth)] : []);

async function fetchEverything(git: GitSession, dir: string): Promise<void> {
  await git.run(['fetch', '--quiet', '--no-tags', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'], dir);
}

/** Fetches one commit; falls back to the whole history when the server refuses an unadvertised SHA. */
async function checkoutCommit(git: GitSession, repository: Repository, dir: string, ref: RefKind & { kind: 'commit' }, depth: number, log: Log) {
  await git.run(['init', '--quiet', dir]);
  await git.run(['remote', 'add', 'origin', repository.url], dir);
  if (!ref.full) {
    log.info(`${ref.sha} is an abbreviated SHA: fetching the whole history to find it`);
    await fetchEverything(git, dir);
  } else {
    try {
      await git.run(['fetch', '--quiet', '--no-tags', ...depthArgs(depth), 'origin', ref.sha], dir);
    } catch (err) {
      if (!(err instanceof GitError) || !/not our ref|unadvertised object|not a valid object|couldn't find remote ref/i.test(err.stderr)) throw err;
      log.info(`could not fetch ${ref.sha} by itself (the server refuses unadvertised commits, or it does not exist): fetching the whole history`);
      await fetchEverything(git, dir);
    }
  }
  let sha: string;
  try {
    sha = (await git.run(['rev-parse', '--verify', '--quiet', `${ref.sha}^{commit}`], dir)).trim();
  } catch {
    throw new Error(`ref ${ref.sha} not found in ${repository.display}`);
  }
  await git.run(['checkout', '--quiet', '--detach', sha], dir);
}

/** Clones `ref` into `dir`; resolves with the checked-out commit (empty for an empty repository). */
async function cloneAt(git: GitSession, repository: Repository, dir: string, ref: string | undefined, depth: number, log: Log): Promise<string> {
  const kind = ref === undefined ? undefined : await classifyRef(git, repository, ref);
  if (kind?.kind === 'commit') {
    await checkoutCommit(git, repository, dir, kind, depth, log);
  } else {
    await git.run(['clone', '--quiet', ...depthArgs(depth), ...(kind ? ['--branch', kind.name] : []), repository.url, dir]);
  }
  try {
    return (await git.run(['rev-parse', 'HEAD'], dir)).trim();
  } catch {
    log.warn(`${repository.display} has no commits: the target is an empty repository`);
    return '';
  }
}

/** Replaces the clone with the content of one of its subdirectories, refusing symbolic links. */
async function keepSubdir(stage: string, subdir: string, target: string, repository: Repository): Promise<void> {
  let current = stage;
  for (const part of subdir.split('/')) {
    current = join(current, part);
    const info = await lstat(current).catch((err) => {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (!info) throw new Error(`path ${subdir} not found in ${repository.display}`);
    if (info.isSymbolicLink() || !info.isDirectory()) throw new Error(`path ${subdir} in ${repository.display} is not a directory (or is a symbolic link)`);
  }
  for (const entry of await readdir(current)) await rename(join(current, entry), join(target, entry));
}

/**
 * Adds group write to everything (symbolic links excluded: chmod would follow them). Only
 * what we own: the root of an emptyDir belongs to root, and is world-writable already.
 */
async function makeGroupWritable(dir: string): Promise<void> {
  const info = await lstat(dir);
  if (info.isSymbolicLink()) return;
  if (!hasBits(info.mode, 0o020) && info.uid === process.getuid?.()) await chmod(dir, withBits(info.mode, 0o020));
  if (info.isDirectory()) {
    for (const entry of await readdir(dir)) await makeGroupWritable(join(dir, entry));
  }
}

interface CloneRequest {
  readonly repository: Repository;
  readonly target: string;
  readonly ref?: string;
  readonly depth: number;
  /** '' for the whole repository. */
  readonly subdir: string;
}

/** Clones (keeping only `subdir` if given) and makes the tree group-writable; resolves with the commit. */
async function cloneInto(git: GitSession, request: CloneRequest, log: Log): Promise<string> {
  const { repository, target, subdir } = request;
  // With --subdir, clone next to the result (same filesystem, so entries can be renamed into place).
  const dir = subdir ? await mkdtemp(join(target, '.kubeopencode-clone-')) : target;
  const depth = request.depth > 0 ? `depth ${request.depth}` : 'full history';
  log.info(`cloning ${repository.display} at ${request.ref ?? 'the default branch'} (${depth}) into ${target}${subdir ? ` (keeping ${subdir})` : ''}`);
  const commit = await cloneAt(git, repository, dir, request.ref, request.depth, log);
  if (subdir) {
    await keepSubdir(dir, subdir, target, repository);
    await rm(dir, { recursive: true, force: true });
  }
  await makeGroupWritable(target);
  return commit;
}

export const command = defineCommand({
  name: 'git-init',
  summary: 'Clone a Git context into a directory (init container)',
  details: 'Secret files: "username" and "password" (HTTPS), or "ssh-privatekey" and optionally "ssh-known-hosts".\n' +
    'For HTTPS, "ca.crt" (PEM) is the CA to trust for the repository\'s server instead of the system\'s; alone, it needs no login.\n' +
    'Credentials never reach .git/config, process arguments or logs. With --subdir only that directory\'s\n' +
    'content is kept (without .git).',
  options: {
    'repository': { type: 'string', required: true, arg: 'URL', description: 'https, http, ssh (or user@host:path) or git URL' },
    'target': { type: 'string', required: true, arg: 'DIR', description: 'Directory to clone into (created, or empty)' },
    'depth': { type: 'string', arg: 'N', description: 'History depth; 0 = full history (default 1)' },
    'ref': { type: 'string', arg: 'REF', description: 'Branch, tag or commit SHA (default: the default branch)' },
    'subdir': { type: 'string', arg: 'PATH', description: 'Keep only this directory of the repository' },
    'secret-dir': { type: 'string', arg: 'DIR', description: 'Mounted Secret with the credentials' },
    'timeout': { type: 'string', arg: 'SECONDS', description: `Time limit for the whole clone (default ${DEFAULT_TIMEOUT_SECONDS})` },
  },
  run: async (values, log) => {
    const repository = parseRepository(str(values.repository)!);
    log.redactor.add(repository.embedded?.password);
    if (!repository.embedded?.password) log.redactor.add(repository.embedded?.username);
    const target = resolve(str(values.target)!);
    const depth = parseCount('depth', str(values.depth), 1);
    const rawRef = str(values.ref);
    const ref = rawRef === '' || rawRef === 'HEAD' ? undefined : rawRef;
    const subdir = parseSubdir(str(values.subdir));
    const timeoutSeconds = parseCount('timeout', str(values.timeout), DEFAULT_TIMEOUT_SECONDS);
    if (timeoutSeconds === 0) throw new UsageError('--timeout must be at least 1 second');
    await prepareTarget(target);
    const git = await GitSession.open({ repository, secretDir: str(values['secret-dir']), timeoutSeconds, log });
    try {
      const commit = await cloneInto(git, { repository, target, ref, depth, subdir }, log);
      log.info(`cloned ${repository.display} at ${ref ?? 'the default branch'}${commit ? ` (commit ${commit.slice(0, 12)})` : ''} into ${target}` +
        `${subdir ? ` (only ${subdir})` : ''}`);
      return 0;
    } catch (err) {
      // The target was empty: leave it so rather than with half a clone.
      for (const entry of await readdir(target)) await rm(join(target, entry), { recursive: true, force: true });
      throw describeFailure(err, repository);
    } finally {
      await git.close();
    }
  },
});
