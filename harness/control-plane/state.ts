/**
 * The state file of `npm run cluster -- up`, through which `down`, `status` and the Jest
 * global setup find that control plane again. Kept free of heavy imports so that
 * `status` and `down` start fast.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ControlPlaneState, isControlPlaneHealthy } from './control-plane.js';

export const repoRoot = new URL('../..', import.meta.url).pathname;
/** In the git-ignored .cluster/ folder of the repository. */
export const stateFile = join(repoRoot, '.cluster', 'state.json');
/** A stable path for `export KUBECONFIG=...` while the `cluster up` control plane runs. */
export const upKubeconfig = join(repoRoot, '.cluster', 'kubeconfig');

export function readState(): ControlPlaneState | undefined {
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as ControlPlaneState;
  } catch {
    return undefined; // a torn or hand-edited file: treat as absent
  }
}

export function writeState(state: ControlPlaneState): void {
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeState(): void {
  rmSync(stateFile, { force: true });
  rmSync(upKubeconfig, { force: true });
}

/** The control plane of `cluster up`, if one is recorded and answers. */
export async function runningUpCluster(): Promise<ControlPlaneState | undefined> {
  const state = readState();
  return state && await isControlPlaneHealthy(state) ? state : undefined;
}
