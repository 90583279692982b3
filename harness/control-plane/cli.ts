/**
 * `npm run cluster -- up|down|status`: a long-lived local control plane for working on
 * integration tests or poking at the CRDs by hand. While it runs, `npm test` reuses it
 * instead of starting its own (see session.ts).
 *
 *   eval "$(npm run --silent cluster -- up)"   # starts it and exports KUBECONFIG
 */
import { ControlPlaneState, isControlPlaneHealthy, stopControlPlane } from './control-plane.js';
import { startWithCrds } from './session.js';
import { readState, removeState, runningUpCluster, stateFile, upKubeconfig, writeState } from './state.js';

const exportLine = (state: ControlPlaneState) => `export KUBECONFIG=${state.kubeconfigPath}`;

async function up(): Promise<number> {
  const running = await runningUpCluster();
  if (running) {
    process.stderr.write(`[cluster] already running at ${running.server}\n`);
    process.stdout.write(`${exportLine(running)}\n`);
    return 0;
  }
  await clearStale();
  const plane = await startWithCrds(upKubeconfig);
  const state = plane.state();
  writeState(state);
  plane.detach(); // from here on, only `cluster down` stops it
  process.stderr.write(`[cluster] state in ${stateFile}; stop it with \`npm run cluster -- down\`\n`);
  process.stdout.write(`${exportLine(state)}\n`);
  return 0;
}

async function down(): Promise<number> {
  const state = readState();
  if (!state) {
    process.stderr.write('[cluster] no control plane recorded; nothing to stop\n');
    return 0;
  }
  await stopControlPlane(state);
  removeState();
  process.stderr.write(`[cluster] stopped and removed ${state.dataDir}\n`);
  return 0;
}

async function status(): Promise<number> {
  const state = readState();
  if (!state) {
    process.stdout.write('not running (no state file)\n');
    return 0;
  }
  const healthy = await isControlPlaneHealthy(state);
  const pids = Object.entries(state.pids).map(([name, pid]) => `${name}=${pid}`).join(' ');
  process.stdout.write([
    healthy ? 'running' : 'NOT HEALTHY (recorded, but a process is gone or /readyz fails; run `down`, then `up`)',
    `  server:     ${state.server}`,
    `  kubeconfig: ${state.kubeconfigPath}`,
    `  data dir:   ${state.dataDir}`,
    `  pids:       ${pids}`,
    `  started:    ${state.startedAt}`,
  ].join('\n') + '\n');
  return healthy ? 0 : 1;
}

/** A state file whose control plane died (e.g. after a reboot): stop what is left and forget it. */
async function clearStale(): Promise<void> {
  const stale = readState();
  if (!stale) return;
  process.stderr.write('[cluster] the recorded control plane is not healthy; cleaning it up first\n');
  await stopControlPlane(stale);
  removeState();
}

const commands: Record<string, () => Promise<number>> = { up, down, status };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  process.stderr.write('usage: npm run cluster -- up|down|status\n');
  process.exit(2);
}
command().then(
  (code) => process.exit(code), // explicit: keep-alive sockets of the API client must not hold the process
  (e: unknown) => {
    process.stderr.write(`[cluster] ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
