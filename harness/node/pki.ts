/**
 * The client certificate the e2e cluster's API server presents to the kubelet (logs, exec,
 * port-forward), and the CA the kubelet trusts for it: the kubelet's port then accepts the
 * API server and nobody else, as in a real cluster. Node has no API to issue certificates,
 * so Debian's openssl does it (install-packages.sh installs it where missing).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KubeletClientPki { caFile: string; certFile: string; keyFile: string }

/** A fresh CA and a client certificate for `kube-apiserver-kubelet-client` (group system:masters). */
export async function createKubeletClientPki(dir: string): Promise<KubeletClientPki> {
  mkdirSync(dir, { recursive: true });
  const pki = { caFile: join(dir, 'kubelet-client-ca.crt'), certFile: join(dir, 'kubelet-client.crt'), keyFile: join(dir, 'kubelet-client.key') };
  const caKey = join(dir, 'kubelet-client-ca.key');
  const csr = join(dir, 'kubelet-client.csr');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', caKey, '-out', pki.caFile, '-days', '30', '-subj', '/CN=kubeopencode-kubelet-client-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-keyout', pki.keyFile, '-out', csr, '-subj', '/O=system:masters/CN=kube-apiserver-kubelet-client']);
  const extensions = join(dir, 'client.ext');
  writeFileSync(extensions, 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', pki.caFile, '-CAkey', caKey, '-CAcreateserial', '-days', '30', '-out', pki.certFile, '-extfile', extensions]);
  return pki;
}
