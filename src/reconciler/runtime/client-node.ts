/**
 * The parts of `@kubernetes/client-node` the runtime uses, each from the module that defines
 * it. The package's index (and each generated API class it exports, e.g. `CoreV1Api`, whose
 * module imports every API group) loads ~25 MB of generated JavaScript, ~80 MiB of RSS; these
 * modules need a fraction of it. The classes are the very ones the index exports (the index
 * re-exports these modules), so objects pass freely between code that imports either.
 * `KubeConfig`'s own module still imports the generated index: `slim-client-node.ts` is the
 * loader hook that the CLI installs to cut that one import down.
 *
 * Types come from the package index as `import type`, which loads nothing.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
export { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
export { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
