/**
 * The hook that keeps client-node's generated API classes out of the CLI's processes
 * (src/reconciler/runtime/slim-client-node.ts): that it asks nothing more of the slim index
 * than config.js needs, and that the real `kubeopencode` loads a few of the ~840 generated
 * modules, where a plain import of KubeConfig loads them all.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as everything from '@kubernetes/client-node';
import * as slimIndex from '../../../src/reconciler/runtime/client-node-gen.js';
import { slimRedirect } from '../../../src/reconciler/runtime/slim-client-node.js';

const root = new URL('../../..', import.meta.url).pathname;
const configModule = join(root, 'node_modules/@kubernetes/client-node/dist/config.js');

/** Records every module a process loads from client-node; prints them as it exits. */
const RECORDER = `import { registerHooks } from 'node:module';
const seen = [];
registerHooks({ load(url, context, next) { if (url.includes('/@kubernetes/client-node/')) seen.push(url); return next(url, context); } });
process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(seen) + '\\n'));`;

function loadedBy(args: string[]): string[] {
  const run = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(RECORDER)}`, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const line = run.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`no LOADED line; exit ${run.status}, stderr:\n${run.stderr}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

const generated = (urls: string[]) => urls.filter((u) => u.includes('/client-node/dist/gen/'));

/** bin/kubeopencode.js runs lib/: compile it when a source is newer (CI's npm ci has compiled it already). */
beforeAll(() => {
  const compiled = join(root, 'lib/src/reconciler/runtime/slim-client-node.js');
  const sources = ['slim-client-node.ts', 'client-node-gen.ts', 'client-node.ts'].map((f) => join(root, 'src/reconciler/runtime', f));
  const stale = (() => {
    try {
      return sources.some((s) => statSync(s).mtimeMs > statSync(compiled).mtimeMs);
    } catch {
      return true;
    }
  })();
  if (stale) execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '--build'], { cwd: root, stdio: 'inherit' });
}, 180_000);

describe('slim client-node loading', () => {
  test('the slim index exports every name config.js imports from the generated index, the very same objects', () => {
    const statement = /import\s*\{([^}]*)\}\s*from\s*'\.\/gen\/index\.js'/.exec(readFileSync(configModule, 'utf8'));
    expect(statement).not.toBeNull();
    const names = statement![1].split(',').map((n) => n.trim()).filter(Boolean);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(slimIndex).toHaveProperty(name);
      expect((slimIndex as Record<string, unknown>)[name]).toBe((everything as Record<string, unknown>)[name]);
    }
  });

  test('only config.js\'s import of the generated index is redirected', () => {
    const parent = `file://${configModule}`;
    expect(slimRedirect('./gen/index.js', parent)).toMatch(/\/client-node-gen\.js$/);
    expect(slimRedirect('./gen/index.js', `file://${join(root, 'node_modules/@kubernetes/client-node/dist/api.js')}`)).toBeUndefined();
    expect(slimRedirect('./watch.js', parent)).toBeUndefined();
    expect(slimRedirect('./gen/index.js', undefined)).toBeUndefined();
  });

  test('kubeopencode controller loads a few generated modules; KubeConfig without the hook loads them all', () => {
    const withHook = loadedBy([join(root, 'bin/kubeopencode.js'), 'controller', '--help']);
    expect(withHook.some((u) => u.endsWith('/dist/config.js'))).toBe(true);
    expect(withHook.some((u) => u.endsWith('/dist/gen/index.js'))).toBe(false);
    expect(generated(withHook).length).toBeLessThan(20);

    const without = loadedBy(['--input-type=module', '-e', `await import(${JSON.stringify(configModule)})`]);
    expect(without.some((u) => u.endsWith('/dist/gen/index.js'))).toBe(true);
    expect(generated(without).length).toBeGreaterThan(500);
  }, 60_000);
});
