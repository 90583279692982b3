/**
 * A private CA and a server certificate signed by it, for the tests' HTTPS servers: what a
 * company's Git server looks like to a Pod (a certificate no public CA vouches for). Made
 * with Debian's openssl, as harness/node/pki.ts does for the kubelet.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerCertificate {
  /** The CA's certificate (PEM): what a client must trust. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A fresh CA, and a certificate for `ips` and `localhost` signed by it (ECDSA P-256, 30 days). */
export async function createServerCertificate(dir: string, ips: readonly string[]): Promise<ServerCertificate> {
  mkdirSync(dir, { recursive: true });
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '30',
    '-subj', '/CN=kubeopencode-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=kubeopencode-test-server']);
  const names = ['DNS:localhost', ...[...new Set(['127.0.0.1', ...ips])].map((ip) => `IP:${ip}`)];
  writeFileSync(file('server.ext'), `subjectAltName=${names.join(',')}\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  await run('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-days', '30', '-out', file('server.crt'), '-extfile', file('server.ext')]);
  const read = (name: string) => readFileSync(file(name), 'utf8');
  return { ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key') };
}
