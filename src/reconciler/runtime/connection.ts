/**
 * One reusable HTTP connection pool per long-lived client (an informer, the leader elector).
 *
 * client-node 2.0.1's `KubeConfig.applySecurityAuthentication` builds a new undici Agent for
 * every request, so every LIST, WATCH and Lease renewal opens a fresh TLS connection (and an
 * HTTP/2 session) that lingers until its idle timeout. `PooledConnection` keeps the kubeconfig's
 * authentication (headers, tokens refreshed per request as before) but hands every request the
 * same Agent, rebuilt every `maxAgeMs` so rotated client certificates or CA files are picked up,
 * and closed by `close()` so that nothing of it outlives its owner.
 */
import type { ApiType, SecurityAuthentication } from '@kubernetes/client-node';
import { createConfiguration, KubeConfig, RequestContext, ServerConfiguration } from './client-node.js';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
type ApiConstructor<T extends ApiType> = new (config: ReturnType<typeof createConfiguration>) => T;

const views = new WeakMap<KubeConfig, KubeConfig>();

export class PooledConnection implements SecurityAuthentication {
  /** A KubeConfig whose requests use the pool: for client-node's `Watch` and `makeApiClient`. */
  public readonly kubeConfig: KubeConfig;
  private readonly kc: KubeConfig;
  private dispatcher: Dispatcher | undefined;
  private createdAt = 0;
  private closed = false;

  /**
   * @param maxAgeMs how long one Agent is reused before a fresh one replaces it
   * @param requestTimeoutMs a limit for each request made through `makeApiClient` that sets
   *   no signal of its own, so a request on a dead connection fails instead of holding its
   *   caller forever (undici's own limit is 5 minutes). Watches set their own.
   */
  constructor(kc: KubeConfig, private readonly maxAgeMs = 10 * 60_000, private readonly requestTimeoutMs?: number) {
    // A pool's own view given to another pool: pool the original, never share a dispatcher.
    this.kc = views.get(kc) ?? kc;
    // Everything but authentication and makeApiClient is the original, bound to it.
    this.kubeConfig = new Proxy(this.kc, {
      get: (target, prop) => {
        if (prop === 'applySecurityAuthentication') return (ctx: RequestContext) => this.applySecurityAuthentication(ctx);
        if (prop === 'makeApiClient') return <T extends ApiType>(api: ApiConstructor<T>) => this.makeApiClient(api);
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    views.set(this.kubeConfig, this.kc);
  }

  public getName(): string {
    return 'pooled kubeconfig authentication';
  }

  public async applySecurityAuthentication(ctx: RequestContext): Promise<void> {
    await this.kc.applySecurityAuthentication(ctx);
    if (this.requestTimeoutMs && !ctx.getSignal()) ctx.setSignal(AbortSignal.timeout(this.requestTimeoutMs));
    const fresh = ctx.getDispatcher();
    // No dispatcher (plain http without TLS options): undici's global one is shared anyway.
    if (!fresh || this.closed) return;
    const now = Date.now();
    if (!this.dispatcher || now - this.createdAt > this.maxAgeMs) {
      // The old Agent finishes its requests in flight (e.g. a watch), then closes.
      this.dispatcher?.close().catch(() => undefined);
      this.dispatcher = fresh; // a fresh Agent has no sockets yet; unused ones cost nothing
      this.createdAt = now;
    }
    ctx.setDispatcher(this.dispatcher);
  }

  /** A typed API client (like `kc.makeApiClient`) whose requests use the pool. */
  public makeApiClient<T extends ApiType>(api: ApiConstructor<T>): T {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return new api(createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: this } }));
  }

  /**
   * Drops the pooled connections after a network failure or timeout (a half-open connection
   * would fail every later request too); the next request connects afresh.
   */
  public reset(): void {
    const d = this.dispatcher;
    this.dispatcher = undefined;
    d?.destroy().catch(() => undefined);
  }

  /** Closes the pool's connections; requests still in flight are aborted. */
  public async close(): Promise<void> {
    this.closed = true;
    const d = this.dispatcher;
    this.dispatcher = undefined;
    await d?.destroy().catch(() => undefined);
  }
}
