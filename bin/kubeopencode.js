#!/usr/bin/env node
// The compiled CLI (npm run compile, or npm ci, which compiles through `prepare`).
// The hook goes in before the CLI is imported: ESM resolves all of a module's imports first.
// The image runs the same entry bundled (lib/bundle, scripts/cli-bundle.ts).
import { useSlimClientNode } from '../lib/src/reconciler/runtime/slim-client-node.js';

useSlimClientNode();
await import('../lib/src/cli/entry.js');
