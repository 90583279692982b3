import { planShards, preferredShards, shardOf } from '../../../src/reconciler/runtime/shard-policy.js';

const none = new Set<number>();

describe('shard policy (pure)', () => {
  test('replicas sorted by identity take the shards round-robin', () => {
    const alive = ['c', 'a', 'b'];
    expect([...preferredShards('a', alive, 5)]).toEqual([0, 3]);
    expect([...preferredShards('b', alive, 5)]).toEqual([1, 4]);
    expect([...preferredShards('c', alive, 5)]).toEqual([2]);
    expect([...preferredShards('solo', [], 3)]).toEqual([0, 1, 2]);
  });

  test('every shard has exactly one preferred replica, whatever the number of replicas', () => {
    for (const replicas of [1, 2, 3, 5, 8]) {
      const alive = Array.from({ length: replicas }, (_, i) => `r${i}`);
      const counts = new Map<number, number>();
      for (const r of alive) for (const shard of preferredShards(r, alive, 7)) counts.set(shard, (counts.get(shard) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    }
  });

  test('alone at first: wants every shard; a second replica joins: hands over what it now prefers', () => {
    expect([...planShards({ self: 'a', alive: ['a'], shards: 2, orphaned: none }, none).want]).toEqual([0, 1]);
    const plan = planShards({ self: 'a', alive: ['a', 'b'], shards: 2, orphaned: none }, new Set([0, 1]));
    expect([...plan.release]).toEqual([1]);
    expect([...plan.want]).toEqual([]);
    expect([...planShards({ self: 'b', alive: ['a', 'b'], shards: 2, orphaned: none }, none).want]).toEqual([1]);
  });

  test('an orphan (its holder stopped renewing) is wanted by everyone, and kept until its preferred replica is alive', () => {
    const facts = { self: 'a', alive: ['a', 'b'], shards: 3, orphaned: new Set([1]) };
    expect([...planShards(facts, new Set([0])).want].sort()).toEqual([1, 2]);
    expect([...planShards(facts, new Set([0, 1])).release]).toEqual([]);
  });

  test('shardOf is stable and spreads keys', () => {
    expect(shardOf('team-a/coder', 3)).toBe(shardOf('team-a/coder', 3));
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[shardOf(`ns-${i % 17}/agent-${i}`, 3)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
