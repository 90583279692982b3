import { createHash } from 'node:crypto';

const MAX_NAME = 63;
const HASH_LENGTH = 8;

/** A short, stable hash of the parts. */
export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * The name of a Task's Pod and context ConfigMap: the Task's name, cut so that the whole
 * stays within 63 characters (a DNS label, so it also works as the Pod's hostname), and a
 * hash of namespace/name, so that same-named Tasks of two namespaces sharing one Agent
 * never collide. Attempt 2 and later (retries) get names of their own.
 */
export function taskResourceName(namespace: string, name: string, attempt = 1): string {
  // The first attempt keeps the plain name; a retry's names carry its number (and hash it too).
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const hash = attempt > 1 ? shortHash(namespace, name, String(attempt)) : shortHash(namespace, name);
  const room = MAX_NAME - HASH_LENGTH - 1 - suffix.length;
  const base = name.slice(0, room).replace(/[^a-z0-9-]/g, '-').replace(/-+$/, '');
  return `${base || 'task'}${suffix}-${hash}`;
}
