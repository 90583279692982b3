#!/usr/bin/env node
// The compiled CLI (npm run compile, or npm ci, which compiles through `prepare`).
import { main } from '../lib/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`kubeopencode: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
