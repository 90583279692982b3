/**
 * The CLI's requests to the API server: raw JSON over client-node's own request machinery
 * (the kubeconfig's authentication, one pooled connection for the whole command). Objects
 * come back exactly as the server sent them, so `-o yaml` shows the timestamps as strings,
 * like kubectl. A refusal becomes a KubeApiError holding the server's Status; no answer at
 * all becomes a ConnectionError (api-error.ts).
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { ApiStatus, ConnectionError, KubeApiError } from './api-error.js';
import { PooledConnection } from '../../reconciler/runtime/connection.js';

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** @default application/json (a merge patch needs application/merge-patch+json) */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** Plain requests give up after this long; streams (logs, watches) run until their caller stops them. */
const REQUEST_TIMEOUT_MS = 30_000;
const FIELD_MANAGER = 'kubeopencode-cli';
const http = new IsomorphicFetchHttpLibrary();

export class KubeClient {
  private readonly connection: PooledConnection;
  public readonly server: string;

  constructor(public readonly kc: KubeConfig) {
    this.connection = new PooledConnection(kc);
    this.server = kc.getCurrentCluster()!.server;
  }

  /** A request whose answer is JSON (or nothing). */
  public async request<T>(method: keyof typeof HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const response = await this.send(method, path, { ...options, signal });
    const text = await response.body.text();
    if (response.httpStatusCode >= 300) throw apiError(response.httpStatusCode, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  public get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** A GET whose answer is read as it arrives: logs with follow, watches. */
  public async stream(path: string, query: RequestOptions['query'], signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send('GET', path, { query, signal });
    if (response.httpStatusCode >= 300) throw apiError(response.httpStatusCode, await response.body.text());
    // No body at all (e.g. the log of a Pod no node runs): an empty stream.
    return response.body.stream() ?? new ReadableStream({ start: (c) => c.close() });
  }

  public async close(): Promise<void> {
    await this.connection.close();
  }

  private async send(method: keyof typeof HttpMethod, path: string, options: RequestOptions) {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    // The field manager the server records for what we write (kubectl's are kubectl-create, kubectl-annotate, ...).
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') url.searchParams.set('fieldManager', FIELD_MANAGER);
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
      if (options.signal?.aborted && (e as Error).name === 'AbortError') throw e;
      throw new ConnectionError(this.server, e);
    }
  }
}

function apiError(code: number, text: string): KubeApiError {
  try {
    const parsed = JSON.parse(text) as ApiStatus;
    if (parsed && parsed.kind === 'Status') return new KubeApiError(code, parsed, text);
  } catch {
    // not JSON: a proxy's or the server's plain-text answer
  }
  return new KubeApiError(code, undefined, text);
}
