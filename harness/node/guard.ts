/**
 * One node per machine, and a host that is restored whatever happens to the Node process
 * that started the node. Both come from one small shell process started before anything
 * changes on the host, the watchdog:
 *
 * - it takes an exclusive flock on LOCK_FILE and holds it for its whole life, so a second
 *   test run on the machine waits for it (up to a limit, then gives up with a clear line);
 * - once the starting process is gone without having released it (SIGKILL, a crash, an
 *   exit that skipped stop()), it runs restore-cli.ts, still holding the lock, so the next
 *   run starts only on a restored host.
 *
 * SIGINT/SIGTERM/SIGHUP need nothing more: the process dies (the control plane's guard
 * re-raises the signal) and the watchdog takes over. stop() restores in-process and then
 * releases the watchdog.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { readNodeState } from './host-restore.js';
import { LOCK_FILE, STATE_FILE } from './layout.js';
import { signalGroup } from '../control-plane/processes.js';
import { repoRoot } from '../control-plane/state.js';

/** Where the watchdog's restore writes what it did. */
export const RESTORE_LOG = '/tmp/kubeopencode-node-restore.log';

const WATCHDOG_SCRIPT = `
parent=$1; lock=$2; wait_s=$3; log=$4; shift 4
exec 9>>"$lock"
if ! flock -n 9; then
  echo busy
  flock -w "$wait_s" 9 || { echo timeout; exit 1; }
fi
echo locked
exec >/dev/null
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
exec "$@" >>"$log" 2>&1
`;

export class NodeGuard {
  /**
   * Starts the watchdog and resolves once it holds the lock; rejects with the reason when
   * another run keeps it longer than `waitMs`.
   */
  static acquire(waitMs: number, log: (line: string) => void): Promise<NodeGuard> {
    const restore = [process.execPath, join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(repoRoot, 'harness', 'node', 'restore-cli.ts'), STATE_FILE];
    const args = [String(process.pid), LOCK_FILE, String(Math.ceil(waitMs / 1000)), RESTORE_LOG, ...restore];
    const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'kubeopencode-node-watchdog', ...args], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    return new Promise((resolve, reject) => {
      let output = '';
      child.once('error', reject);
      child.once('exit', () => reject(new Error(`another run holds the machine's one node (${LOCK_FILE}${holder()}) and did not release it within ${Math.round(waitMs / 1000)} s`)));
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('busy\n') && !output.includes('locked')) {
          log(`another run holds the machine's one node (${LOCK_FILE}${holder()}); waiting up to ${Math.round(waitMs / 1000)} s`);
          output = output.replace('busy\n', '');
        }
        if (output.includes('locked\n')) {
          child.removeAllListeners('exit');
          child.stdout!.destroy();
          child.unref();
          resolve(new NodeGuard(child));
        }
      });
    });
  }

  private constructor(private readonly watchdog: ChildProcess) {}

  /** Ends the watchdog, which frees the lock: call after the host is restored. */
  release(): void {
    if (this.watchdog.pid !== undefined) signalGroup(this.watchdog.pid, 'SIGKILL');
  }
}

function holder(): string {
  const state = readNodeState();
  return state ? `, started by PID ${state.ownerPid}` : '';
}
