/** Loopback networking for the control plane: free ports and health-check GETs. */
import { readFileSync } from 'node:fs';
import { get as plainGet } from 'node:http';
import { get as tlsGet } from 'node:https';
import { AddressInfo, createServer } from 'node:net';

/** Asks the kernel for `count` distinct free loopback ports (all held open until every one is known). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface RequestAuth { token?: string; caFile?: string; insecure?: boolean }

/** A GET with a short timeout; http or https by URL. */
export function httpGet(url: string, auth: RequestAuth = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = {
      timeout: 2_000,
      headers: auth.token ? { Authorization: `Bearer ${auth.token}` } : {},
      ca: auth.caFile ? readFileSync(auth.caFile) : undefined,
      rejectUnauthorized: !auth.insecure,
    };
    const req = (url.startsWith('https:') ? tlsGet : plainGet)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}
