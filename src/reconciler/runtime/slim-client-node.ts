/**
 * A module hook that keeps `@kubernetes/client-node` from loading what the controller never
 * uses. `KubeConfig`'s module imports the package's generated index for two small functions,
 * and that index imports every API class of every group: ~25 MB of JavaScript, ~40 MiB of
 * RSS in a process that makes its requests as plain JSON (rest-client.ts). The hook answers
 * that one import with client-node-gen.ts, which re-exports the two functions from their own
 * modules: the same functions, so nothing behaves differently. Code that imports the
 * package's index still gets all of it.
 *
 * Installed by bin/kubeopencode.js before anything imports client-node (ESM resolves every
 * static import before it runs any module). This module imports nothing of client-node.
 */
import * as nodeModule from 'node:module';

const CONFIG_MODULE = '/@kubernetes/client-node/dist/config.js';
const GENERATED_INDEX = './gen/index.js';
const SLIM_INDEX = new URL('./client-node-gen.js', import.meta.url).href;

/** The URL to load instead of `specifier` imported by `parentURL`, if any. */
export function slimRedirect(specifier: string, parentURL: string | undefined): string | undefined {
  return specifier === GENERATED_INDEX && parentURL?.endsWith(CONFIG_MODULE) ? SLIM_INDEX : undefined;
}

/** Installs the hook for this process; false where Node has no synchronous hooks (before 22.15). */
export function useSlimClientNode(): boolean {
  const register = (nodeModule as Partial<typeof nodeModule>).registerHooks;
  if (typeof register !== 'function') return false;
  register({
    resolve(specifier, context, nextResolve) {
      const url = slimRedirect(specifier, context.parentURL);
      return url ? { url, shortCircuit: true } : nextResolve(specifier, context);
    },
  });
  return true;
}
