/**
 * The images the e2e tests run, built from our Dockerfiles (harness/images) and loaded into
 * the e2e node's containerd: the system image (the operator, and the helpers of every Task
 * Pod) and the echo agent (both images of the tests' Agents). Cold: minutes (a Debian root
 * file system, npm ci); after an edit in src/: about 40 s (the system image); warm: about a
 * second (cache keys, one `ctr images list`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { binaryPath } from '../control-plane/binaries.js';
import { e2eCluster } from '../e2e-cluster.js';
import { buildImages } from '../images/build.js';
import { IMAGES } from '../images/catalog.js';
import { ImageArchive, importImages } from '../images/import.js';
import { withLock } from '../images/lock.js';
import { cachePath } from '../images/paths.js';

export const E2E_IMAGES = { system: IMAGES.system.name, echo: IMAGES.echo.name } as const;

/**
 * Which images this run loaded, beside the e2e cluster's kubeconfig (so it goes with the
 * cluster): the first test file builds and records them, the others load the same ones.
 * Otherwise an edit in src/ during a run would give a later file a new system image under
 * the same name, under the Pods of a file still running.
 */
const runRecord = (): string => join(dirname(e2eCluster().kubeconfigPath), 'e2e-images.json');

async function imagesOfThisRun(): Promise<ImageArchive[]> {
  const record = runRecord();
  if (existsSync(record)) return JSON.parse(readFileSync(record, 'utf8')) as ImageArchive[];
  const built = await buildImages({ only: ['system', 'echo'] });
  const archives = [built.system, built.echo].map(({ name, archive, digest }) => ({ name, archive, digest }));
  writeFileSync(record, JSON.stringify(archives, null, 2));
  return archives;
}

/** Builds what changed (once a run) and imports what the node's containerd lacks; resolves with how long it took. */
export async function loadE2eImages(): Promise<{ seconds: number; imported: string[] }> {
  const started = Date.now();
  const { node } = e2eCluster();
  // Test files load them in parallel: one builds and imports, the others then find them there.
  const results = await withLock(cachePath('.import.lock'), 'e2e image load', async () =>
    importImages(binaryPath('ctr'), node.containerdAddress, await imagesOfThisRun(), node.containerdNamespace));
  return { seconds: (Date.now() - started) / 1000, imported: results.filter((r) => r.imported).map((r) => r.name) };
}
