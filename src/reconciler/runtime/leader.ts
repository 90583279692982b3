/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics:
 * - a candidate takes the Lease when it is absent, released (no holder), already ours, or
 *   expired: unchanged for leaseDuration as measured on *our* clock since we last saw the
 *   record change (client-go's rule; immune to clock skew between replicas);
 * - every write carries the resourceVersion it read, so two candidates can never both win;
 * - the leader renews every retryPeriod; when it cannot renew for renewDeadline, or sees
 *   another holder, it stops leading and calls onStoppedLeading (the controller exits);
 * - release() clears holderIdentity so that a standby takes over at once.
 */
import { httpStatusOf, isNotFound } from './api-errors.js';
import type { KubeConfig } from './client-node.js';
import { Logger, nullLogger } from './logger.js';
import { groupPath, RestClient } from './rest-client.js';
import { InterruptibleSleep } from './sleep.js';

/** A coordination.k8s.io/v1 Lease as the API server sends it (times are RFC 3339 strings). */
export interface Lease {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly resourceVersion?: string };
  readonly spec?: LeaseSpec;
}

export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

/** `/apis/coordination.k8s.io/v1/namespaces/NS/leases[/NAME]` */
export const leasePath = (namespace: string, name?: string): string => groupPath('coordination.k8s.io/v1', 'leases', namespace, name);

export interface LeaderElectorOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica, e.g. `${hostname}_${pid}`. */
  readonly identity: string;
  /** @default 15000 */
  readonly leaseDurationMs?: number;
  /** @default 10000 */
  readonly renewDeadlineMs?: number;
  /** @default 2000 */
  readonly retryPeriodMs?: number;
  readonly logger?: Logger;
  /** Called once, when this replica becomes the leader. */
  readonly onStartedLeading: () => void;
  /** Called once if leadership is lost (not after release() or stop()). */
  readonly onStoppedLeading: () => void;
  /** Called when the observed holder changes (empty string: nobody). */
  readonly onNewLeader?: (identity: string) => void;
  /**
   * Since when (by this process's clock) someone has already seen this very Lease record
   * unchanged, e.g. a process that watched the Lease before it started to campaign. A
   * takeover then waits the lease duration from that moment, not from this elector's first look.
   * @default - from this elector's first look
   */
  readonly seenUnchangedSince?: (lease: Lease) => number | undefined;
}

type Attempt = 'ok' | 'held' | 'failed';

