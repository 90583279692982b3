/**
 * Running the helm binary that harness/control-plane/build-binaries.sh builds, with its
 * caches in a temp dir, against charts/kubeopencode (chartDir).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { binaryPath } from '../control-plane/binaries.js';
import { repoRoot } from '../control-plane/state.js';

/** The chart that `npm run chart` writes. */
export const chartDir = join(repoRoot, 'charts', 'kubeopencode');

export const helmBinary = (): string => binaryPath('helm');

let home: string | undefined;
/** helm's cache, config and data folders: one temp dir per process, made on first use. */
function helmHome(): string {
  if (!home) {
    const dir = home = mkdtempSync(join(tmpdir(), 'kubeopencode-helm-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return home;
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with its caches in a temp dir; resolves with the exit code (never rejects on a failing helm). */
export function helm(args: string[], options: { kubeconfig?: string } = {}): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    execFile(helmBinary(), [...args, ...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : [])], {
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(helmHome(), 'cache'),
        HELM_CONFIG_HOME: join(helmHome(), 'config'),
        HELM_DATA_HOME: join(helmHome(), 'data'),
      },
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? error.code as number : 0, stdout, stderr });
    });
  });
}

/** Like helm(), but fails with helm's own output when it exits non-zero. */
export async function helmOk(args: string[], options: { kubeconfig?: string } = {}): Promise<string> {
  const result = await helm(args, options);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Writes values to a temp file for `-f`. */
export function valuesFile(values: unknown): string {
  const file = join(mkdtempSync(join(helmHome(), 'values-')), 'values.yaml');
  writeFileSync(file, stringify(values));
  return file;
}

