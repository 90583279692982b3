/**
 * Writing files where someone else may have planted symbolic links (a cloned repository
 * can contain `docs -> /etc`): every target must stay inside its root, no path component
 * below the root may be a symbolic link, and files are written to a temporary name and
 * renamed, so a reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, FileHandle, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { errorCode } from './cli.js';

/** Directories we create: group-writable, for the agent. */
export const DIR_MODE = 0o775;

/* eslint-disable no-bitwise -- permission modes are bit sets */
/** The permission bits of a stat mode (without the file type). */
export const permissionBits = (mode: number): number => mode & 0o7777;
/** Whether every bit of `bits` is set in `mode`. */
export const hasBits = (mode: number, bits: number): boolean => (mode & bits) === bits;
/** The permission bits of `mode`, plus `bits`. */
export const withBits = (mode: number, bits: number): number => (mode | bits) & 0o7777;
/* eslint-enable no-bitwise */

export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

/**
 * Resolves `path` (absolute, or relative to `root`) and checks, without touching the disk,
 * that it is `root` or below it. `..` is refused outright, even when it would stay inside.
 */
export function resolveInside(root: string, path: string): string {
  if (path === '' || path.includes('\0')) throw new PathError(`refusing path "${path}": it is empty or contains a NUL byte`);
  if (path.split(/[/\\]/).includes('..')) throw new PathError(`refusing path "${path}": ".." is not allowed`);
  const resolved = isAbsolute(path) ? normalize(path) : join(root, path);
  const rel = relative(root, resolved);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new PathError(`refusing path "${path}": it is outside ${root}`);
  return resolved.length > 1 ? resolved.replace(/\/+$/, '') : resolved;
}

/** Lstat that returns undefined for a path that does not exist. */
async function lstatOrNothing(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Creates the directories from `root` down to `dir` (which resolveInside accepted),
 * refusing any existing component that is a symbolic link or not a directory.
 */
export async function ensureDirInside(root: string, dir: string, mode: number = DIR_MODE): Promise<void> {
  const rel = relative(root, dir);
  let current = root;
  for (const part of rel === '' ? [] : rel.split(sep)) {
    current = join(current, part);
    const stat = await lstatOrNothing(current);
    if (!stat) {
      await mkdir(current, { mode });
      await chmod(current, mode); // mkdir's mode is filtered by the umask
    } else if (stat.isSymbolicLink()) {
      throw new PathError(`refusing to write into ${dir}: ${current} is a symbolic link`);
    } else if (!stat.isDirectory()) {
      throw new PathError(`refusing to write into ${dir}: ${current} is not a directory`);
    }
  }
}

/** Fails if an existing component of `target` below `root` is a symbolic link (checks before any write). */
export async function assertNoSymlinks(root: string, target: string): Promise<void> {
  let current = root;
  for (const part of relative(root, target).split(sep).filter(Boolean)) {
    current = join(current, part);
    const stat = await lstatOrNothing(current);
    if (!stat) return;
    if (stat.isSymbolicLink()) throw new PathError(`refusing to write ${target}: ${current} is a symbolic link`);
  }
}

/** A file written under a temporary name in its directory, renamed into place on commit. */
export class AtomicFile {
  static async create(target: string, mode: number): Promise<AtomicFile> {
    const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    // O_EXCL and O_NOFOLLOW: never reuse, or write through, something already at that name.
    // eslint-disable-next-line no-bitwise -- open(2) flags are a bit set
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    return new AtomicFile(target, temp, mode, await open(temp, flags, mode));
  }

  public bytes = 0;

  private constructor(
    public readonly target: string,
    private readonly temp: string,
    private readonly mode: number,
    private readonly handle: FileHandle,
  ) {}

  async write(chunk: Uint8Array | string): Promise<void> {
    // writeFile, unlike write, loops until the whole chunk is written.
    await this.handle.writeFile(chunk);
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
  }

  async commit(): Promise<void> {
    try {
      await this.handle.chmod(this.mode); // open's mode is filtered by the umask
      await this.handle.close();
      await rename(this.temp, this.target);
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
  }
}

/** Writes a whole file atomically with `mode`. */
export async function writeFileAtomic(target: string, content: string | Uint8Array, mode: number): Promise<number> {
  const file = await AtomicFile.create(target, mode);
  try {
    await file.write(content);
  } catch (err) {
    await file.abort();
    throw err;
  }
  await file.commit();
  return file.bytes;
}

/**
 * Writes `target` (which resolveInside accepted) below `root`: creates the missing parent
 * directories, and refuses symbolic links on the way and at the target itself.
 */
export async function writeFileInside(root: string, target: string, content: string | Uint8Array, mode: number): Promise<number> {
  if (target === root) throw new PathError(`refusing to write a file at ${root} itself`);
  await ensureDirInside(root, dirname(target));
  const stat = await lstatOrNothing(target);
  if (stat?.isSymbolicLink()) throw new PathError(`refusing to write ${target}: it is a symbolic link`);
  if (stat?.isDirectory()) throw new PathError(`refusing to write ${target}: it is a directory`);
  return writeFileAtomic(target, content, mode);
}
