/**
 * Builds the page's bundle with esbuild: src/ui/web/main.tsx (Preact, JSX compiled by esbuild)
 * and the CSS it imports -> <outDir>/app.js and app.css, minified, no source maps, no CDN.
 * `npm run compile` and `npm ci` run it (`tsx scripts/ui-bundle.ts` writes lib/ui); the UI tests
 * build into a temporary folder so they always test the current sources.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The page's sources. */
const sourceDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'ui');

export async function buildAssets(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(sourceDir, 'web', 'main.tsx') },
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    outdir: outDir,
    logLevel: 'warning',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = process.argv[2] ?? join(sourceDir, '..', '..', 'lib', 'ui');
  buildAssets(out).then(() => process.stdout.write(`UI bundle written to ${out}\n`), (e: Error) => {
    process.stderr.write(`UI bundle failed: ${e.message}\n`);
    process.exitCode = 1;
  });
}
