#!/usr/bin/env node
// `kubectl kubeopencode ...`: kubectl runs this executable (named kubectl-kubeopencode on the
// PATH) with the words after "kubeopencode"; it is the same CLI as bin/kubeopencode.js.
import { main } from '../lib/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`kubeopencode: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
