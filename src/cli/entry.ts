#!/usr/bin/env node
/**
 * The `kubeopencode` process: runs the command named on the command line and sets the exit
 * code. bin/kubeopencode.js imports it after installing the slim client-node hook; the image's
 * bundle (scripts/cli-bundle.ts) starts here too.
 */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`kubeopencode: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
