import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from './helpers.js';
import { PathError, permissionBits, resolveInside, writeFileInside } from '../../src/cli/lib/safe-write.js';

afterAll(removeTempDirs);

describe('resolveInside', () => {
  test.each([
    ['a/b.txt', '/ws/a/b.txt'],
    ['/ws/a/', '/ws/a'],
    ['/ws', '/ws'],
    ['./a//b', '/ws/a/b'],
  ])('accepts %s', (path, expected) => expect(resolveInside('/ws', path)).toBe(expected));

  test.each(['../x', '/ws/../x', 'a/../b', '/wsx/a', '/etc/passwd', '', 'a\0b'])('refuses %j', (path) => {
    expect(() => resolveInside('/ws', path)).toThrow(PathError);
  });
});

/** The write-time checks, which hold even without context-init's check before writing. */
describe('writeFileInside', () => {
  let root: string;
  let outside: string;
  beforeEach(() => {
    const dir = makeTempDir('safe-write');
    root = join(dir, 'ws');
    outside = join(dir, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
  });

  test('creates parents (mode 775) and writes with the mode, leaving no temporary file', async () => {
    await writeFileInside(root, join(root, 'a/b/c.txt'), 'content', 0o600);
    expect(readFileSync(join(root, 'a/b/c.txt'), 'utf8')).toBe('content');
    expect(permissionBits(statSync(join(root, 'a/b/c.txt')).mode)).toBe(0o600);
    expect(permissionBits(statSync(join(root, 'a/b')).mode)).toBe(0o775);
    expect(readdirSync(join(root, 'a/b'))).toEqual(['c.txt']);
  });

  test('replaces an existing regular file', async () => {
    writeFileSync(join(root, 'f'), 'old');
    await writeFileInside(root, join(root, 'f'), 'new', 0o644);
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('new');
  });

  test('refuses a symbolic link as a parent directory', async () => {
    symlinkSync(outside, join(root, 'link'));
    await expect(writeFileInside(root, join(root, 'link/x'), 'x', 0o644)).rejects.toThrow(`${join(root, 'link')} is a symbolic link`);
    expect(readdirSync(outside)).toEqual([]);
  });

  test('refuses a symbolic link as the file itself, leaving its target alone', async () => {
    writeFileSync(join(outside, 'target'), 'original');
    symlinkSync(join(outside, 'target'), join(root, 'x'));
    await expect(writeFileInside(root, join(root, 'x'), 'evil', 0o644)).rejects.toThrow('it is a symbolic link');
    expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('original');
  });

  test('refuses a dangling symbolic link and a file in the way of a directory', async () => {
    symlinkSync(join(outside, 'not-yet'), join(root, 'dangling'));
    await expect(writeFileInside(root, join(root, 'dangling'), 'x', 0o644)).rejects.toThrow('symbolic link');
    expect(readdirSync(outside)).toEqual([]);
    writeFileSync(join(root, 'file'), '');
    await expect(writeFileInside(root, join(root, 'file/x'), 'x', 0o644)).rejects.toThrow('is not a directory');
  });
});
