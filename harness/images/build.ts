/**
 * buildImages(): the base images, then the four images of the repository's Dockerfiles,
 * each built with buildah only when its cache key changed, each result an OCI archive in
 * the image cache (paths.ts). Cold: several minutes (Debian, npm ci, apt-get); warm: well
 * under a second per image (keys only; nothing is started).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unpackedBytes } from './archive.js';
import { BaseImage, baseImages as knownBases } from './bases.js';
import { buildah, buildahLogged, imageId, ISOLATION, prepareStorage, pushArchive } from './buildah.js';
import { IMAGES, ImageId, ImageSpec } from './catalog.js';
import { baseImages, normalizeImageName, parseDockerfile } from './dockerfile.js';
import { log, megabytes, seconds } from './exec.js';
import { contextFiles, imageKey, shortHash } from './keys.js';
import { withLock } from './lock.js';
import { cachePath, repoRoot, slug } from './paths.js';
import { npmTrustArgs } from './trust.js';

/** Bump to rebuild every image after a change to how they are built (bases.ts, the bud flags). */
export const RECIPE = '1';

export interface BuiltImage {
  readonly name: string;
  readonly key: string;
  /** The OCI archive, for `ctr images import` or `skopeo inspect oci-archive:...`. */
  readonly archive: string;
  /** Manifest digest: what containerd and `skopeo inspect` show for the image. */
  readonly digest: string;
  /** Image ID in buildah's storage (the config digest). */
  readonly id: string;
  readonly archiveBytes: number;
  readonly unpackedBytes: number;
  /** How long its last build took (buildah bud, push and measuring; not its base images). */
  readonly buildSeconds: number;
  /** True when this call found it in the cache. */
  readonly cached: boolean;
}

const logFileOf = (id: string) => cachePath('logs', `${id}.log`);

/** The key of every base image, from its inputs and the keys of the bases it is made from. */
function baseKeys(): (name: string) => Promise<string> {
  const memo = new Map<string, Promise<string>>();
  const keyOf = (name: string): Promise<string> => {
    if (!memo.has(name)) {
      const base = knownBases.get(name);
      if (!base) throw new Error(`no recipe for the base image ${name} (harness/images/bases.ts)`);
      memo.set(name, (async () => shortHash(JSON.stringify([RECIPE, name, await base.inputs(), ...await Promise.all(base.from.map(keyOf))])))());
    }
    return memo.get(name)!;
  };
  return keyOf;
}

/** The normalized base images an image's Dockerfile needs; each must have a recipe. */
export function imageBases(spec: ImageSpec): string[] {
  const text = readFileSync(join(repoRoot, spec.dockerfile), 'utf8');
  const names = baseImages(parseDockerfile(text), spec.buildArgs).map(normalizeImageName);
  for (const name of names) {
    if (!knownBases.has(name)) {
      throw new Error(`${spec.dockerfile} starts FROM ${name}, which harness/images cannot make; it makes ${[...knownBases.keys()].join(', ')}`);
    }
  }
  return names;
}

async function keyOfImage(spec: ImageSpec, keyOfBase: (name: string) => Promise<string>): Promise<string> {
  const dockerfile = readFileSync(join(repoRoot, spec.dockerfile), 'utf8');
  const bases = Object.fromEntries(await Promise.all(imageBases(spec).map(async (b) => [b, await keyOfBase(b)] as const)));
  return imageKey({ recipe: RECIPE, dockerfile, buildArgs: spec.buildArgs, bases, files: contextFiles(join(repoRoot, spec.context), dockerfile) });
}

/** Makes a base image in storage unless storage holds it under its current key. */
async function ensureBase(base: BaseImage, keyOfBase: (name: string) => Promise<string>): Promise<void> {
  for (const from of base.from) await ensureBase(knownBases.get(from)!, keyOfBase);
  const key = await keyOfBase(base.name);
  const record = cachePath('bases', `${slug(base.name)}.json`);
  const recorded = existsSync(record) ? JSON.parse(readFileSync(record, 'utf8')) as { key: string; id: string } : undefined;
  if (recorded?.key === key && recorded.id === await imageId(base.name)) return;
  const started = Date.now();
  log(`building base image ${base.name} (${key})`);
  const logFile = logFileOf(slug(base.name));
  rmSync(logFile, { force: true });
  await base.build({ key, logFile });
  const id = await imageId(base.name);
  if (!id) throw new Error(`building ${base.name} left no image of that name`);
  mkdirSync(cachePath('bases'), { recursive: true });
  writeFileSync(record, JSON.stringify({ key, id }, null, 2));
  log(`built base image ${base.name} in ${seconds(started)}`);
}

const archiveOf = (spec: ImageSpec, key: string) => cachePath('archives', `${slug(spec.name)}-${key}.oci.tar`);

function cachedImage(spec: ImageSpec, key: string): BuiltImage | undefined {
  const archive = archiveOf(spec, key);
  const meta = archive.replace(/\.oci\.tar$/, '.json');
  if (!existsSync(archive) || !existsSync(meta)) return undefined;
  return { ...JSON.parse(readFileSync(meta, 'utf8')) as BuiltImage, cached: true };
}

