/**
 * Shards owned through Leases: N shard Leases (`<prefix>-shard-<i>`), one member Lease per
 * replica (`<prefix>-member-<hash of identity>`) that says it is alive, and a loop that every
 * retry period reads the Leases, decides (shard-policy.ts) which shards to campaign for and
 * which to hand over, and runs one LeaderElector per wanted shard. A replica that dies stops
 * renewing: its member Lease goes stale and its shards become orphans that the others take
 * within the lease duration.
 *
 * Handing over is "stop, then release": onLost runs before the Lease is cleared, so the old
 * holder stops starting work on the shard before the new one begins. A reconcile already
 * running may overlap the new holder's first ones; conditional writes make that safe.
 */
import type { KubeConfig } from './client-node.js';
import { Lease, LeaderElector, leasePath } from './leader.js';
import { Logger, nullLogger } from './logger.js';
import { RestClient } from './rest-client.js';
import { hashHex, planShards, ShardFacts } from './shard-policy.js';
import { InterruptibleSleep } from './sleep.js';

export interface ShardElectionOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  /** Prefix of the Lease names, e.g. `kubeopencode-controller`. */
  readonly prefix: string;
  readonly shards: number;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly logger?: Logger;
  /** This replica now owns `shard`. */
  readonly onAcquired: (shard: number) => void;
  /** This replica no longer owns `shard` (lost, or handed over). */
  readonly onLost: (shard: number) => void;
  /** The member Lease could not be renewed: the replica should exit, as on lost leadership. */
  readonly onMembershipLost: () => void;
}

/** What changes in a Lease on every renewal or takeover. */
function recordOf(lease: Lease): string {
  const s = lease.spec ?? {};
  return JSON.stringify([s.holderIdentity, s.renewTime, s.leaseTransitions]);
}

export class ShardElection {
  private readonly rest: RestClient;
  private readonly log: Logger;
  private readonly member: LeaderElector;
  private readonly electors = new Map<number, LeaderElector>();
  private readonly held = new Set<number>();
  /** When each Lease's record (or its absence) last changed, by our clock (client-go's rule). */
  private readonly observed = new Map<string, { record: string; at: number }>();
  private readonly sleeper = new InterruptibleSleep();
  private stopped = false;
  private running?: Promise<void>;

  constructor(private readonly options: ShardElectionOptions) {
    this.rest = new RestClient(options.kc);
    this.log = (options.logger ?? nullLogger).child({ shards: options.shards, identity: options.identity });
    this.member = this.elector(`${options.prefix}-member-${hashHex(options.identity)}`, () => undefined, () => {
      this.log.error('could not renew this replica\'s member Lease');
      options.onMembershipLost();
    });
  }

  /** The shards this replica owns now. */
  public owned(): ReadonlySet<number> {
    return this.held;
  }

  public owns(shard: number): boolean {
    return this.held.has(shard);
  }

  public start(): void {
    void this.member.run();
    this.running ??= this.loop();
  }

  /** Hands every shard over (stop, then release) and leaves the membership. */
  public async release(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.running;
    await Promise.all([...this.electors.keys()].map((shard) => this.handOver(shard)));
    await this.member.release();
    await this.rest.close();
  }

  private shardLease(shard: number): string {
    return `${this.options.prefix}-shard-${shard}`;
  }

  private elector(name: string, onStartedLeading: () => void, onStoppedLeading: () => void): LeaderElector {
    const o = this.options;
    return new LeaderElector({
      kc: o.kc,
      namespace: o.namespace,
      name,
      identity: o.identity,
      logger: this.log,
      leaseDurationMs: o.leaseDurationMs,
      renewDeadlineMs: o.renewDeadlineMs,
      retryPeriodMs: o.retryPeriodMs,
      onStartedLeading,
      onStoppedLeading,
      // This loop has watched the Lease already: a stale one is taken over at once, not a lease duration later.
      seenUnchangedSince: (lease) => {
        const seen = this.observed.get(name);
        return seen?.record === recordOf(lease) ? seen.at : undefined;
      },
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.rebalance();
      } catch (err) {
        this.log.warn('could not read the shard Leases; trying again', { err: err as Error });
        this.rest.reset();
      }
      await this.sleeper.sleep(this.options.retryPeriodMs);
    }
  }

  private async rebalance(): Promise<void> {
    const leases = (await this.rest.get<{ items: Lease[] }>(leasePath(this.options.namespace))).items;
    if (this.stopped) return;
    const plan = planShards(this.facts(leases, Date.now()), this.held);
    for (const shard of plan.release) await this.handOver(shard);
    // Campaigns for shards no longer wanted (an orphan someone else took meanwhile) end.
    for (const [shard, elector] of this.electors) {
      if (!this.held.has(shard) && !plan.want.has(shard)) {
        this.electors.delete(shard);
        await elector.stop();
      }
    }
    for (const shard of plan.want) if (!this.electors.has(shard)) this.campaign(shard);
  }

  /** What the Leases say now: who is alive, which shards nobody serves. */
  private facts(leases: readonly Lease[], now: number): ShardFacts {
    const byName = new Map(leases.map((l) => [l.metadata.name, l]));
    const fresh = (name: string): boolean => now - this.observe(name, byName.get(name), now) < this.options.leaseDurationMs;
    const memberPrefix = `${this.options.prefix}-member-`;
    const alive = leases
      .filter((l) => l.metadata.name.startsWith(memberPrefix) && l.spec?.holderIdentity && fresh(l.metadata.name))
      .map((l) => l.spec!.holderIdentity!);
    const orphaned = new Set<number>();
    // Absent, released or not renewed for a whole lease duration: nobody serves the shard.
    for (let shard = 0; shard < this.options.shards; shard++) if (!fresh(this.shardLease(shard))) orphaned.add(shard);
    return { self: this.options.identity, alive: [...new Set([...alive, this.options.identity])], shards: this.options.shards, orphaned };
  }

  /** Records the Lease's record; returns when it last changed (absent counts as a record). */
  private observe(name: string, lease: Lease | undefined, now: number): number {
    const record = lease ? recordOf(lease) : 'absent';
    const seen = this.observed.get(name);
    if (seen?.record === record) return seen.at;
    this.observed.set(name, { record, at: now });
    return now;
  }

  private campaign(shard: number): void {
    const elector = this.elector(this.shardLease(shard), () => {
      this.held.add(shard);
      this.log.info('owns shard', { shard });
      this.options.onAcquired(shard);
    }, () => {
      this.held.delete(shard);
      this.electors.delete(shard);
      this.log.warn('lost shard', { shard });
      this.options.onLost(shard);
    });
    this.electors.set(shard, elector);
    void elector.run();
  }

  /** Stops working on the shard, then clears its Lease so its preferred replica takes it at once. */
  private async handOver(shard: number): Promise<void> {
    const elector = this.electors.get(shard);
    this.electors.delete(shard);
    if (this.held.delete(shard)) {
      this.options.onLost(shard);
      this.log.info('handing shard over', { shard });
    }
    await elector?.release();
  }
}
