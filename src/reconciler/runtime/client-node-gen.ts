/**
 * All that client-node's `dist/config.js` (KubeConfig) takes from its generated index
 * (`./gen/index.js`), which otherwise loads every API class: slim-client-node.ts points that
 * one import here. `test/reconciler/runtime/slim-client-node.test.ts` checks that config.js
 * asks for nothing more.
 */
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
