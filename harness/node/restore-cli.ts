/**
 * `tsx harness/node/restore-cli.ts [state file]`: restores the host after a node run whose
 * Node process is gone. The watchdog (guard.ts) runs it; it can also be run by hand after
 * a run that left the host changed (e.g. the watchdog itself was killed).
 */
import { rmSync } from 'node:fs';
import { readNodeState, restoreHost } from './host-restore.js';
import { STATE_FILE } from './layout.js';

async function main(file: string): Promise<number> {
  const log = (line: string) => process.stderr.write(`[node] ${new Date().toISOString()} ${line}\n`);
  const state = readNodeState(file);
  if (!state) {
    log(`nothing to restore: no readable ${file}`);
    return 0;
  }
  log(`restoring the host after the node run of PID ${state.ownerPid}`);
  const problems = await restoreHost(state, log);
  if (problems.length === 0) rmSync(file, { force: true });
  log(problems.length ? `restore left ${problems.length} problem(s); ${file} kept` : 'host restored');
  return problems.length ? 1 : 0;
}

main(process.argv[2] ?? STATE_FILE).then((code) => process.exit(code), (e: Error) => {
  process.stderr.write(`[node] restore failed: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