/** `buildah bud` of one Dockerfile, then its OCI archive; older archives of the image go. */
async function buildImage(spec: ImageSpec, key: string, keyOfBase: (name: string) => Promise<string>): Promise<BuiltImage> {
  for (const base of imageBases(spec)) await ensureBase(knownBases.get(base)!, keyOfBase);
  const started = Date.now();
  const logFile = logFileOf(slug(spec.name));
  rmSync(logFile, { force: true });
  const replaced = await imageId(spec.name);
  log(`building ${spec.name} from ${spec.dockerfile} (${key}); full output in ${logFile}`);
  await buildahLogged([
    'bud', '--isolation', ISOLATION, '--pull=never', '--layers', ...npmTrustArgs(),
    ...Object.entries(spec.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    '-f', join(repoRoot, spec.dockerfile), '-t', spec.name, join(repoRoot, spec.context),
  ], logFile, {
    nice: true,
    onLine: (line) => {
      // `STEP 2/6: ...`, or `[1/2] STEP 2/6: ...` in a multi-stage build.
      const step = /^(?:\[(\d+\/\d+)\] )?STEP (\d+\/\d+): (.*)$/.exec(line);
      if (step) log(`building ${spec.name} (${step[1] ? `stage ${step[1]}, ` : ''}step ${step[2]}, ${seconds(started)}): ${step[3].slice(0, 100)}`);
    },
  });
  const archive = archiveOf(spec, key);
  mkdirSync(cachePath('archives'), { recursive: true });
  const digest = await pushArchive(spec.name, archive);
  const built: BuiltImage = {
    name: spec.name,
    key,
    archive,
    digest,
    id: (await imageId(spec.name))!,
    archiveBytes: statSync(archive).size,
    unpackedBytes: await unpackedBytes(archive),
    buildSeconds: (Date.now() - started) / 1000,
    cached: false,
  };
  writeFileSync(archive.replace(/\.oci\.tar$/, '.json'), JSON.stringify(built, null, 2));
  for (const old of readdirSync(cachePath('archives')).filter((f) => f.startsWith(`${slug(spec.name)}-`) && !f.startsWith(`${slug(spec.name)}-${key}.`))) {
    rmSync(cachePath('archives', old), { force: true });
  }
  // Only the image this one replaced goes, and only if nothing builds on it. Not `rmi --prune`:
  // it also removes the untagged layers of earlier stages (`npm ci` of the build stage), the
  // cache that makes a rebuild after a source change take seconds instead of minutes.
  if (replaced && replaced !== built.id) await buildah(['rmi', replaced]).catch(() => undefined);
  log(`built ${spec.name} in ${seconds(started)}: ${megabytes(built.archiveBytes)} archive, ${megabytes(built.unpackedBytes)} unpacked`);
  return built;
}

/**
 * Makes sure buildah's storage holds the image (for `runInImage`, `imageConfig`): a cache
 * hit does not need storage, and storage may have been cleared since the archive was made.
 */
export async function loadIntoStorage(image: BuiltImage): Promise<void> {
  if (await imageId(image.name) === image.id) return;
  const id = (await buildah(['pull', '--quiet', `oci-archive:${image.archive}`])).trim();
  await buildah(['tag', id, image.name]);
}

/** Installs buildah, mmdebstrap and skopeo if missing (needs root; install-packages.sh). */
export function installPackages(): void {
  execFileSync('bash', [join(repoRoot, 'harness', 'images', 'install-packages.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * Builds the images that are not in the cache under their current key (all four unless
 * `only` says) and returns them all. One build at a time per cache (a lock).
 */
export async function buildImages(options: { only?: readonly ImageId[] } = {}): Promise<Record<ImageId, BuiltImage>> {
  const ids = options.only ?? (Object.keys(IMAGES) as ImageId[]);
  installPackages();
  return withLock(cachePath('.lock'), 'image build', async () => {
    const started = Date.now();
    prepareStorage();
    mkdirSync(cachePath('logs'), { recursive: true });
    const keyOfBase = baseKeys();
    const result = {} as Record<ImageId, BuiltImage>;
    for (const [n, id] of ids.entries()) {
      const spec = IMAGES[id];
      const key = await keyOfImage(spec, keyOfBase);
      const hit = cachedImage(spec, key);
      if (!hit) log(`image ${n + 1}/${ids.length}: ${spec.name} is not in the cache under ${key}`);
      result[id] = hit ?? await buildImage(spec, key, keyOfBase);
    }
    const fresh = Object.values(result).filter((b) => !b.cached).length;
    log(`images ready in ${seconds(started)} (${fresh} built, ${ids.length - fresh} from the cache)`);
    return result;
  });
}

/** The table `cli.ts build` prints. */
export function formatTable(images: readonly BuiltImage[]): string {
  const rows = [['IMAGE', 'KEY', 'ARCHIVE', 'UNPACKED', 'BUILD', 'DIGEST'], ...images.map((b) => [
    b.name, b.key, megabytes(b.archiveBytes), megabytes(b.unpackedBytes), `${b.buildSeconds.toFixed(0)} s${b.cached ? ' (cached)' : ''}`, b.digest.slice(0, 19),
  ])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
