import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs, runCli } from './helpers.js';
import { permissionBits } from '../../src/cli/lib/safe-write.js';
import type { ContextInitPlan } from '../../src/constructs/context-plan.js';

afterAll(removeTempDirs);

interface Setup {
  readonly configDir: string;
  readonly workspace: string;
  /** A directory outside the workspace, which must stay untouched. */
  readonly outside: string;
  readonly fetched: string;
}

/** A context ConfigMap (as mounted) for a plan built by `makePlan(workspace, fetched)`. */
function setup(taskMd: string, makePlan: (s: Setup) => ContextInitPlan, keys: Record<string, string> = {}): Setup {
  const dir = makeTempDir('context-init');
  const s: Setup = { configDir: join(dir, 'config'), workspace: join(dir, 'workspace'), outside: join(dir, 'outside'), fetched: join(dir, 'fetched') };
  for (const d of [s.configDir, s.workspace, s.outside, s.fetched]) mkdirSync(d);
  writeFileSync(join(s.configDir, 'task.md'), taskMd);
  writeFileSync(join(s.configDir, 'plan.json'), JSON.stringify(makePlan(s)));
  for (const [key, value] of Object.entries(keys)) writeFileSync(join(s.configDir, key), value);
  return s;
}

const contextInit = (s: Setup) => runCli(['context-init', '--config-dir', s.configDir]);
const mode = (path: string): number => permissionBits(statSync(path).mode);
const noPlanFiles = { taskMdInserts: [], files: [], dirs: [] };
/** A plan that only writes these files, or these directories (paths may use the setup's directories). */
const filesPlan = (files: (s: Setup) => ContextInitPlan['files']) => (s: Setup): ContextInitPlan => ({ ...noPlanFiles, workspaceDir: s.workspace, files: files(s) });
const dirsPlan = (dirs: (s: Setup) => ContextInitPlan['dirs']) => (s: Setup): ContextInitPlan => ({ ...noPlanFiles, workspaceDir: s.workspace, dirs: dirs(s) });

