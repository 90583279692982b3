/**
 * The host side of a Pod's volumes, prepared the way the kubelet prepares them before any
 * container starts (kubelet: pkg/volume/emptydir, configmap, secret, util/atomic_writer.go,
 * volume_linux.go):
 *
 * - emptyDir: a directory with mode 0777;
 * - ConfigMap and Secret: the AtomicWriter layout, i.e. the files in a `..<timestamp>`
 *   directory (0755), a `..data` link to it and one symbolic link per top-level name, with
 *   each item's `mode` (else `defaultMode`, else 0644);
 * - then fsGroup, like SetVolumeOwnership: everything group-owned by fsGroup, directories
 *   setgid and group-searchable, files and directories +rw for the group on emptyDirs but
 *   only +r on ConfigMap and Secret volumes (which is why a 0400 Secret file reads 0440).
 *
 * Only the volume types the Task Pods use are supported; anything else fails loudly.
 */
import { chmod, lchown, lstat, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';

/** Data of the ConfigMaps and Secrets of the Pod's namespace, by name (Secrets as plain text). */
export interface NamespaceObjects {
  readonly configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const EMPTY_DIR_MODE = 0o777;
const DEFAULT_FILE_MODE = 0o644;
const TIMESTAMP_DIR_MODE = 0o755;
const SETGID = 0o2000;
const GROUP_RW = 0o660;
const GROUP_R = 0o440;
const SEARCH = 0o110;

/** `a | b` for permission bits (the lint rules forbid bitwise operators elsewhere). */
// eslint-disable-next-line no-bitwise
export const orBits = (...modes: number[]): number => modes.reduce((a, b) => a | b, 0);

/** The kubelet's changeFilePermission, applied depth first like its walkDeep. */
async function applyFsGroup(path: string, fsGroup: number, readOnly: boolean): Promise<void> {
  const info = await lstat(path);
  if (info.isDirectory()) {
    for (const entry of await readdir(path)) await applyFsGroup(join(path, entry), fsGroup, readOnly);
  }
  await lchown(path, -1, fsGroup);
  if (info.isSymbolicLink()) return;
  const mask = orBits(readOnly ? GROUP_R : GROUP_RW, info.isDirectory() ? orBits(SETGID, SEARCH) : 0);
  // eslint-disable-next-line no-bitwise
  await chmod(path, orBits(info.mode & 0o7777, mask));
}

/** The `..2024_01_31_12_00_00.123456789` directory name of the kubelet's AtomicWriter. */
function timestampDirName(): string {
  const now = new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_` +
    `${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.${pad(Math.floor(Math.random() * 1e9), 9)}`;
}

/** Writes `files` (relative path -> content and mode) into `dir` the way AtomicWriter does. */
async function writeAtomically(dir: string, files: ReadonlyMap<string, { content: string; mode: number }>): Promise<void> {
  const stamp = timestampDirName();
  const stampDir = join(dir, stamp);
  await mkdir(stampDir);
  await chmod(stampDir, TIMESTAMP_DIR_MODE);
  for (const [path, file] of files) {
    await mkdir(dirname(join(stampDir, path)), { recursive: true });
    await writeFile(join(stampDir, path), file.content);
    await chmod(join(stampDir, path), file.mode);
  }
  await symlink(stamp, join(dir, '..data'));
  const topLevel = new Set([...files.keys()].map((p) => p.split('/')[0]));
  for (const name of topLevel) await symlink(join('..data', name), join(dir, name));
}

/** The files a ConfigMap or Secret volume projects: `items` if given, else every key. */
function projectedFiles(what: string, data: Readonly<Record<string, string>> | undefined, items: V1KeyToPath[] | undefined,
  defaultMode: number | undefined, optional: boolean | undefined): Map<string, { content: string; mode: number }> {
  const files = new Map<string, { content: string; mode: number }>();
  if (data === undefined) {
    if (optional) return files;
    throw new Error(`MountVolume.SetUp failed: ${what} not found`);
  }
  const mode = defaultMode ?? DEFAULT_FILE_MODE;
  for (const item of items ?? Object.keys(data).map((key): V1KeyToPath => ({ key, path: key }))) {
    if (data[item.key] === undefined) {
      if (optional) continue;
      throw new Error(`MountVolume.SetUp failed: ${what} has no key "${item.key}"`);
    }
    files.set(item.path, { content: data[item.key], mode: item.mode ?? mode });
  }
  return files;
}

/** The volumes of one Pod, as directories under `root` (one per volume, named after it). */
export class PodVolumes {
  /** Creates every volume of the Pod, as the kubelet does before the first container starts. */
  static async prepare(pod: V1Pod, objects: NamespaceObjects, root: string): Promise<PodVolumes> {
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    const kinds = new Map<string, 'emptyDir' | 'configMap' | 'secret'>();
    for (const volume of pod.spec?.volumes ?? []) {
      const dir = join(root, volume.name);
      await mkdir(dir, { recursive: true });
      await chmod(dir, EMPTY_DIR_MODE); // ConfigMap and Secret volumes wrap an emptyDir
      const kind = await PodVolumes.fill(volume, dir, objects);
      kinds.set(volume.name, kind);
      if (fsGroup !== undefined) await applyFsGroup(dir, fsGroup, kind !== 'emptyDir');
    }
    return new PodVolumes(root, kinds);
  }

  private static async fill(volume: V1Volume, dir: string, objects: NamespaceObjects): Promise<'emptyDir' | 'configMap' | 'secret'> {
    if (volume.emptyDir) {
      if (volume.emptyDir.medium || volume.emptyDir.sizeLimit) throw new Error(`volume ${volume.name}: emptyDir medium/sizeLimit is not simulated`);
      return 'emptyDir';
    }
    if (volume.configMap) {
      const { name, items, defaultMode, optional } = volume.configMap;
      await writeAtomically(dir, projectedFiles(`configmap "${name}"`, objects.configMaps[name!], items, defaultMode, optional));
      return 'configMap';
    }
    if (volume.secret) {
      const { secretName, items, defaultMode, optional } = volume.secret;
      await writeAtomically(dir, projectedFiles(`secret "${secretName}"`, objects.secrets[secretName!], items, defaultMode, optional));
      return 'secret';
    }
    throw new Error(`volume ${volume.name}: only emptyDir, configMap and secret volumes are simulated, got ${JSON.stringify(volume)}`);
  }

  private constructor(private readonly root: string, private readonly kinds: ReadonlyMap<string, 'emptyDir' | 'configMap' | 'secret'>) {}

  /** Where the volume lives on the host (to look at what the containers left in it). */
  path(name: string): string {
    if (!this.kinds.has(name)) throw new Error(`the Pod has no volume "${name}"`);
    return join(this.root, name);
  }

  kind(name: string): 'emptyDir' | 'configMap' | 'secret' {
    const kind = this.kinds.get(name);
    if (!kind) throw new Error(`the Pod has no volume "${name}"`);
    return kind;
  }
}
