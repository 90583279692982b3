/**
 * The errors of the CLI's requests, apart from the client so that commands can test for
 * them without loading @kubernetes/client-node (which takes most of a second to load).
 */

/** metav1.Status, as the API server words a refusal. */
export interface ApiStatus {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
  };
}

export class KubeApiError extends Error {
  constructor(public readonly code: number, public readonly status: ApiStatus | undefined, body: string) {
    super(status?.message ?? (body.trim() || `HTTP ${code}`));
    this.name = 'KubeApiError';
  }
}

/** The server did not answer: refused, unreachable, TLS failure, timeout. */
export class ConnectionError extends Error {
  constructor(public readonly server: string, public readonly cause: unknown) {
    super(`cannot reach ${server}`);
    this.name = 'ConnectionError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.code === 404;
