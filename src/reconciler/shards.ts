/**
 * Which shard a work-queue key belongs to. Everything about one Agent lands in one shard (its
 * Tasks, from every namespace, and the Agent itself), so that one process admits an Agent's
 * Tasks and its FIFO queue and limit hold as they do with one replica.
 */
import { Caches } from './context.js';
import { agentKeyOf } from './objects.js';
import { shardOf } from './runtime/shard-policy.js';

/** `kind:ns/name` -> shard: Tasks follow their Agent; CronTasks and namespaces hash by themselves. */
export function shardOfKey(caches: Caches, key: string, shards: number): number {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  const target = key.slice(colon + 1);
  if (kind === 'task') {
    const task = caches.tasks.get(target);
    // A Task gone from the cache has nothing left to reconcile: any shard may look.
    if (!task) return shardOf(target, shards);
    const agent = agentKeyOf(task);
    return shardOf(`${agent.namespace}/${agent.name}`, shards);
  }
  return shardOf(target, shards);
}
