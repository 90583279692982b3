/**
 * Requests to the API server as one user: raw JSON over client-node's request machinery
 * (the user's kubeconfig or bearer token, one pooled connection per user). A refusal
 * becomes an ApiError holding the server's Status; no answer becomes a NetworkError.
 * Only the fixed paths the UI's routes build go through here: nothing proxies a path the
 * page names.
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { PooledConnection } from '../../reconciler/runtime/connection.js';

/** metav1.Status, as the API server words a refusal. */
export interface ApiStatus {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
  };
}

export class ApiError extends Error {
  constructor(public readonly code: number, public readonly status: ApiStatus | undefined, body: string) {
    super(status?.message ?? (body.trim().slice(0, 500) || `HTTP ${code}`));
    this.name = 'ApiError';
  }
}

export class NetworkError extends Error {
  constructor(server: string, public readonly cause: unknown) {
    super(`cannot reach the API server ${server}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'NetworkError';
  }
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

const REQUEST_TIMEOUT_MS = 30_000;
const http = new IsomorphicFetchHttpLibrary();

export class UserClient {
  private readonly connection: PooledConnection;
  public readonly server: string;

  constructor(public readonly kc: KubeConfig) {
    this.connection = new PooledConnection(kc);
    this.server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
  }

  public async request<T>(method: keyof typeof HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const response = await this.send(method, path, { ...options, signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout });
    const text = await response.body.text();
    if (response.httpStatusCode >= 300) throw apiError(response.httpStatusCode, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  public get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** A GET read as it arrives (a followed log); ends when `signal` aborts. */
  public async stream(path: string, query: RequestOptions['query'], signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send('GET', path, { query, signal });
    if (response.httpStatusCode >= 300) throw apiError(response.httpStatusCode, await response.body.text());
    // 204: nothing to read (the API server's answer for a Pod that has no node).
    return response.body.stream() ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  }

  public async close(): Promise<void> {
    await this.connection.close();
  }

  private async send(method: keyof typeof HttpMethod, path: string, options: RequestOptions) {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    ctx.setHeaderParam('Accept', 'application/json');
    if (options.body !== undefined) {
      ctx.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(options.body));
    }
    await this.connection.applySecurityAuthentication(ctx);
    if (options.signal) ctx.setSignal(options.signal);
    try {
      return await http.send(ctx).toPromise();
    } catch (e) {
      if (options.signal?.aborted) throw e;
      throw new NetworkError(this.server, e);
    }
  }
}

function apiError(code: number, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as ApiStatus;
    if (parsed && parsed.kind === 'Status') return new ApiError(code, parsed, text);
  } catch {
    // not JSON: a proxy's or the server's plain-text answer
  }
  return new ApiError(code, undefined, text);
}

const GROUP_VERSION = '/apis/kubeopencode.io/v1alpha1';

/** `/apis/kubeopencode.io/v1alpha1[/namespaces/NS]/PLURAL[/NAME]` */
export function crdPath(plural: string, namespace?: string, name?: string): string {
  return `${GROUP_VERSION}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** `/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]]` */
export function corePath(plural: string, namespace?: string, name?: string, sub?: string): string {
  return `/api/v1${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}${sub ? `/${sub}` : ''}`;
}

/** Whether the user may `verb` the resource (in `namespace`, or in all namespaces without one). */
export async function mayI(client: UserClient, attrs: { verb: string; group: string; resource: string; namespace?: string }): Promise<boolean> {
  const review = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } },
  });
  return review.status?.allowed === true;
}

/** Who the API server says the user is (SelfSubjectReview); undefined when it cannot tell. */
export async function whoAmI(client: UserClient): Promise<string | undefined> {
  try {
    const review = await client.request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo?.username;
  } catch (e) {
    if (e instanceof ApiError && e.code === 401) throw e;
    return undefined;
  }
}
