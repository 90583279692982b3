/**
 * `kubeopencode ui`: the Web UI, served locally with the user's kubeconfig (every API call is
 * the user's own), or, with --auth bearer, behind an authenticating proxy that passes each
 * signed-in user's token (see docs/ui.md).
 */
import { Command, defineCommand, flag, list, Log, OptionValues, parseCount, PlainError, str, UsageError } from './lib/cli.js';
import { KubeConfig } from '../reconciler/runtime/client-node.js';
import { createLogger, LogLevel } from '../reconciler/runtime/logger.js';
import { BearerCredentials, CredentialSource, inClusterCluster, KubeconfigCredentials } from '../ui/server/credentials.js';
import { UiServer } from '../ui/server/server.js';

function loadKubeConfig(values: OptionValues): KubeConfig {
  const kc = new KubeConfig();
  const file = str(values.kubeconfig);
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (e) {
    throw new PlainError(`error: cannot read the kubeconfig: ${(e as Error).message}`);
  }
  const context = str(values.context);
  if (context) {
    if (!kc.getContextObject(context)) throw new PlainError(`error: context "${context}" does not exist`);
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new PlainError('error: the kubeconfig has no current context with a cluster (set one with --context)');
  return kc;
}

function credentialSource(values: OptionValues): CredentialSource {
  const auth = str(values.auth);
  if (auth === 'kubeconfig') return new KubeconfigCredentials(loadKubeConfig(values));
  if (auth !== 'bearer') throw new UsageError(`--auth must be kubeconfig or bearer, got "${auth}"`);
  // In a Pod: the in-cluster API server. Elsewhere (trying it out): the kubeconfig's cluster, never its user.
  const cluster = str(values.kubeconfig) || !process.env.KUBERNETES_SERVICE_HOST ? loadKubeConfig(values).getCurrentCluster()! : inClusterCluster();
  return new BearerCredentials(cluster);
}

async function run(values: OptionValues, log: Log): Promise<number> {
  const port = parseCount('port', str(values.port), 8090);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const healthFlag = str(values['health-port']);
  const healthPort = healthFlag === undefined ? undefined : parseCount('health-port', healthFlag, 0);
  if (healthPort !== undefined && healthPort > 65535) throw new UsageError(`--health-port must be at most 65535, got ${healthPort}`);
  const level = str(values['log-level']) as LogLevel;
  if (!['error', 'warn', 'info', 'debug'].includes(level)) throw new UsageError(`--log-level must be error, warn, info or debug, got "${level}"`);
  let server: UiServer;
  try {
    server = new UiServer({
      address: str(values.address),
      port,
      healthPort,
      allowRemote: flag(values['allow-remote']),
      credentials: credentialSource(values),
      namespaces: list(values.namespace),
      allowedOrigins: list(values['allowed-origin']),
      logger: createLogger({ format: 'text', level }),
    });
  } catch (e) {
    if (e instanceof PlainError || e instanceof UsageError) throw e;
    throw new PlainError(`error: ${(e as Error).message}`, 2);
  }
  const url = await server.listen();
  log.info(`serving the Web UI at ${url} (Ctrl-C to stop)`);
  process.stdout.write(`${url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

export const command: Command = defineCommand({
  name: 'ui',
  usageOnError: true,
  summary: 'Serve the Web UI (Tasks, Agents, New Task) with your own Kubernetes credentials',
  details: `Locally (--auth kubeconfig, the default) every API call is made with your kubeconfig, and the
server listens on 127.0.0.1 only. In a cluster (--auth bearer), it expects an authenticating proxy
in front (e.g. oauth2-proxy --pass-authorization-header) and acts with each signed-in user's token.
Listening on another address needs --allow-remote, which needs --auth bearer. See docs/ui.md.`,
  options: {
    'address': { type: 'string', arg: 'IP', default: '127.0.0.1', description: 'Address to listen on' },
    'port': { type: 'string', short: 'p', arg: 'PORT', default: '8090', description: 'Port to listen on (0: any free port)' },
    'health-port': { type: 'string', arg: 'PORT', description: 'Also answer GET /healthz (only that) on PORT on every address, for the kubelet\'s probes when the UI listens on loopback' },
    'allow-remote': { type: 'boolean', description: 'Allow an address other machines can reach (needs --auth bearer)' },
    'auth': { type: 'string', arg: 'MODE', default: 'kubeconfig', description: 'kubeconfig (your own credentials) or bearer (the token an authenticating proxy passes)' },
    'namespace': { type: 'string', short: 'n', arg: 'NS', multiple: true, description: 'A namespace to watch when you may not list Tasks in all of them' },
    'kubeconfig': { type: 'string', arg: 'FILE', description: 'Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config); with --auth bearer only its cluster is used' },
    'context': { type: 'string', arg: 'NAME', description: 'Kubeconfig context to use (default: the current one)' },
    'allowed-origin': { type: 'string', arg: 'URL', multiple: true, description: 'Another origin allowed to send changes (when a proxy rewrites the Host header)' },
    'log-level': { type: 'string', arg: 'LEVEL', default: 'info', description: 'error, warn, info or debug' },
  },
  run,
});
