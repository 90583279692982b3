/**
 * The CLI bundled as the image runs it (scripts/cli-bundle.ts): built afresh from lib/ into a
 * folder with nothing but package.json beside it (no node_modules anywhere above), it renders
 * the quick-start Task byte for byte as the unbundled CLI does, every command starts, and the
 * controller's part of the bundle holds neither client-node's generated API classes nor the
 * Web UI's server.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Metafile } from 'esbuild';
import { BUNDLE_ENTRY, buildCli } from '../../scripts/cli-bundle.js';

const root = new URL('../..', import.meta.url).pathname;
const seed = (file: string) => join(root, 'examples/seed-readme', file);
const QUICK_START = ['render', '-f', seed('01-quick-start-agent.yaml'), '-f', seed('02-quick-start-task.yaml'), '-o', 'json'];

let dir: string;
let meta: Metafile;

const run = (cli: string, args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } });
const bundled = (...args: string[]) => run(join(dir, 'lib/bundle', BUNDLE_ENTRY), args);

/** Every input of the output files the entry loads as it starts, or as `command` starts. */
function inputsLoadedBy(command?: string): string[] {
  const outputs = meta.outputs;
  const seen = new Set<string>();
  const isCommand = (out: string) => command !== undefined && Object.keys(outputs[out]?.inputs ?? {}).some((f) => f.endsWith(`lib/src/cli/${command}.js`));
  const visit = (out: string) => {
    if (seen.has(out) || !outputs[out]) return;
    seen.add(out);
    for (const i of outputs[out].imports) {
      if (i.kind === 'import-statement' || (i.kind === 'dynamic-import' && isCommand(i.path))) visit(i.path);
    }
  };
  visit(Object.keys(outputs).find((o) => o.endsWith(BUNDLE_ENTRY))!);
  return [...seen].flatMap((o) => Object.keys(outputs[o].inputs));
}

beforeAll(async () => {
  if (!existsSync(join(root, 'lib/src/cli/entry.js'))) throw new Error('lib/ is missing: run `npm run compile` first');
  dir = mkdtempSync(join(tmpdir(), 'cli-bundle-test-'));
  expect(existsSync(join(dirname(dir), 'node_modules'))).toBe(false);
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  meta = await buildCli(join(dir, 'lib/bundle'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bundled CLI (what the image runs)', () => {
  test('renders the quick-start Task exactly as the unbundled CLI does, with no node_modules', () => {
    const unbundled = run(join(root, 'bin/kubeopencode.js'), QUICK_START);
    const fromBundle = bundled(...QUICK_START);
    expect(fromBundle.stderr).toBe('');
    expect(fromBundle.status).toBe(0);
    expect(unbundled.status).toBe(0);
    expect(fromBundle.stdout).toBe(unbundled.stdout);
    expect(JSON.parse(fromBundle.stdout)).toHaveLength(2);
  });

  test.each(['controller', 'context-init', 'git-init', 'url-fetch', 'collect-outputs', 'ui', 'run', 'get'])('`kubeopencode %s --help` starts', (command) => {
    const result = bundled(command, '--help');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: kubeopencode ${command}`));
  });

  test('an unknown command fails with the usage, as the unbundled CLI does', () => {
    const result = bundled('no-such-command');
    expect(result.status).toBe(run(join(root, 'bin/kubeopencode.js'), ['no-such-command']).status);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('no-such-command');
  });

  test('the controller loads neither client-node\'s generated API classes nor the UI server', () => {
    const loaded = inputsLoadedBy('controller').map((f) => relative(root, join(root, f)));
    expect(loaded.some((f) => f.endsWith('lib/src/cli/controller.js'))).toBe(true);
    expect(loaded.some((f) => f.endsWith('lib/src/reconciler/runtime/client-node-gen.js'))).toBe(true);
    expect(loaded.filter((f) => /client-node\/dist\/gen\/(apis|types)\/|ObjectSerializer/.test(f))).toEqual([]);
    expect(loaded.filter((f) => f.includes('lib/src/ui/'))).toEqual([]);
  });

  test('starting the CLI loads no command\'s code until it is named', () => {
    const loaded = inputsLoadedBy();
    expect(loaded.filter((f) => /lib\/src\/cli\/(controller|ui|run|render)\.js$/.test(f))).toEqual([]);
  });
});