describe('context-init', () => {
  test('task.md with fetched content inserted in order; files and directories with their modes', async () => {
    const open1 = 'Fix it\n\n<context name="a" type="URL">\n';
    const middle = '</context>\n\n<context name="b" type="URL">\n';
    const text = `${open1}${middle}</context>\n`;
    const s = setup(text, ({ workspace, fetched }) => ({
      workspaceDir: workspace,
      taskMdInserts: [{ offset: open1.length, file: join(fetched, 'a') }, { offset: open1.length + middle.length, file: join(fetched, 'b') }],
      files: [{ key: 'file-0', path: join(workspace, 'notes/deep/a.md'), mode: 0o600 }, { key: 'file-1', path: 'relative.txt', mode: 0o640 }],
      dirs: [{ path: join(workspace, 'config'), mode: 0o444, entries: [{ key: 'dir-0.app.yaml', name: 'app.yaml' }, { key: 'dir-0.b', name: 'b' }] }],
    }), { 'file-0': 'secret notes', 'file-1': 'relative\n', 'dir-0.app.yaml': 'a: 1\n', 'dir-0.b': '' });
    writeFileSync(join(s.fetched, 'a'), 'first fetched');
    writeFileSync(join(s.fetched, 'b'), 'second\n');

    const { code, stderr } = await contextInit(s);
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    expect(readFileSync(join(s.workspace, 'task.md'), 'utf8')).toBe(`${open1}first fetched\n${middle}second\n</context>\n`);
    expect(mode(join(s.workspace, 'task.md'))).toBe(0o664);
    expect(readFileSync(join(s.workspace, 'notes/deep/a.md'), 'utf8')).toBe('secret notes');
    expect(mode(join(s.workspace, 'notes/deep/a.md'))).toBe(0o600);
    expect(mode(join(s.workspace, 'notes/deep'))).toBe(0o775);
    expect(mode(join(s.workspace, 'relative.txt'))).toBe(0o640);
    expect(readFileSync(join(s.workspace, 'config/app.yaml'), 'utf8')).toBe('a: 1\n');
    expect(mode(join(s.workspace, 'config/b'))).toBe(0o444);
    expect(readdirSync(s.workspace).sort()).toEqual(['config', 'notes', 'relative.txt', 'task.md']);
  });

  test('a missing fetched file is an error naming it, and nothing is written', async () => {
    const s = setup('text', ({ workspace, fetched }) => ({ ...noPlanFiles, workspaceDir: workspace, taskMdInserts: [{ offset: 4, file: join(fetched, 'gone') }] }));
    const { code, stderr } = await contextInit(s);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: fetched content ${join(s.fetched, 'gone')} for task.md is missing`);
    expect(readdirSync(s.workspace)).toEqual([]);
  });

  test('a missing ConfigMap key, bad JSON and out-of-range offsets are clear errors', async () => {
    const key = setup('t', ({ workspace }) => ({ ...noPlanFiles, workspaceDir: workspace, files: [{ key: 'file-9', path: 'x', mode: 0o644 }] }));
    expect((await contextInit(key)).stderr).toContain('has no key "file-9"');
    const json = setup('t', ({ workspace }) => ({ ...noPlanFiles, workspaceDir: workspace }));
    writeFileSync(join(json.configDir, 'plan.json'), '{not json');
    expect((await contextInit(json)).stderr).toContain('plan.json is not valid JSON');
    const offset = setup('t', ({ workspace, fetched }) => ({ ...noPlanFiles, workspaceDir: workspace, taskMdInserts: [{ offset: 5, file: join(fetched, 'x') }] }));
    const result = await contextInit(offset);
    expect([result.code, result.stderr]).toEqual([1, expect.stringContaining('insert offset 5 is out of order or past the end')]);
  });

  describe('refuses every path that leaves the workspace, writing nothing', () => {
    const refused = async (s: Setup, message: string) => {
      const { code, stderr } = await contextInit(s);
      expect(stderr).toContain(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(code).toBe(1);
      expect(readdirSync(s.outside).filter((f) => f !== 'keep.txt')).toEqual([]);
      expect(existsSync(join(s.workspace, 'task.md'))).toBe(false);
    };

    test('".." in a file path, even one that would stay inside', async () => {
      await refused(setup('t', filesPlan(({ workspace }) => [{ key: 'k', path: `${workspace}/a/../../outside/x`, mode: 0o644 }]), { k: 'x' }), '".." is not allowed');
      await refused(setup('t', filesPlan(() => [{ key: 'k', path: 'a/../b', mode: 0o644 }]), { k: 'x' }), '".." is not allowed');
    });

    test('an absolute path outside the workspace, for a file and for a directory', async () => {
      await refused(setup('t', filesPlan(({ outside }) => [{ key: 'k', path: join(outside, 'x'), mode: 0o644 }]), { k: 'x' }), 'is outside');
      await refused(setup('t', dirsPlan(({ outside }) => [{ path: outside, mode: 0o644, entries: [{ key: 'k', name: 'x' }] }]), { k: 'x' }), 'is outside');
    });

    test('a directory entry name that is not a single file name', async () => {
      await refused(setup('t', dirsPlan(({ workspace }) => [{ path: join(workspace, 'd'), mode: 0o644, entries: [{ key: 'k', name: '../x' }] }]), { k: 'x' }), 'refusing entry name "../x"');
    });

    test('a symbolic link inside the workspace that points outside, as a parent or as the file itself', async () => {
      const viaParent = setup('t', filesPlan(({ workspace }) => [{ key: 'k', path: join(workspace, 'link/x'), mode: 0o644 }]), { k: 'x' });
      symlinkSync(viaParent.outside, join(viaParent.workspace, 'link'));
      await refused(viaParent, `${join(viaParent.workspace, 'link')} is a symbolic link`);

      const asFile = setup('t', dirsPlan(({ workspace }) => [{ path: join(workspace, 'd'), mode: 0o644, entries: [{ key: 'k', name: 'x' }] }]), { k: 'x' });
      writeFileSync(join(asFile.outside, 'keep.txt'), 'original');
      mkdirSync(join(asFile.workspace, 'd'));
      symlinkSync(join(asFile.outside, 'keep.txt'), join(asFile.workspace, 'd/x'));
      await refused(asFile, `${join(asFile.workspace, 'd/x')} is a symbolic link`);
      expect(readFileSync(join(asFile.outside, 'keep.txt'), 'utf8')).toBe('original');
    });
  });
});
