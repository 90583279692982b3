/**
 * The README's tour on a fresh clone: `npm ci` alone, then `npx kubeopencode render -f ...`.
 * The CLI runs from lib/, which `npm ci` must build (the `prepare` script); before it did,
 * this failed with ERR_MODULE_NOT_FOUND. The clone is of HEAD, so it checks what is committed.
 * npm's cache makes the install quick after the first one on a machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { root } from './helpers.js';

jest.setTimeout(600_000);

const clone = mkdtempSync(join(tmpdir(), 'koc-fresh-clone-'));
afterAll(() => rmSync(clone, { recursive: true, force: true }));

test('npm ci in a fresh clone builds the CLI: npx kubeopencode render works at once', () => {
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
  expect(existsSync(join(clone, 'lib'))).toBe(false);
  const install = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: clone, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`npm ci failed:\n${install.stderr.slice(-3000)}`);

  const render = spawnSync('npx', ['kubeopencode', 'render', '-f', 'examples/seed-readme/09-cross-namespace.yaml'], { cwd: clone, encoding: 'utf8' });
  expect(render.stderr).toBe('');
  expect(render.status).toBe(0);
  const objects = parseAllDocuments(render.stdout).map((d) => d.toJS() as { kind: string; metadata: { namespace: string } });
  expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}`)).toEqual(['ConfigMap platform-agents', 'Pod platform-agents']);
});
