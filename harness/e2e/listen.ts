/**
 * Where the tests' servers listen, and the address clients use: loopback for tests that run
 * the helpers as local processes; for Pods, every address (`0.0.0.0`) with the node's IP in
 * the URLs, because a Pod's 127.0.0.1 is its own.
 */
import type { Server } from 'node:net';

export interface ServedAt {
  /** The address to listen on. @default 127.0.0.1 */
  readonly listenHost?: string;
  /** The host in the URLs handed out. @default listenHost */
  readonly urlHost?: string;
}

/** For servers the e2e cluster's Pods use: all addresses, URLs with the node's IP. */
export const forPods = (nodeIP: string): ServedAt => ({ listenHost: '0.0.0.0', urlHost: nodeIP });

/** Listens on a free port; resolves with the origin clients use (`scheme://host:port`). */
export async function listen(server: Server, scheme: string, at: ServedAt = {}): Promise<string> {
  const host = at.listenHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return `${scheme}://${at.urlHost ?? host}:${port}`;
}

/** Closes the server and its open connections. */
export function stopServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
