/**
 * Loading built images into a containerd, where a kubelet finds them (no registry: Pods use
 * `imagePullPolicy: IfNotPresent` or `Never`). `ctr images import` reads the image name from
 * the OCI archive's index (buildah push writes the full name there) and unpacks the layers
 * for the default snapshotter. An image that containerd already holds under the same name
 * and manifest digest is skipped: a warm node start costs one `ctr images ls`.
 */
import { run } from './exec.js';

/** The namespace of the CRI plugin, where the kubelet's images live. */
export const CRI_NAMESPACE = 'k8s.io';

export interface ImageArchive {
  readonly name: string;
  readonly archive: string;
  /** The manifest digest (BuiltImage.digest). */
  readonly digest: string;
}

/** Name -> target digest of every image containerd holds in the namespace. */
export async function containerdImages(ctr: string, address: string, namespace = CRI_NAMESPACE): Promise<Map<string, string>> {
  const out = await run(ctr, ['--address', address, '--namespace', namespace, 'images', 'list']);
  // REF  TYPE  DIGEST  SIZE  PLATFORMS  LABELS, one image a line after the header.
  return new Map(out.split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((cols) => cols.length >= 3).map((cols) => [cols[0], cols[2]]));
}

/** Imports each archive unless containerd has its image already; resolves with what it did. */
export interface ImportResult {
  readonly name: string;
  /** False when containerd had the image already. */
  readonly imported: boolean;
}

export async function importImages(
  ctr: string, address: string, archives: readonly ImageArchive[], namespace = CRI_NAMESPACE,
): Promise<ImportResult[]> {
  const present = await containerdImages(ctr, address, namespace);
  const result: ImportResult[] = [];
  for (const image of archives) {
    const imported = present.get(image.name) !== image.digest;
    if (imported) await run(ctr, ['--address', address, '--namespace', namespace, 'images', 'import', image.archive]);
    result.push({ name: image.name, imported });
  }
  const after = result.some((r) => r.imported) ? await containerdImages(ctr, address, namespace) : present;
  for (const image of archives) {
    if (after.get(image.name) !== image.digest) {
      throw new Error(`after importing ${image.archive}, containerd has ${image.name} at ${after.get(image.name) ?? 'no digest'}, not ${image.digest}`);
    }
  }
  return result;
}
