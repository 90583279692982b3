/**
 * Regenerates imports/kubeopencode.io.ts from the CRDs that src/api defines, with
 * `cdk8s import` (offline). `npm run crds` runs it; test/api/imports.test.ts fails when
 * the committed file is stale.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crdsYaml } from './crds-yaml.js';

/** Runs `cdk8s import` on the current CRDs and returns the generated TypeScript. */
export function generateImports(): string {
  const dir = mkdtempSync(join(tmpdir(), 'koc-imports-'));
  try {
    writeFileSync(join(dir, 'crds.yaml'), crdsYaml());
    execFileSync('cdk8s', ['import', 'crds.yaml', '--language', 'typescript', '--output', 'imports', '--no-check-upgrade'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return readFileSync(join(dir, 'imports', 'kubeopencode.io.ts'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync('imports/kubeopencode.io.ts', generateImports());
  console.log('wrote imports/kubeopencode.io.ts');
}
