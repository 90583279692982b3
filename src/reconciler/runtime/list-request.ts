/**
 * A paginated LIST of any resource path (core, CRD, cluster-scoped) through a RestClient:
 * objects come back as the API server sent them, pages handed over as they arrive.
 */
import { httpStatusOf } from './api-errors.js';
import { RestClient } from './rest-client.js';

export interface ListPage<T> {
  readonly items: T[];
  readonly resourceVersion: string;
  /** Token for the next page; undefined on the last page. */
  readonly continueToken?: string;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Page size; undefined or 0: everything at once. */
  readonly limit?: number;
  readonly continueToken?: string;
  readonly signal?: AbortSignal;
  /** @default 60000 */
  readonly timeoutMs?: number;
}

/** GETs one page of `path` (e.g. `/apis/kubeopencode.io/v1alpha1/tasks`). Throws the RestClient's ApiError or NetworkError. */
export async function listPage<T>(rest: RestClient, path: string, options: ListOptions = {}): Promise<ListPage<T>> {
  const { labelSelector, fieldSelector, continueToken } = options;
  const query = { labelSelector, fieldSelector, limit: options.limit || undefined, continue: continueToken };
  const list = await rest.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('GET', path,
    { query, signal: options.signal, timeoutMs: options.timeoutMs ?? 60_000 });
  return {
    items: list.items ?? [],
    resourceVersion: list.metadata?.resourceVersion ?? '',
    continueToken: list.metadata?.continue || undefined,
  };
}

export interface ListAllResult {
  /** The snapshot's resourceVersion: where a watch continues. */
  readonly resourceVersion: string;
  /** LIST requests made. */
  readonly pages: number;
}

/**
 * LISTs every page of `path`, handing each object to `onItem` as pages arrive (so 10,000
 * objects never sit in memory twice). A continue token that expired (410, after etcd
 * compaction) restarts the LIST without pagination, as client-go's pager does; `onRestart`
 * lets the caller forget what it collected.
 */
export async function listAll<T>(
  rest: RestClient,
  path: string,
  options: Omit<ListOptions, 'continueToken'>,
  onItem: (obj: T) => void,
  onRestart: () => void = () => undefined,
): Promise<ListAllResult> {
  let limit = options.limit;
  let cont: string | undefined;
  let pages = 0;
  for (;;) {
    let page: ListPage<T>;
    try {
      page = await listPage<T>(rest, path, { ...options, limit, continueToken: cont });
    } catch (err) {
      if (cont === undefined || httpStatusOf(err) !== 410) throw err;
      [cont, limit] = [undefined, 0];
      onRestart();
      continue;
    }
    pages++;
    options.signal?.throwIfAborted();
    for (const obj of page.items) onItem(obj);
    cont = page.continueToken;
    if (!cont) return { resourceVersion: page.resourceVersion, pages };
  }
}
