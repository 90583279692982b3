/**
 * A Git server over SSH for Task Pods: Debian's OpenSSH server (install-packages.sh),
 * started by the harness on a free port with its own configuration, host key and one
 * authorized client key, and stopped with the test file. The key may run `git-shell` only
 * (upload-pack and friends: fetches and pushes of the served repositories), nothing else:
 * sshd runs as root, so its users are the machine's, and root is the one every Debian has.
 * It listens on the node's address only (not 0.0.0.0): Pods reach it there, the rest of
 * the network has no business with a root login, even a key-only, git-only one.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GitServer } from './git-http.js';
import { freePorts } from '../control-plane/net.js';
import { LifetimeGuard, logTail, spawnComponent, stopGroup } from '../control-plane/processes.js';
import { repoRoot } from '../control-plane/state.js';
import { waitFor } from '../wait.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd'; // an absolute path: sshd re-executes itself for every connection
/** sshd's privilege-separation directory, compiled in; Debian's service unit makes it at each start. */
const PRIVSEP_DIR = '/run/sshd';

export interface SshGitServer extends GitServer {
  /** The client's private key (OpenSSH format): the Secret's `ssh-privatekey`. */
  readonly privateKey: string;
  /** The server's host key as a known_hosts line: the Secret's `ssh-known-hosts`. */
  readonly knownHosts: string;
}

/** Installs openssh-server when missing (root; apt-get). */
export async function installSshd(): Promise<void> {
  if (existsSync(SSHD)) return;
  await run('bash', [join(repoRoot, 'harness', 'e2e', 'install-packages.sh')]).catch((e: Error & { stderr?: string }) => {
    throw new Error(`cannot install openssh-server: ${e.stderr?.trim() || e.message}`);
  });
}

const keygen = (file: string, comment: string) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);

function sshdConfig(dir: string, host: string, port: number): string {
  return [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'AllowUsers root',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The files live in a temporary directory under /tmp (world-writable), which strict modes refuse.
    'StrictModes no',
    'DisableForwarding yes',
    'PermitTTY no',
    'PrintMotd no',
    'LogLevel VERBOSE',
  ].join('\n');
}

function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Serves the repositories under `base` at `ssh://root@host:port<base>/<repo>`. */
export async function startGitSshd(base: string, host: string): Promise<SshGitServer> {
  await installSshd();
  const dir = mkdtempSync(join(tmpdir(), 'kubeopencode-sshd-'));
  const guard = new LifetimeGuard(dir); // stops sshd and removes dir if this process dies first
  try {
    await Promise.all([keygen(join(dir, 'host_key'), 'kubeopencode-test-host'), keygen(join(dir, 'client_key'), 'kubeopencode-test-client')]);
    const clientKey = readFileSync(join(dir, 'client_key.pub'), 'utf8').trim();
    writeFileSync(join(dir, 'authorized_keys'), `restrict,command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"" ${clientKey}\n`, { mode: 0o600 });
    const [port] = await freePorts(1);
    writeFileSync(join(dir, 'sshd_config'), `${sshdConfig(dir, host, port)}\n`);
    if (!existsSync(PRIVSEP_DIR)) mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
    const logFile = join(dir, 'sshd.log');
    const sshd = spawnComponent('sshd', SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], logFile);
    guard.track(sshd.pid);
    await waitFor(() => {
      if (sshd.ended) throw new Error(`sshd ${sshd.ended}:\n${logTail(logFile)}`);
      return acceptsConnections(host, port);
    }, { description: `sshd on ${host}:${port}`, timeoutMs: 15_000, intervalMs: 50 });
    const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    return {
      url: (repo) => `ssh://root@${host}:${port}${base}/${repo}`,
      privateKey: readFileSync(join(dir, 'client_key'), 'utf8'),
      knownHosts: `[${host}]:${port} ${hostKey}\n`,
      stop: async () => {
        await stopGroup(sshd.pid, 2000);
        guard.release();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    guard.killNow();
    guard.release();
    throw e;
  }
}
