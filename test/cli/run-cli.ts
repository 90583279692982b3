// Runs the CLI from source (through `node --import tsx`) when lib/ is stale; see helpers.ts.
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`kubeopencode: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
