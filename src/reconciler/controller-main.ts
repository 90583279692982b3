/**
 * `kubeopencode controller`: loads the kubeconfig, serves health and metrics, waits for
 * leadership on a Lease, then runs the controller until SIGTERM or SIGINT.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { minimatch } from 'minimatch';
import { Controller } from './controller.js';
import { HttpServer, listenersFor, parseBindAddress } from './http-server.js';
import { LeaderElector } from './leader.js';
import { createLogger, Logger, parseLogFormat, parseLogLevel } from './logger.js';
import { Metrics } from './metrics.js';

const HELP = `Usage: kubeopencode controller [options]

Watches Tasks and Agents and runs each Task as a Pod.

  --kubeconfig PATH                    kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  --workers N                          concurrent reconciles (default 4)
  --watch-namespaces GLOB[,GLOB]       only handle Tasks and Agents in matching namespaces (default all)
  --metrics-bind-address ADDR          serve /metrics here, e.g. :8080 (default :8080; "0" disables)
  --health-probe-bind-address ADDR     serve /healthz and /readyz here (default :8081)
  --leader-elect / --no-leader-elect   elect a leader on a Lease (default on)
  --leader-election-namespace NS       namespace of the Lease (default $POD_NAMESPACE or kubeopencode-system)
  --leader-election-id NAME            name of the Lease (default kubeopencode-controller)
  --lease-duration SECONDS             (default 15)
  --log-format json|text               (default text on a terminal, json otherwise)
  --log-level error|warn|info|debug    (default info)
`;

/** Where the kubeconfig comes from: the flag, then the usual places, then in-cluster. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

function options(args: string[]) {
  return parseArgs({
    args,
    allowNegative: true,
    options: {
      'kubeconfig': { type: 'string' },
      'workers': { type: 'string', default: '4' },
      'watch-namespaces': { type: 'string' },
      'metrics-bind-address': { type: 'string', default: ':8080' },
      'health-probe-bind-address': { type: 'string', default: ':8081' },
      'leader-elect': { type: 'boolean', default: true },
      'leader-election-namespace': { type: 'string', default: process.env.POD_NAMESPACE ?? 'kubeopencode-system' },
      'leader-election-id': { type: 'string', default: 'kubeopencode-controller' },
      'lease-duration': { type: 'string', default: '15' },
      'log-format': { type: 'string', default: process.stderr.isTTY ? 'text' : 'json' },
      'log-level': { type: 'string', default: 'info' },
      'help': { type: 'boolean', short: 'h' },
    },
  }).values;
}

export async function runController(args: string[]): Promise<number> {
  const flags = options(args);
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const logger = createLogger({ format: parseLogFormat(flags['log-format']!), level: parseLogLevel(flags['log-level']!) });
  const kc = loadKubeConfig(flags.kubeconfig);
  const identity = `${hostname()}_${process.pid}`;
  const metrics = new Metrics();
  const globs = flags['watch-namespaces']?.split(',').map((g) => g.trim()).filter(Boolean);
  const namespaceFilter = globs?.length ? (ns: string) => globs.some((g) => minimatch(ns, g)) : undefined;
  const controller = new Controller({ kc, logger, metrics, workers: Number(flags.workers), identity, namespaceFilter });
  let standingBy = flags['leader-elect'];
  const listeners = listenersFor(parseBindAddress(flags['metrics-bind-address']!), parseBindAddress(flags['health-probe-bind-address']!));
  const server = listeners.length ? new HttpServer({
    listeners,
    readiness: () => standingBy || controller.hasSynced() ? true : { ready: false, reason: 'caches not synced' },
    metrics: metrics,
    logger,
  }) : undefined;
  await server?.start();
  logger.info('kubeopencode controller starting', { server: kc.getCurrentCluster()?.server, identity, leaderElection: flags['leader-elect'] });

  let stopping: Promise<void> | undefined;
  const elector = flags['leader-elect'] ? new LeaderElector({
    kc,
    namespace: flags['leader-election-namespace']!,
    name: flags['leader-election-id']!,
    identity,
    // client-go's proportions: 15 s lease, 10 s renew deadline, 2 s retry.
    leaseDurationMs: Number(flags['lease-duration']) * 1000,
    renewDeadlineMs: Number(flags['lease-duration']) * 1000 * 2 / 3,
    retryPeriodMs: Number(flags['lease-duration']) * 1000 * 2 / 15,
    logger: logger.child({ component: 'leader-election' }),
    onStartedLeading: () => {
      standingBy = false;
      controller.start().catch((e) => fatal(logger, e));
    },
    onStoppedLeading: () => {
      logger.error('lost leadership; exiting so that a fresh process can stand by');
      process.exit(1);
    },
  }) : undefined;

  const shutdown = async (signal: string) => {
    logger.info('shutting down', { signal });
    await controller.stop();
    await elector?.release();
    await server?.stop();
    logger.info('stopped');
  };
  const done = new Promise<number>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        stopping ??= shutdown(signal);
        stopping.then(() => resolve(0), (e) => {
          fatal(logger, e);
          resolve(1);
        });
      });
    }
  });
  if (elector) void elector.run().catch((e) => fatal(logger, e));
  else await controller.start();
  return done;
}

function fatal(logger: Logger, e: unknown): void {
  logger.error('fatal error', { error: e instanceof Error ? e.stack ?? e.message : String(e) });
  process.exit(1);
}
