// Runs the CLI from source (through `node --import tsx`) when lib/ is stale; see helpers.ts.
import '../../src/cli/entry.js';
