/**
 * Cache keys. An image is rebuilt only when its key changes, and its key covers everything
 * its build reads: the Dockerfile, the build-context files its COPY/ADD steps read (what
 * .dockerignore lets through), its build args and the keys of its base images.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { contextSources, parseDockerfile } from './dockerfile.js';
import { isIncluded, parseDockerignore } from './dockerignore.js';

export interface ContextFile {
  /** Relative to the build context, `/`-separated. */
  readonly path: string;
  /** Docker keeps the mode bits; only the executable bit matters to our images. */
  readonly executable: boolean;
  /** Of the content, or of the target for a symbolic link. */
  readonly sha256: string;
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Short enough for file names, long enough never to collide in one cache. */
export const shortHash = (data: string | Buffer): string => sha256(data).slice(0, 16);

function walk(contextDir: string, path: string, out: string[]): void {
  const stat = lstatSync(join(contextDir, path));
  if (!stat.isDirectory()) {
    out.push(path);
    return;
  }
  for (const entry of readdirSync(join(contextDir, path)).sort()) walk(contextDir, `${path}/${entry}`, out);
}

/**
 * The files the Dockerfile's COPY/ADD steps read from the context, after .dockerignore
 * (the context's own, as buildah reads it), sorted. A source that does not exist is an
 * error here rather than a confusing one from buildah later.
 */
export function contextFiles(contextDir: string, dockerfileText: string): ContextFile[] {
  const ignoreFile = join(contextDir, '.dockerignore');
  const rules = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
  const paths: string[] = [];
  for (const source of contextSources(parseDockerfile(dockerfileText))) {
    if (/[*?[]/.test(source)) throw new Error(`COPY ${source}: wildcards are not supported by the image cache`);
    const clean = source.replace(/^\.\/+/, '').replace(/\/+$/, '');
    if (!existsSync(join(contextDir, clean))) throw new Error(`COPY ${source}: no such file in ${contextDir}`);
    walk(contextDir, clean, paths);
  }
  return [...new Set(paths)].filter((path) => isIncluded(rules, path)).sort().map((path) => {
    const full = join(contextDir, path);
    const stat = lstatSync(full);
    const content = stat.isSymbolicLink() ? `symlink:${readlinkSync(full)}` : readFileSync(full);
    // eslint-disable-next-line no-bitwise -- mode bits are a bit set
    return { path, executable: (stat.mode & 0o111) !== 0, sha256: sha256(content) };
  });
}

export interface KeyInputs {
  /** Bumped by hand when the way images are built changes (see build.ts). */
  readonly recipe: string;
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Normalized base image name -> that base's key. */
  readonly bases: Readonly<Record<string, string>>;
  readonly files: readonly ContextFile[];
}

/** The cache key of an image built from a Dockerfile. Pure: same inputs, same key. */
export function imageKey(inputs: KeyInputs): string {
  const sorted = (record: Readonly<Record<string, string>>) => Object.keys(record).sort().map((k) => [k, record[k]]);
  return shortHash(JSON.stringify({
    recipe: inputs.recipe,
    dockerfile: sha256(inputs.dockerfile),
    buildArgs: sorted(inputs.buildArgs),
    bases: sorted(inputs.bases),
    files: inputs.files.map((f) => [f.path, f.executable, f.sha256]),
  }));
}
