/**
 * The controller as the chart deploys it, run in this process: it authenticates as the
 * chart's ServiceAccount (a token from the TokenRequest API), elects itself leader on the
 * chart's Lease, then reconciles. Only the chart's RBAC stands between it and the API
 * server, so a missing rule shows up as a failure. The integration tests and the demo use it.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { Controller, ControllerOptions } from '../../src/reconciler/controller.js';
import { LeaderElector } from '../../src/reconciler/runtime/leader.js';
import { LogFields, Logger } from '../../src/reconciler/runtime/logger.js';
import { tokenKubeConfig } from '../kube.js';
import { waitFor } from '../wait.js';

export interface InProcessOperatorOptions {
  /** The admin kubeconfig, used only to mint the token. */
  readonly adminKc: KubeConfig;
  /** Where the release lives: its ServiceAccount and its Lease. */
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** The chart's `--leader-election-id` (`<fullname>-controller`). */
  readonly leaseName: string;
  readonly logger: Logger;
  readonly identity?: string;
  /** The controller's other options (namespaceFilter, statusIntervalMs, ...). */
  readonly controller?: Partial<ControllerOptions>;
}

export class InProcessOperator {
  public controller?: Controller;
  public elector?: LeaderElector;
  public kc?: KubeConfig;
  private startError: unknown;

  constructor(private readonly options: InProcessOperatorOptions) {}

  /** Mints the token, wins the Lease, starts the controller and waits until its caches synced. */
  public async start(): Promise<void> {
    const o = this.options;
    const kc = this.kc = await tokenKubeConfig(o.namespace, o.serviceAccountName, { kc: o.adminKc });
    const identity = o.identity ?? `in-process-${process.pid}`;
    const controller = this.controller = new Controller({ kc, logger: o.logger, identity, ...o.controller });
    this.elector = new LeaderElector({
      kc,
      namespace: o.namespace,
      name: o.leaseName,
      identity,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 1_000,
      logger: o.logger.child({ component: 'leader-election' }),
      onStartedLeading: () => { controller.start().catch((e) => { this.startError = e; }); },
      onStoppedLeading: () => { this.startError = new Error('lost leadership'); },
    });
    void this.elector.run();
    await waitFor(() => {
      if (this.startError) throw this.startError;
      return this.elector!.isLeader() && controller.hasSynced();
    }, { timeoutMs: 30_000, intervalMs: 50, description: `the controller (as ${o.namespace}/${o.serviceAccountName}) to lead and sync its caches` })
      .catch((e: Error) => { throw new Error(`${e.message}${this.startError ? `: ${String(this.startError)}` : ''}`); });
  }

  public async stop(): Promise<void> {
    await this.controller?.stop();
    await this.elector?.release();
  }
}

interface Problem { level: string; message: string; fields: LogFields }

/** A Logger that keeps warnings and errors (to assert that none was a 403) and forwards everything. */
export class RecordingLogger implements Logger {
  public readonly problems: Problem[];

  constructor(private readonly inner?: Logger, private readonly fields: LogFields = {}, problems?: Problem[]) {
    this.problems = problems ?? [];
  }

  public error(message: string, fields: LogFields = {}): void {
    this.problems.push({ level: 'error', message, fields: { ...this.fields, ...fields } });
    this.inner?.error(message, fields);
  }

  public warn(message: string, fields: LogFields = {}): void {
    this.problems.push({ level: 'warn', message, fields: { ...this.fields, ...fields } });
    this.inner?.warn(message, fields);
  }

  public info(message: string, fields?: LogFields): void {
    this.inner?.info(message, fields);
  }

  public debug(message: string, fields?: LogFields): void {
    this.inner?.debug(message, fields);
  }

  public child(fields: LogFields): Logger {
    return new RecordingLogger(this.inner?.child(fields), { ...this.fields, ...fields }, this.problems);
  }

  /** Problems that look like RBAC refusals. */
  public forbidden(): string[] {
    return this.problems.map((p) => `${p.message} ${JSON.stringify(p.fields)}`).filter((line) => /forbidden|403/i.test(line));
  }
}
