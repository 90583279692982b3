/**
 * `kubeopencode controller`: loads the kubeconfig, serves health and metrics, waits for
 * leadership on a Lease, then runs the controller until SIGTERM or SIGINT. Every flag is
 * checked before anything starts: a bad value is one line on stderr and exit code 2.
 */
import { hostname } from 'node:os';
import { minimatch } from 'minimatch';
import { Command, defineCommand, flag, OptionValues, parsePositive, str, UsageError } from './lib/cli.js';
import { namespaceGlobProblem } from '../api/namespace-glob.js';
import { Controller } from '../reconciler/controller.js';
import { KubeConfig } from '../reconciler/runtime/client-node.js';
import { BindAddress, HttpServer, listenersFor, parseBindAddress } from '../reconciler/runtime/http-server.js';
import { LeaderElector } from '../reconciler/runtime/leader.js';
import { createLogger, Logger, LogFormat, LogLevel, parseLogFormat, parseLogLevel } from '../reconciler/runtime/logger.js';
import { Metrics } from '../reconciler/runtime/metrics.js';
import { ShardElection } from '../reconciler/runtime/shard-election.js';
import { METRICS_PREFIX } from '../reconciler/task-metrics.js';

/** The controller's settings, checked. */
export interface ControllerSettings {
  readonly kubeconfig?: string;
  readonly workers: number;
  readonly watchNamespaces?: readonly string[];
  readonly metricsAddress?: BindAddress;
  readonly probeAddress?: BindAddress;
  readonly leaderElect: boolean;
  readonly leaseNamespace: string;
  readonly leaseName: string;
  readonly leaseDurationSeconds: number;
  /** More than 1: sharded mode, each shard owned through a Lease of its own. */
  readonly shards: number;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
}

