/**
 * Container images without a registry or a builder: a `docker save` archive (the format
 * `ctr images import` reads) made of a tar writer, sha256 and two JSON files. Enough for
 * images of a few static files; the images of the project's Dockerfiles are built elsewhere.
 * Reproducible: every entry has mtime 0 and owner 0:0 unless told, in the order given.
 */
import { createHash } from 'node:crypto';

interface Owned { mode?: number; uid?: number; gid?: number }

export type TarEntry =
  | { type: 'file'; path: string; data: Buffer; mode?: number; uid?: number; gid?: number }
  | { type: 'dir'; path: string; mode?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;

/** A ustar archive of `entries` (paths without a leading slash; folders are not implied). */
export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? entry.data : Buffer.alloc(0);
    parts.push(tarHeader(entry, data.length), data, Buffer.alloc(padding(data.length)));
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // end of archive
  return Buffer.concat(parts);
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const path = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const [prefix, name] = splitPath(path);
  const defaultMode = entry.type === 'dir' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644;
  const owned: Owned = entry.type === 'symlink' ? {} : entry;
  header.write(name, 0, 100, 'utf8');
  writeOctal(header, 100, 8, owned.mode ?? defaultMode);
  writeOctal(header, 108, 8, owned.uid ?? 0);
  writeOctal(header, 116, 8, owned.gid ?? 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, 0); // mtime
  header.write({ file: '0', dir: '5', symlink: '2' }[entry.type], 156, 1, 'ascii');
  if (entry.type === 'symlink') header.write(entry.target, 157, 100, 'utf8');
  header.write('ustar\u000000', 257, 8, 'binary');
  header.write(prefix, 345, 155, 'utf8');
  header.fill(' ', 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'binary');
  return header;
}

/** ustar keeps names of up to 100 bytes, plus a 155-byte prefix cut at a slash. */
function splitPath(path: string): [string, string] {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  const cut = path.lastIndexOf('/', path.length - 2);
  const [prefix, name] = [path.slice(0, cut), path.slice(cut + 1)];
  if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`path too long for a tar entry: ${path}`);
  return [prefix, name];
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

/** The `config` of an image: what the runtime starts, as whom. */
export interface ImageRunConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  User?: string;
  Env?: string[];
  WorkingDir?: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/**
 * A docker-archive (what `docker save` writes) of one image: `manifest.json`, the config
 * JSON named by its digest, and each layer tar under `<diff id>/layer.tar`.
 */
export function dockerArchive(reference: string, layers: readonly Buffer[], run: ImageRunConfig): Buffer {
  const diffIds = layers.map((layer) => sha256(layer));
  const config = JSON.stringify({
    architecture: GOARCH[process.arch] ?? process.arch,
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...run },
    rootfs: { type: 'layers', diff_ids: diffIds.map((id) => `sha256:${id}`) },
  });
  const configName = `${sha256(config)}.json`;
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [reference], Layers: diffIds.map((id) => `${id}/layer.tar`) }]);
  return tar([
    { type: 'file', path: configName, data: Buffer.from(config) },
    ...layers.flatMap((layer, i): TarEntry[] => [
      { type: 'dir', path: diffIds[i] },
      { type: 'file', path: `${diffIds[i]}/layer.tar`, data: layer },
    ]),
    { type: 'file', path: 'manifest.json', data: Buffer.from(manifest) },
  ]);
}
