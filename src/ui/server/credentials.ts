/**
 * Whose credentials a request carries. Both modes hand the rest of the server the same thing,
 * a KubeConfig for one user, so every route runs the same code:
 *  - kubeconfig: `kubeopencode ui` on a laptop; every request is the kubeconfig's user.
 *  - bearer: behind an authenticating proxy (oauth2-proxy --pass-authorization-header) that
 *    puts the signed-in user's token in `Authorization: Bearer`; the API server is the
 *    in-cluster one (or a kubeconfig's cluster, whose own user is ignored).
 * The token only ever lives in the KubeConfig it authenticates; sessions are keyed by its hash.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Cluster } from '@kubernetes/client-node';
import { KubeConfig } from '../../reconciler/runtime/client-node.js';

export interface Credentials {
  /** Stable for the same user credentials, never the token itself. */
  readonly id: string;
  readonly kc: KubeConfig;
  /** When the token expires (a JWT's `exp`): its session ends then, and the page reconnects with the proxy's fresh token. */
  readonly expiresAt?: number;
}

/** The `exp` of a JWT, in ms; undefined for a token that is not one (the API server checks it either way). */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload || token.split('.').length !== 3) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface CredentialSource {
  readonly mode: 'kubeconfig' | 'bearer';
  /** Namespaces to watch when cluster-wide listing is refused: the kubeconfig context's. */
  readonly contextNamespace?: string;
  /** The request's credentials; undefined when it has none (401). */
  credentialsFor(req: IncomingMessage): Credentials | undefined;
}

export class KubeconfigCredentials implements CredentialSource {
  public readonly mode = 'kubeconfig' as const;
  public readonly contextNamespace?: string;
  private readonly credentials: Credentials;

  constructor(kc: KubeConfig) {
    if (!kc.getCurrentCluster()) throw new Error('the kubeconfig has no current context with a cluster');
    this.credentials = { id: 'kubeconfig', kc };
    this.contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  }

  public credentialsFor(): Credentials {
    return this.credentials;
  }
}

const BEARER = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/;

export class BearerCredentials implements CredentialSource {
  public readonly mode = 'bearer' as const;

  /** @param cluster the API server to call: in-cluster (see `inClusterCluster`) or a kubeconfig's. */
  constructor(private readonly cluster: Cluster) {}

  public credentialsFor(req: IncomingMessage): Credentials | undefined {
    const m = BEARER.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const token = m[1];
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [this.cluster],
      users: [{ name: 'user', token }],
      contexts: [{ name: 'user', cluster: this.cluster.name, user: 'user' }],
      currentContext: 'user',
    });
    return { id: `bearer:${createHash('sha256').update(token).digest('hex')}`, kc, expiresAt: jwtExpiry(token) };
  }
}

/** The API server as a Pod sees it (KUBERNETES_SERVICE_HOST and the ServiceAccount's CA). */
export function inClusterCluster(): Cluster {
  const kc = new KubeConfig();
  kc.loadFromCluster();
  const cluster = kc.getCurrentCluster();
  if (!cluster || !process.env.KUBERNETES_SERVICE_HOST) throw new Error('not running in a cluster (KUBERNETES_SERVICE_HOST is not set): pass --kubeconfig to name the API server');
  return cluster;
}