/** A value's own parser, with its message turned into a usage error that names the flag. */
function checked<T>(name: string, value: string, parse: (v: string) => T): T {
  try {
    return parse(value);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
}

/** The namespace globs; none (an empty value, as the chart passes by default) means every namespace. */
function namespaceGlobs(value: string | undefined): string[] | undefined {
  const globs = (value ?? '').split(',').map((g) => g.trim()).filter(Boolean);
  if (!globs.length) return undefined;
  for (const glob of globs) {
    const problem = namespaceGlobProblem(glob);
    if (problem) throw new UsageError(`--watch-namespaces: "${glob}" ${problem}`);
  }
  return globs;
}

function parseShards(values: OptionValues): number {
  const shards = parsePositive('shards', str(values.shards), 1);
  if (shards > MAX_SHARDS) throw new UsageError(`--shards must be at most ${MAX_SHARDS}, got "${shards}"`);
  if (shards > 1 && !flag(values['leader-elect'])) {
    throw new UsageError('--shards needs leader election: each shard is owned through a Lease (drop --no-leader-elect)');
  }
  return shards;
}

const MAX_SHARDS = 64;

/** Checks every flag; throws a UsageError naming the first bad one. */
export function controllerSettings(values: OptionValues): ControllerSettings {
  const leaseName = str(values['leader-election-id'])!;
  const leaseNamespace = str(values['leader-election-namespace'])!;
  if (!leaseName) throw new UsageError('--leader-election-id must not be empty');
  if (!leaseNamespace) throw new UsageError('--leader-election-namespace must not be empty');
  return {
    kubeconfig: str(values.kubeconfig),
    workers: parsePositive('workers', str(values.workers), 4),
    watchNamespaces: namespaceGlobs(str(values['watch-namespaces'])),
    metricsAddress: checked('metrics-bind-address', str(values['metrics-bind-address'])!, parseBindAddress),
    probeAddress: checked('health-probe-bind-address', str(values['health-probe-bind-address'])!, parseBindAddress),
    leaderElect: flag(values['leader-elect']),
    leaseNamespace,
    leaseName,
    leaseDurationSeconds: parsePositive('lease-duration', str(values['lease-duration']), 15),
    shards: parseShards(values),
    logFormat: checked('log-format', str(values['log-format'])!, parseLogFormat),
    logLevel: checked('log-level', str(values['log-level'])!, parseLogLevel),
  };
}

/** The Lease's timings in client-go's proportions: a 15 s lease renews within 10 s, retrying every 2 s. */
function leaseTimings(settings: ControllerSettings): { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } {
  const leaseMs = settings.leaseDurationSeconds * 1000;
  return { leaseDurationMs: leaseMs, renewDeadlineMs: leaseMs * 2 / 3, retryPeriodMs: leaseMs * 2 / 15 };
}

/** Where the kubeconfig comes from: the flag, then the usual places, then in-cluster. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

/** Runs until SIGTERM or SIGINT; resolves to the exit code. */
export async function runController(settings: ControllerSettings): Promise<number> {
  const logger = createLogger({ format: settings.logFormat, level: settings.logLevel });
  const kc = loadKubeConfig(settings.kubeconfig);
  const identity = `${hostname()}_${process.pid}`;
  const metrics = new Metrics({ prefix: METRICS_PREFIX });
  const globs = settings.watchNamespaces;
  const namespaceFilter = globs ? (ns: string) => globs.some((g) => minimatch(ns, g)) : undefined;
  const sharded = settings.shards > 1;
  let election: ShardElection | undefined;
  const controller = new Controller({
    kc,
    logger,
    metrics,
    workers: settings.workers,
    identity,
    namespaceFilter,
    shards: sharded ? { count: settings.shards, owns: (shard) => election?.owns(shard) ?? false } : undefined,
  });
  if (sharded) election = shardElection(settings, kc, identity, logger, controller, metrics);
  let standingBy = settings.leaderElect && !sharded;
  const listeners = listenersFor(settings.metricsAddress, settings.probeAddress);
  const server = listeners.length ? new HttpServer({
    listeners,
    readiness: () => standingBy || controller.hasSynced() ? true : { ready: false, reason: 'caches not synced' },
    metrics,
    logger,
  }) : undefined;
  await server?.start();
  logger.info('kubeopencode controller starting', { server: kc.getCurrentCluster()?.server, identity, leaderElection: settings.leaderElect });

  const elector = settings.leaderElect && !sharded ? new LeaderElector({
    kc,
    namespace: settings.leaseNamespace,
    name: settings.leaseName,
    identity,
    ...leaseTimings(settings),
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
  if (!sharded) metrics.setLeaderCollector(() => elector?.isLeader() ?? true);

  let stopping: Promise<void> | undefined;
  const shutdown = async (signal: string) => {
    logger.info('shutting down', { signal });
    await controller.stop();
    await elector?.release();
    await election?.release();
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
  election?.start();
  return done;
}

/** Sharded mode: the controller reconciles the shards this replica owns; a shard taken over is looked at whole. */
function shardElection(
  settings: ControllerSettings, kc: KubeConfig, identity: string, logger: Logger, controller: Controller, metrics: Metrics,
): ShardElection {
  const election = new ShardElection({
    kc,
    namespace: settings.leaseNamespace,
    prefix: settings.leaseName,
    shards: settings.shards,
    identity,
    ...leaseTimings(settings),
    logger: logger.child({ component: 'shard-election' }),
    onAcquired: (shard) => controller.enqueueShard(shard),
    onLost: () => undefined,
    onMembershipLost: () => {
      logger.error('lost this replica\'s membership; exiting so that a fresh process can join');
      process.exit(1);
    },
  });
  metrics.gauge('shards_owned', 'Shards this replica owns (1 per owned shard).', 'shard',
    () => Object.fromEntries([...election.owned()].map((shard) => [String(shard), 1])));
  metrics.setLeaderCollector(() => election.owned().size > 0);
  return election;
}

function fatal(logger: Logger, e: unknown): void {
  logger.error('fatal error', { error: e instanceof Error ? e.stack ?? e.message : String(e) });
  process.exit(1);
}

export const command: Command = defineCommand({
  name: 'controller',
  summary: 'Run the reconciler (watches Tasks and Agents, runs their Pods)',
  options: {
    'kubeconfig': { type: 'string', arg: 'PATH', description: 'kubeconfig to use (else $KUBECONFIG, ~/.kube/config, then in-cluster)' },
    'workers': { type: 'string', arg: 'N', default: '4', description: 'Concurrent reconciles (of different objects)' },
    'watch-namespaces': { type: 'string', arg: 'GLOB[,GLOB]', description: 'Only handle Tasks and Agents in matching namespaces (default all)' },
    'metrics-bind-address': { type: 'string', arg: 'ADDR', default: ':8080', description: 'Serve /metrics here ("0" disables)' },
    'health-probe-bind-address': { type: 'string', arg: 'ADDR', default: ':8081', description: 'Serve /healthz and /readyz here ("0" disables)' },
    'leader-elect': { type: 'boolean', default: true, description: 'Elect a leader on a Lease, so that replicas stand by' },
    'leader-election-namespace': { type: 'string', arg: 'NS', default: process.env.POD_NAMESPACE ?? 'kubeopencode-system', description: 'Namespace of the Lease ($POD_NAMESPACE)' },
    'leader-election-id': { type: 'string', arg: 'NAME', default: 'kubeopencode-controller', description: 'Name of the Lease' },
    'lease-duration': { type: 'string', arg: 'SECONDS', default: '15', description: 'How long a Lease holds without renewal' },
    'shards': { type: 'string', arg: 'N', default: '1', description: 'Split the work into N shards, each owned by one replica through a Lease (<id>-shard-<i>)' },
    'log-format': { type: 'string', arg: 'json|text', default: process.stderr.isTTY ? 'text' : 'json', description: 'Log line format' },
    'log-level': { type: 'string', arg: 'LEVEL', default: 'info', description: 'error, warn, info or debug' },
  },
  run: async (values) => runController(controllerSettings(values)),
});
