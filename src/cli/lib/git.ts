/**
 * Running git for git-init without leaking credentials: git reads its whole configuration
 * from a private file in a private temporary directory (no system or user config), the
 * credentials reach it through a credential helper or GIT_SSH_COMMAND that only name files,
 * and every message is scrubbed before it is shown.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode, Log } from './cli.js';
import { Redactor } from './redact.js';

/** A repository URL, split into what git may see and what it must not. */
export interface Repository {
  /** The URL given to git: without a password. */
  readonly url: string;
  /** The URL for messages. */
  readonly display: string;
  readonly transport: 'http' | 'ssh' | 'git';
  /** `scheme://host[:port]`, for scoping the credential helper (HTTP only). */
  readonly origin?: string;
  /** A user name and password that were written into the URL. */
  readonly embedded?: { readonly username: string; readonly password: string };
}

export class GitError extends Error {
  constructor(message: string, public readonly stderr: string, public readonly timedOut = false) {
    super(message);
    this.name = 'GitError';
  }
}

/** The Secret key of a CA certificate (PEM) to trust for an HTTPS repository. */
export const CA_KEY = 'ca.crt';

/** Quotes a value for a git config file. */
const configValue = (v: string): string => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** Quotes a word for sh. */
export const shellQuote = (v: string): string => `'${v.replace(/'/g, "'\\''")}'`;

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Lines worth showing from git's stderr: its fatal/error/remote messages. */
export function gitComplaint(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => /^(fatal|error|remote|ERROR)\b|^\[\d+\] /.test(l));
  return (lines.length ? lines : stderr.split('\n').filter((l) => l.trim())).slice(-3).join('; ');
}