/** Go's metav1.MicroTime wire format: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export class LeaderElector {
  private readonly rest: RestClient;
  private readonly log: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private observedRecord = '';
  private observedAt = 0;
  private observedHolder: string | undefined;
  private lease: Lease | undefined;
  private readonly sleeper = new InterruptibleSleep();

  constructor(private readonly options: LeaderElectorOptions) {
    this.rest = new RestClient(options.kc);
    this.log = (options.logger ?? nullLogger).child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDurationMs must be greater than renewDeadlineMs');
    if (this.renewDeadlineMs <= this.retryPeriodMs) throw new Error('renewDeadlineMs must be greater than retryPeriodMs');
  }

  public isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until this replica leads, then renews until leadership is lost or the elector is
   * stopped or released. Resolves when it has stopped doing either.
   */
  public run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops campaigning/renewing without touching the Lease (as a crash would). */
  public async stop(): Promise<void> {
    await this.halt();
    await this.rest.close();
  }

  /** Stops, and if this replica leads, clears holderIdentity so a standby takes over at once. */
  public async release(): Promise<void> {
    const wasLeading = this.leading;
    await this.halt();
    try {
      if (wasLeading && this.lease?.spec?.holderIdentity === this.options.identity) await this.clearHolder(this.lease);
    } finally {
      await this.rest.close();
    }
  }

  private async halt(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.running;
    this.leading = false;
  }

  private async clearHolder(lease: Lease): Promise<void> {
    const now = Date.now();
    const body: Lease = {
      ...lease,
      spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, acquireTime: microTime(now), renewTime: microTime(now) },
    };
    try {
      await withTimeout(this.replace(body), this.renewDeadlineMs);
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('could not release the lease; a standby takes over when it expires', { err: err as Error });
    }
  }

  private async loop(): Promise<void> {
    this.log.info('campaigning for leadership');
    while (!this.stopped && (await this.attempt()) !== 'ok') await this.sleeper.sleep(this.retryPeriodMs * (1 + 0.2 * Math.random()));
    if (this.stopped) return;
    this.leading = true;
    this.log.info('became the leader');
    this.call(this.options.onStartedLeading);

    let lastRenew = Date.now();
    while (!this.stopped) {
      await this.sleeper.sleep(this.retryPeriodMs);
      if (this.stopped) return;
      const result = await this.attempt();
      if (this.stopped) return;
      if (result === 'ok') {
        lastRenew = Date.now();
        continue;
      }
      const overdue = Date.now() - lastRenew >= this.renewDeadlineMs;
      if (result === 'held' || overdue) {
        this.leading = false;
        this.log.error('lost leadership', { reason: result === 'held' ? `lease held by ${this.observedHolder}` : 'renew deadline passed' });
        this.call(this.options.onStoppedLeading);
        return;
      }
    }
  }

  /** One read-then-write round: takes or renews the Lease if allowed. */
  private async attempt(): Promise<Attempt> {
    const { name, namespace, identity } = this.options;
    const timeout = this.renewDeadlineMs;
    try {
      const now = Date.now();
      let lease: Lease;
      try {
        lease = await withTimeout(this.rest.get<Lease>(leasePath(namespace, name)), timeout);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const body: Lease = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: this.record(undefined, now),
        };
        this.lease = await withTimeout(this.rest.request<Lease>('POST', leasePath(namespace), { body }), timeout);
        this.observe(this.lease, now);
        return 'ok';
      }
      this.observe(lease, now);
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
      if (holder && holder !== identity && this.observedAt + durationMs > now) return 'held';
      this.lease = await withTimeout(this.replace({ ...lease, spec: this.record(lease, now) }), timeout);
      this.observe(this.lease, now);
      return 'ok';
    } catch (err) {
      const code = httpStatusOf(err);
      // 409: another candidate wrote first (create or resourceVersion conflict).
      if (code === 409) this.log.debug('lost a race for the lease');
      else this.log.warn('lease request failed', { err: err as Error });
      if (code === undefined) this.rest.reset(); // timeout or network error: reconnect
      return 'failed';
    }
  }

  private record(lease: Lease | undefined, now: number): LeaseSpec {
    const old = lease?.spec;
    const mine = old?.holderIdentity === this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: mine && old?.acquireTime ? old.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: old ? (old.leaseTransitions ?? 0) + (mine ? 0 : 1) : 0,
    };
  }

  /** Remembers when the record last changed, by our clock. */
  private observe(lease: Lease, now: number): void {
    const s = lease.spec ?? {};
    const record = JSON.stringify([s.holderIdentity, s.leaseDurationSeconds, s.acquireTime, s.renewTime, s.leaseTransitions]);
    if (record !== this.observedRecord) {
      const first = this.observedRecord === '';
      this.observedRecord = record;
      this.observedAt = (first ? this.options.seenUnchangedSince?.(lease) : undefined) ?? now;
    }
    const holder = s.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      this.log.info('observed lease holder', { holder: holder || '(none)' });
      if (this.options.onNewLeader) this.call(() => this.options.onNewLeader!(holder));
    }
  }

  /** Writes the Lease back, conditional on the resourceVersion it carries. */
  private replace(lease: Lease): Promise<Lease> {
    return this.rest.request<Lease>('PUT', leasePath(this.options.namespace, this.options.name), { body: lease });
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('leader election callback threw', { err: err as Error });
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lease request timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
