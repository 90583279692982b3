#!/usr/bin/env node
// The compiled CLI (npm run compile, or npm ci, which compiles through `prepare`).
// The hook goes in before main.js is imported: ESM resolves all of a module's imports first.
import { useSlimClientNode } from '../lib/src/reconciler/runtime/slim-client-node.js';

useSlimClientNode();
const { main } = await import('../lib/src/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`kubeopencode: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