/** What went wrong, in words, from git's stderr. */
export function explainGitFailure(stderr: string): string | undefined {
  const rules: [RegExp, string][] = [
    [/Authentication failed|could not read (Username|Password)|Permission denied \(|returned error: 40[13]|HTTP 40[13]|Invalid username or password/i, 'authentication failed'],
    [/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i, 'SSH host key verification failed'],
    [/repository .* not found|not found|does not appear to be a git repository|access denied or repository not exported|No such file or directory|returned error: 404/i,
      'repository not found'],
    [/Could not resolve host|Name or service not known|Temporary failure in name resolution|nodename nor servname/i, 'could not resolve the host'],
    [/Connection refused|Connection timed out|Failed to connect|unable to connect|Network is unreachable|No route to host/i, 'could not connect'],
    [/SSL|certificate/i, 'TLS error'],
  ];
  return rules.find(([pattern]) => pattern.test(stderr))?.[1];
}

export interface GitSessionOptions {
  readonly repository: Repository;
  readonly secretDir?: string;
  readonly timeoutSeconds: number;
  readonly log: Log;
}

/** One git-init run: a private directory with git's config and credentials, and a deadline. */
export class GitSession {
  static async open(options: GitSessionOptions): Promise<GitSession> {
    const dir = await mkdtemp(join(tmpdir(), 'kubeopencode-git-')); // mode 0700
    const session = new GitSession(dir, options);
    try {
      await session.configure();
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  private readonly deadline: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly redactor: Redactor;

  private constructor(private readonly dir: string, private readonly options: GitSessionOptions) {
    this.deadline = Date.now() + options.timeoutSeconds * 1000;
    this.redactor = options.log.redactor;
    // No GIT_* from outside (GIT_DIR and friends would point git elsewhere), no prompts, English messages.
    const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_') && k !== 'SSH_ASKPASS' && k !== 'SSH_AUTH_SOCK');
    this.env = {
      ...Object.fromEntries(inherited),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: join(dir, 'gitconfig'),
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      LANGUAGE: 'C',
    };
  }

  /** Runs git; resolves with stdout, rejects with a GitError carrying the scrubbed stderr. */
  run(args: readonly string[], cwd: string = this.dir): Promise<string> {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) return Promise.reject(this.timeoutError(''));
    return new Promise((resolve, reject) => {
      // Its own process group, so that a timeout also stops git's helpers (ssh, remote-https).
      const child = spawn('git', args, { cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch { /* already gone */ }
      }, remaining);
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new GitError(`cannot run git: ${err.message}`, ''));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const scrubbed = this.redactor.scrub(stderr);
        if (timedOut) reject(this.timeoutError(scrubbed));
        else if (code !== 0) reject(new GitError(`git ${args[0]} failed: ${gitComplaint(scrubbed)}`, scrubbed));
        else resolve(stdout);
      });
    });
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private timeoutError(stderr: string): GitError {
    return new GitError(`timed out after ${this.options.timeoutSeconds}s (--timeout) cloning ${this.options.repository.display}`, stderr, true);
  }

  private async configure(): Promise<void> {
    const lines = [
      // Our own commands work in directories that another user may own (an emptyDir's root).
      '[safe]', `\tdirectory = ${configValue('*')}`,
      '[advice]', '\tdetachedHead = false',
      '[init]', '\tdefaultBranch = main',
      '[protocol "file"]', '\tallow = never',
      '[credential]', '\thelper =',
    ];
    const { repository, secretDir } = this.options;
    if (repository.transport === 'http') lines.push(...await this.httpTrust(secretDir), ...await this.httpCredentials(secretDir));
    if (repository.transport === 'ssh') this.env.GIT_SSH_COMMAND = await this.sshCommand(secretDir);
    if (repository.transport === 'git' && secretDir) this.options.log.warn('git:// has no authentication: the Secret is not used');
    await writeFile(join(this.dir, 'gitconfig'), `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  /**
   * The Secret's `ca.crt`, for a server whose certificate a private CA signed: git trusts
   * that CA (instead of the system's) for the repository's origin only.
   */
  private async httpTrust(secretDir: string | undefined): Promise<string[]> {
    const caFile = secretDir && join(secretDir, CA_KEY);
    if (!caFile || await readOptional(caFile) === undefined) return [];
    return [`[http ${configValue(`${this.options.repository.origin!}/`)}]`, `\tsslCAInfo = ${configValue(caFile)}`];
  }

  /** A credential helper, scoped to the repository's origin, that cats the two files. */
  private async httpCredentials(secretDir: string | undefined): Promise<string[]> {
    const files = await this.credentialFiles(secretDir);
    if (!files) return [];
    const cat = (f: string) => `"$(cat ${shellQuote(f)})"`;
    const helper = `!f() { test "$1" = get || exit 0; printf 'username=%s\\npassword=%s\\n' ${cat(files.username)} ${cat(files.password)}; }; f`;
    return [`[credential ${configValue(this.options.repository.origin!)}]`, `\thelper = ${configValue(helper)}`];
  }

  private async credentialFiles(secretDir: string | undefined): Promise<{ username: string; password: string } | undefined> {
    const { repository, log } = this.options;
    if (secretDir) {
      const username = await readOptional(join(secretDir, 'username'));
      const password = await readOptional(join(secretDir, 'password'));
      const onlyCa = username === undefined && password === undefined && await readOptional(join(secretDir, CA_KEY)) !== undefined;
      if (onlyCa) return this.embeddedCredentials();
      if (username === undefined || password === undefined) {
        throw new Error(`${secretDir} needs "username" and "password" (or only "${CA_KEY}") for ${repository.display}`);
      }
      this.redactor.add(password);
      if (repository.embedded) log.warn('the repository URL contains credentials; using the Secret\'s instead');
      return { username: join(secretDir, 'username'), password: join(secretDir, 'password') };
    }
    return this.embeddedCredentials();
  }

  /** The user name and password written into the URL, as private files. */
  private async embeddedCredentials(): Promise<{ username: string; password: string } | undefined> {
    const { repository } = this.options;
    if (!repository.embedded) return undefined;
    const username = join(this.dir, 'username');
    const password = join(this.dir, 'password');
    await writeFile(username, repository.embedded.username, { mode: 0o600 });
    await writeFile(password, repository.embedded.password, { mode: 0o600 });
    return { username, password };
  }

  /** ssh with only our key and known hosts; the key is copied because ssh refuses group-readable keys. */
  private async sshCommand(secretDir: string | undefined): Promise<string> {
    const knownHosts = join(this.dir, 'known_hosts');
    const key = join(this.dir, 'id_key');
    const secretKey = secretDir ? await readOptional(join(secretDir, 'ssh-privatekey')) : undefined;
    const secretHosts = secretDir ? await readOptional(join(secretDir, 'ssh-known-hosts')) : undefined;
    if (secretDir && secretKey === undefined) throw new Error(`${secretDir} has no "ssh-privatekey" for ${this.options.repository.display}`);
    if (secretKey !== undefined) {
      this.redactor.add(secretKey);
      // OpenSSH cannot load a key whose last line lacks its newline.
      await writeFile(key, secretKey.endsWith('\n') ? secretKey : `${secretKey}\n`, { mode: 0o600 });
    }
    if (secretHosts !== undefined) {
      await copyFile(join(secretDir!, 'ssh-known-hosts'), knownHosts);
    } else {
      await writeFile(knownHosts, '', { mode: 0o600 });
      this.options.log.warn('no ssh-known-hosts in the Secret: the server\'s host key is accepted without verification (StrictHostKeyChecking=accept-new)');
    }
    return [
      'ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'ConnectTimeout=30',
      '-o', `UserKnownHostsFile=${shellQuote(knownHosts)}`, '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', `StrictHostKeyChecking=${secretHosts !== undefined ? 'yes' : 'accept-new'}`,
      ...(secretKey !== undefined ? ['-i', shellQuote(key)] : []),
    ].join(' ');
  }
}
