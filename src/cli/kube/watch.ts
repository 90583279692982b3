/**
 * Following one object through its changes: GET it, then WATCH from its resourceVersion;
 * when the watch ends (the server closes watches after a while, or the connection drops),
 * GET again and carry on. Each new version is yielded; the caller stops by breaking out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeObject } from './output.js';
import { ApiError, NetworkError } from '../../reconciler/runtime/api-errors.js';
import type { RestClient } from '../../reconciler/runtime/rest-client.js';

interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject;
}

/** The events of a WATCH request, one JSON document per line. */
async function* watchEvents(client: RestClient, path: string, query: Record<string, string>, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const stream = await client.stream(path, { ...query, watch: 'true', allowWatchBookmarks: 'true' }, signal);
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line) as WatchEvent;
    }
  }
}

export class DeletedError extends Error {}

/**
 * Every version of the object at `collection`/`name` from now on. Throws DeletedError when
 * it is deleted, and the API error when it cannot be read (not found, forbidden).
 */
export async function* follow(client: RestClient, collection: string, name: string, signal: AbortSignal): AsyncGenerator<KubeObject> {
  for (;;) {
    const current = await client.get<KubeObject>(`${collection}/${encodeURIComponent(name)}`);
    yield current;
    try {
      const events = watchEvents(client, collection, { fieldSelector: `metadata.name=${name}`, resourceVersion: current.metadata.resourceVersion }, signal);
      for await (const event of events) {
        if (event.type === 'DELETED') throw new DeletedError(`${current.kind ?? 'object'} "${name}" was deleted`);
        if (event.type === 'ERROR') break; // e.g. 410 Gone: the version is too old; read it afresh
        if (event.type === 'ADDED' || event.type === 'MODIFIED') yield event.object;
      }
    } catch (e) {
      if (signal.aborted || !(e instanceof NetworkError || e instanceof TypeError || (e instanceof ApiError && e.code >= 500))) throw e;
      // A dropped connection: read the object again in a moment.
      await sleep(1000, undefined, { signal });
    }
  }
}
