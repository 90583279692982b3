/**
 * What the Jest global setup and `npm run cluster -- up` share: building the binaries and
 * starting a control plane with the kubeopencode CRDs installed. Loads fast: the slow
 * imports (API client, CRD sources) live in crds.ts, loaded while the control plane boots.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane, ControlPlaneEndpoint, ControlPlaneState } from './control-plane.js';
import { repoRoot, runningUpCluster } from './state.js';
const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

/**
 * Runs build-binaries.sh (seconds when cached, ~15 min cold) with its progress on our
 * stderr, and returns the folder holding the binaries.
 */
export function buildBinaries(): Promise<string> {
  const script = join(repoRoot, 'harness', 'control-plane', 'build-binaries.sh');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.once('error', reject);
    child.once('close', (code) => {
      const binDir = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && existsSync(join(binDir, 'kube-apiserver'))) resolve(binDir);
      else reject(new Error(`${script} failed (exit code ${code}); its output is above`));
    });
  });
}

/**
 * Builds (if needed) and starts a control plane, installing the CRDs before the
 * controller manager starts so that its garbage collector knows them from the beginning.
 */
export async function startWithCrds(kubeconfigPath?: string): Promise<ControlPlane> {
  const crds = loadCrdsModule();
  const binDir = await buildBinaries();
  return ControlPlane.start({
    binDir,
    kubeconfigPath,
    beforeControllers: async (endpoint: ControlPlaneEndpoint) => { await (await crds).installCrds(endpoint.kubeconfigPath); },
  });
}

/** Starts importing crds.ts; a failure surfaces where the module is awaited, not as an unhandled rejection. */
function loadCrdsModule(): Promise<typeof import('./crds.js')> {
  const loading = import('./crds.js');
  loading.catch(() => undefined);
  return loading;
}

/** Makes the control plane visible to this process and to every process it starts later (Jest workers). */
export function exportClusterEnv(state: Pick<ControlPlaneState, 'kubeconfigPath' | 'binDir'>): void {
  process.env.KUBECONFIG = state.kubeconfigPath;
  process.env.KUBEOPENCODE_TEST_KUBECONFIG = state.kubeconfigPath;
  process.env.KUBEOPENCODE_BIN = state.binDir;
}

/** Set by the global setup when it started a control plane, run by the global teardown (same process). */
type GlobalWithTeardown = typeof globalThis & { __kubeopencodeTeardown?: () => Promise<void> };

/**
 * The Jest global setup: reuses a healthy `cluster up` control plane (re-applying the CRDs,
 * so they match the sources) unless KUBEOPENCODE_FRESH_CLUSTER=1, else starts one for
 * this run and leaves on globalThis the function that stops it, for the teardown.
 */
export async function setUpTestCluster(): Promise<void> {
  const reusable = process.env.KUBEOPENCODE_FRESH_CLUSTER === '1' ? undefined : await runningUpCluster();
  if (reusable) {
    log(`reusing the control plane of \`npm run cluster -- up\` at ${reusable.server}`);
    await (await loadCrdsModule()).installCrds(reusable.kubeconfigPath);
    exportClusterEnv(reusable);
    return;
  }
  const plane = await startWithCrds();
  exportClusterEnv(plane.state());
  (globalThis as GlobalWithTeardown).__kubeopencodeTeardown = async () => {
    const started = Date.now();
    await plane.stop();
    log(`control plane stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
}
