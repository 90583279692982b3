/**
 * What the Jest global setup and `npm run cluster -- up` share: building the binaries and
 * starting a control plane with the kubeopencode CRDs installed. Loads fast: the slow
 * imports (API client, CRD sources) live in crds.ts, loaded while the control plane boots.
 * The global setup also starts the e2e cluster (a second control plane with the machine's
 * real node, harness/e2e-cluster.ts) alongside, and says why when it cannot.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane, ControlPlaneEndpoint, ControlPlaneState } from './control-plane.js';
import { repoRoot, runningUpCluster } from './state.js';
import type { E2eCluster } from '../e2e-cluster.js';
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
export async function startWithCrds(kubeconfigPath?: string, builtBinDir?: string): Promise<ControlPlane> {
  const crds = loadCrdsModule();
  const binDir = builtBinDir ?? await buildBinaries();
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
 * this run; in parallel, starts the e2e cluster. Leaves on globalThis the function that
 * stops what it started, for the teardown.
 */
export async function setUpTestCluster(): Promise<void> {
  const binDir = await buildBinaries();
  const [planeStart, e2eStart] = await Promise.allSettled([startOrReuse(binDir), startE2e(binDir)]);
  if (planeStart.status === 'rejected') {
    if (e2eStart.status === 'fulfilled') await e2eStart.value?.stop();
    throw planeStart.reason;
  }
  const [plane, e2e] = [planeStart.value, e2eStart.status === 'fulfilled' ? e2eStart.value : undefined];
  (globalThis as GlobalWithTeardown).__kubeopencodeTeardown = async () => {
    const started = Date.now();
    await Promise.all([plane?.stop(), e2e?.stop()]);
    log(`${[plane && 'control plane', e2e && 'e2e cluster'].filter(Boolean).join(' and ') || 'nothing'} stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
}

async function startOrReuse(binDir: string): Promise<ControlPlane | undefined> {
  const reusable = process.env.KUBEOPENCODE_FRESH_CLUSTER === '1' ? undefined : await runningUpCluster();
  if (reusable) {
    log(`reusing the control plane of \`npm run cluster -- up\` at ${reusable.server}`);
    await (await loadCrdsModule()).installCrds(reusable.kubeconfigPath);
    exportClusterEnv(reusable);
    return undefined;
  }
  const plane = await startWithCrds(undefined, binDir);
  exportClusterEnv(plane.state());
  return plane;
}

/**
 * The e2e cluster, or KUBEOPENCODE_E2E_UNAVAILABLE=<why not> for the e2e tests to fail
 * with: this machine cannot run a node, another run holds it, it failed to start, or
 * KUBEOPENCODE_NO_E2E=1 asked for none. The rest of the suite runs either way.
 */
async function startE2e(binDir: string): Promise<E2eCluster | undefined> {
  const e2e = await import('../e2e-cluster.js');
  if (process.env.KUBEOPENCODE_NO_E2E === '1') {
    e2e.exportE2eUnavailable('KUBEOPENCODE_NO_E2E=1 was set for this run');
    return undefined;
  }
  try {
    const cluster = await e2e.startE2eCluster(binDir, async (kubeconfigPath) => (await loadCrdsModule()).installCrds(kubeconfigPath));
    e2e.exportE2eEnv(cluster);
    return cluster;
  } catch (error) {
    const reason = error instanceof e2e.E2eUnavailableError ? error.reason : `it failed to start: ${(error as Error).message}`;
    process.stderr.write(`[e2e] no e2e cluster in this run (its tests will fail): ${reason}\n`);
    e2e.exportE2eUnavailable(reason.split('\n')[0]);
    return undefined;
  }
}
