/**
 * buildah with its storage in the image cache (not /var/lib/containers), so that layers are
 * reused between runs and removed with the cache. The overlay driver is the default: on this
 * ext4 root it is several times faster than vfs, which copies the whole root file system at
 * every step. KUBEOPENCODE_IMAGES_STORAGE_DRIVER=vfs is the way out where overlay cannot
 * mount (a cache on overlayfs or tmpfs inside a container). RUN steps use chroot isolation:
 * the default (oci, through crun/runc) fails on these machines' hybrid cgroups.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoggedOptions, run, RunOptions, runLogged } from './exec.js';
import { cachePath } from './paths.js';

export const ISOLATION = 'chroot';

export const storageDriver = (): string => process.env.KUBEOPENCODE_IMAGES_STORAGE_DRIVER ?? 'overlay';

export const storageArgs = (): string[] =>
  ['--root', cachePath('storage'), '--runroot', cachePath('storage-run'), '--storage-driver', storageDriver()];

export const buildah = (args: readonly string[], options?: RunOptions): Promise<string> =>
  run('buildah', [...storageArgs(), ...args], options);

export const buildahLogged = (args: readonly string[], logFile: string, options?: LoggedOptions): Promise<void> =>
  runLogged('buildah', [...storageArgs(), ...args], logFile, options);

/**
 * The run root records which layers are mounted; it belongs in a tmpfs that a reboot
 * empties, but /run is not one on these machines. So it lives in the cache, stamped with the
 * boot it belongs to, and is emptied when the machine has rebooted since.
 */
export function prepareStorage(): void {
  const runRoot = cachePath('storage-run');
  const bootId = existsSync('/proc/sys/kernel/random/boot_id') ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : '';
  const stamp = join(runRoot, 'boot-id');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') !== bootId) rmSync(runRoot, { recursive: true, force: true });
  mkdirSync(runRoot, { recursive: true });
  writeFileSync(stamp, bootId);
}

/** The full ID of an image in storage, or undefined when storage does not hold that name. */
export async function imageId(name: string): Promise<string | undefined> {
  try {
    return (await buildah(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', name])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the image as an OCI archive whose index names it (what `ctr images import` reads
 * the name from) and resolves with the manifest digest, the digest containerd will show.
 */
export async function pushArchive(name: string, file: string): Promise<string> {
  const digestFile = `${file}.digest`;
  rmSync(file, { force: true });
  await buildah(['push', '--quiet', '--digestfile', digestFile, name, `oci-archive:${file}:${name}`], { nice: true });
  const digest = readFileSync(digestFile, 'utf8').trim();
  rmSync(digestFile, { force: true });
  return digest;
}

/** Runs argv in a throw-away container of the image (chroot isolation); resolves with stdout. */
export interface RunInImageOptions {
  readonly user?: string;
  /** `HOST:CONTAINER[:OPTIONS]` bind mounts. */
  readonly volumes?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export async function runInImage(name: string, argv: readonly string[], options: RunInImageOptions = {}): Promise<string> {
  const container = (await buildah(['from', '--pull=never', '--quiet', name])).trim();
  try {
    return await buildah([
      'run', '--isolation', ISOLATION,
      ...(options.user ? ['--user', options.user] : []),
      ...(options.volumes ?? []).flatMap((v) => ['--volume', v]),
      ...Object.entries(options.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      container, '--', ...argv,
    ]);
  } finally {
    await buildah(['rm', container]);
  }
}

export interface ImageConfig {
  readonly User?: string;
  readonly Entrypoint?: string[] | null;
  readonly Cmd?: string[] | null;
  readonly Env?: string[];
  readonly WorkingDir?: string;
}

/** The OCI config of an image in storage (User, Entrypoint, Cmd, Env, ...). */
export async function imageConfig(name: string): Promise<ImageConfig> {
  const inspected = JSON.parse(await buildah(['inspect', '--type', 'image', name])) as { OCIv1: { config?: ImageConfig } };
  return inspected.OCIv1.config ?? {};
}
