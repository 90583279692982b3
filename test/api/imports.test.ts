import { readFileSync } from 'node:fs';
import { generateImports } from '../../scripts/imports.js';

test('imports/kubeopencode.io.ts is what cdk8s import makes of the current CRDs (run `npm run crds` if not)', () => {
  const committed = readFileSync(new URL('../../imports/kubeopencode.io.ts', import.meta.url), 'utf8');
  expect(generateImports()).toBe(committed);
}, 120_000);
