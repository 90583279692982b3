/**
 * A raw, paginated LIST of any resource path (core, CRD, cluster-scoped) through client-node's
 * own request machinery: the kubeconfig's authentication and its cached undici dispatcher, the
 * same path `Watch` takes. Objects come back as the API server sent them (no client-side
 * deserialisation into Date objects, unlike the typed APIs).
 */
import { httpStatusOf } from './api-errors.js';
import { ApiException, HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext } from './client-node.js';

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

const http = new IsomorphicFetchHttpLibrary();

/** GETs one page of `path` (e.g. `/apis/kubeopencode.io/v1alpha1/tasks`). Throws ApiException on non-2xx. */
export async function listPage<T>(kc: KubeConfig, path: string, options: ListOptions = {}): Promise<ListPage<T>> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  if (options.labelSelector) url.searchParams.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) url.searchParams.set('fieldSelector', options.fieldSelector);
  if (options.limit) url.searchParams.set('limit', String(options.limit));
  if (options.continueToken) url.searchParams.set('continue', options.continueToken);

  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  ctx.setHeaderParam('Accept', 'application/json');
  await kc.applySecurityAuthentication(ctx);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  ctx.setSignal(options.signal ? AbortSignal.any([options.signal, timeout]) : timeout);

  const response = await http.send(ctx).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
    throw new ApiException<string>(
      response.httpStatusCode,
      `LIST ${path}: HTTP ${response.httpStatusCode}: ${statusMessage(text)}`,
      text,
      response.headers,
    );
  }
  const list = JSON.parse(text) as { items?: T[]; metadata?: { resourceVersion?: string; continue?: string } };
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
  kc: KubeConfig,
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
      page = await listPage<T>(kc, path, { ...options, limit, continueToken: cont });
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

function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: string; reason?: string };
    return status.message ?? status.reason ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
