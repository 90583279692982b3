/**
 * `npm run demo` (npx tsx scripts/demo.ts): KubeOpenCode end to end on this machine, and it
 * stops by itself. On a machine that can run a node (root, cgroups; see harness/README.md),
 * everything is real: our images built from our Dockerfiles, the chart installed with helm,
 * the controller running as a Pod, and five Tasks running in containers, with their agent
 * logs and outputs shown at the end. Elsewhere it says why, and runs the same Tasks with the
 * controller in this process and a simulated node instead.
 */
import { realNodeDemo } from './demo/real-node.js';
import { simulatedDemo } from './demo/simulated.js';
import { bold, clock, say } from './demo/table.js';
import { buildBinaries } from '../harness/control-plane/session.js';
import { repoRoot } from '../harness/control-plane/state.js';
import { nodeUnavailableReason } from '../harness/node/machine.js';

async function demo(): Promise<void> {
  say(bold('KubeOpenCode demo: the Helm chart, the controller under its RBAC, an Agent and five Tasks'));
  say('Building the control plane and node binaries from their Go modules (cached after the first time)...');
  const binDir = await buildBinaries();
  const reason = await nodeUnavailableReason(binDir, `${repoRoot}harness/node/install-packages.sh`);
  if (reason) {
    say(`\nThis machine cannot run a node (${reason}): the Tasks run on a simulated node instead, without containers.`);
    await simulatedDemo(binDir);
  } else {
    await realNodeDemo(binDir);
  }
  say(`Took ${clock().trim()}.`);
}

demo().then(
  () => process.exit(0), // keep-alive sockets of the API client must not hold the process
  (e: unknown) => {
    process.stderr.write(`\ndemo failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
