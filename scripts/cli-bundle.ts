/**
 * Bundles the compiled CLI (lib/src/cli/entry.js) with esbuild into <outDir>/kubeopencode.mjs
 * plus chunks: what the image runs, the controller and the in-Pod helpers alike. One file
 * parsed instead of ~600 modules, minified, and each command's code in a chunk of its own, so
 * `kubeopencode controller` loads only what the controller needs: ~20 MiB less RSS than the
 * same code run from lib/ (docs/benchmarks.md, "Where the memory goes").
 *
 * Bundles what tsc compiled, so it is the code the tests run. client-node's config.js import
 * of its generated index is pointed at the slim index here, as `slim-client-node.ts` does for
 * lib/ at run time (the same rule, slimRedirect). `npm run compile`, `npm ci` and the
 * Dockerfile run it after tsc (`tsx scripts/cli-bundle.ts` writes lib/bundle).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { slimRedirect } from '../src/reconciler/runtime/slim-client-node.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const libDir = join(repoRoot, 'lib');

/** The compiled form (lib/src/...) of a module of src/ named by URL. */
const compiledFormOf = (url: string): string => join(libDir, relative(repoRoot, fileURLToPath(url)));

/** The file to start from; exported for the tests. */
export const cliEntry = join(libDir, 'src', 'cli', 'entry.js');

/** The bundle's entry file in outDir. */
export const BUNDLE_ENTRY = 'kubeopencode.mjs';

/** esbuild: resolve imports the way slim-client-node.ts does in a running process. */
const slimClientNode: Plugin = {
  name: 'slim-client-node',
  setup(b) {
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) => {
      const url = slimRedirect(args.path, pathToFileURL(args.importer).href);
      return url ? { path: compiledFormOf(url) } : undefined;
    });
  },
};

export async function buildCli(outDir: string): Promise<Metafile> {
  if (!existsSync(cliEntry)) throw new Error(`${cliEntry} is missing: compile first (npx tsc --build)`);
  const result = await build({
    entryPoints: { kubeopencode: cliEntry },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: ['node22'],
    minify: true,
    // Stack traces keep our function and class names, and so do error messages built from them.
    keepNames: true,
    legalComments: 'none',
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // CommonJS dependencies (cdk8s, winston, ...) call require() for Node's own modules.
    banner: { js: "import { createRequire as __kubeopencodeRequire } from 'node:module'; const require = __kubeopencodeRequire(import.meta.url);" },
    plugins: [slimClientNode],
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = process.argv[2] ?? join(libDir, 'bundle');
  buildCli(out).then(() => process.stdout.write(`CLI bundle written to ${out}\n`), (e: Error) => {
    process.stderr.write(`CLI bundle failed: ${e.message}\n`);
    process.exitCode = 1;
  });
}
