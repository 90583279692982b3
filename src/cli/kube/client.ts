/**
 * The CLI's connection to the API server: a RestClient (raw JSON, so `-o yaml` shows the
 * objects as the server sent them, like kubectl) whose writes the server records under the
 * CLI's own field manager, as kubectl's are kubectl-create, kubectl-annotate, ...
 */
import { KubeConfig } from '../../reconciler/runtime/client-node.js';
import { RestClient } from '../../reconciler/runtime/rest-client.js';

export const CLI_FIELD_MANAGER = 'kubeopencode-cli';

export function cliClient(kc: KubeConfig): RestClient {
  return new RestClient(kc, { fieldManager: CLI_FIELD_MANAGER });
}
