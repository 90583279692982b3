/**
 * Which shards a replica should hold (pure). Every live replica computes the same answer from
 * the same facts, so the shards spread evenly without a coordinator: the replicas, sorted by
 * identity, take the shards round-robin (replica r of n prefers shards r, r+n, r+2n, ...).
 * A shard whose preferred holder is not alive, or that nobody has held for a lease duration,
 * is an orphan: any replica may take it, so a dead replica's shards move within the lease
 * duration even before every replica has noticed the death.
 */
import { createHash } from 'node:crypto';

export interface ShardFacts {
  /** This replica's identity. */
  readonly self: string;
  /** Identities of the replicas alive now (this one included). */
  readonly alive: readonly string[];
  readonly shards: number;
  /** Shards whose Lease nobody holds now, or whose holder stopped renewing it. */
  readonly orphaned: ReadonlySet<number>;
}

export interface ShardPlan {
  /** Shards to campaign for. */
  readonly want: ReadonlySet<number>;
  /** Shards this replica holds but should hand to their preferred replica. */
  readonly release: ReadonlySet<number>;
}

/** The shards replica `identity` prefers among the live ones. */
export function preferredShards(identity: string, alive: readonly string[], shards: number): Set<number> {
  const members = [...new Set([...alive, identity])].sort();
  const rank = members.indexOf(identity);
  const preferred = new Set<number>();
  for (let shard = rank; shard < shards; shard += members.length) preferred.add(shard);
  return preferred;
}

/**
 * What to do given what this replica holds: campaign for its preferred shards and for
 * orphans; release shards it holds that another live replica prefers (that replica is
 * campaigning for them and takes them over at once).
 */
export function planShards(facts: ShardFacts, held: ReadonlySet<number>): ShardPlan {
  const preferred = preferredShards(facts.self, facts.alive, facts.shards);
  const want = new Set<number>([...preferred, ...facts.orphaned]);
  for (const shard of held) want.delete(shard);
  const release = new Set([...held].filter((s) => !preferred.has(s) && !facts.orphaned.has(s)));
  return { want, release };
}

/** Which shard a key belongs to: a stable hash of it (the same in every process and version), modulo the shard count. */
export function shardOf(key: string, shards: number): number {
  return parseInt(hashHex(key), 16) % shards;
}

/** The first 8 hex digits of the key's SHA-256. */
export function hashHex(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
