/**
 * The people-facing commands (get, run, ...) are defineCommand commands with kubectl's
 * connection flags added, a client opened before and closed after, and API or connection
 * errors printed as kubectl prints them (exit code 1). The client (and with it
 * @kubernetes/client-node, slow to load) is loaded only on connect, so that --help and
 * usage errors answer at once.
 */
import type { Target } from './config.js';
import { asPlainError } from './errors.js';
import type { RestClient } from '../../reconciler/runtime/rest-client.js';
import { Command, CommandDefinition, defineCommand, Log, OptionSpecs, OptionValues, str } from '../lib/cli.js';

export interface KubeContext {
  readonly client: RestClient;
  readonly target: Target;
  readonly log: Log;
}

export const connectionOptions: OptionSpecs = {
  namespace: { type: 'string', short: 'n', arg: 'NS', description: 'Namespace (default: the kubeconfig context\'s, else "default")' },
  kubeconfig: { type: 'string', arg: 'FILE', description: 'Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' },
  context: { type: 'string', arg: 'NAME', description: 'Kubeconfig context to use (default: the current one)' },
};

export interface KubeCommandDefinition extends Omit<CommandDefinition, 'run'> {
  /** Runs once the flags are parsed; `connect` loads the kubeconfig and opens the client (after the command's own checks). */
  readonly run: (values: OptionValues, connect: () => Promise<KubeContext>, log: Log) => Promise<number>;
}

export function defineKubeCommand(def: KubeCommandDefinition): Command {
  return defineCommand({
    ...def,
    options: { ...def.options, ...connectionOptions },
    run: async (values, log) => {
      let context: KubeContext | undefined;
      const connect = async (): Promise<KubeContext> => {
        if (!context) {
          const [{ loadTarget }, { cliClient }] = await Promise.all([import('./config.js'), import('./client.js')]);
          const target = loadTarget({ kubeconfig: str(values.kubeconfig), context: str(values.context), namespace: str(values.namespace) });
          context = { target, client: cliClient(target.kc), log };
        }
        return context;
      };
      try {
        return await def.run(values, connect, log);
      } catch (e) {
        throw asPlainError(e);
      } finally {
        await context?.client.close();
      }
    },
  });
}
