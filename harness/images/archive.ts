/**
 * Reading an OCI archive (`buildah push ... oci-archive:`) without unpacking it: its index,
 * its manifest and how big its layers are once unpacked. `tar -xO` streams one member.
 */
import { run } from './exec.js';

interface Descriptor { readonly digest: string; readonly size: number; readonly mediaType: string }

const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`;

async function member(archive: string, path: string): Promise<string> {
  return run('tar', ['-xOf', archive, path]);
}

/** The manifest the archive's index names (buildah writes one per archive). */
export async function archiveManifest(archive: string): Promise<{ digest: string; config: Descriptor; layers: Descriptor[] }> {
  const index = JSON.parse(await member(archive, 'index.json')) as { manifests: Descriptor[] };
  if (index.manifests.length !== 1) throw new Error(`${archive}: expected one manifest, found ${index.manifests.length}`);
  const digest = index.manifests[0].digest;
  const manifest = JSON.parse(await member(archive, blobPath(digest))) as { config: Descriptor; layers: Descriptor[] };
  return { digest, ...manifest };
}

/** The bytes of the image's layers once decompressed: about what it takes on a node's disk. */
export async function unpackedBytes(archive: string): Promise<number> {
  const { layers } = await archiveManifest(archive);
  let total = 0;
  for (const layer of layers) {
    const decompress = layer.mediaType.endsWith('+gzip') ? 'gzip -dc' : layer.mediaType.endsWith('+zstd') ? 'zstd -dc' : 'cat';
    const out = await run('sh', ['-c', `tar -xOf "$1" "$2" | ${decompress} | wc -c`, 'sh', archive, blobPath(layer.digest)]);
    total += Number(out.trim());
  }
  return total;
}
