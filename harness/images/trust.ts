/**
 * npm inside the build trusts what Node on the host trusts. Where the host reaches the npm
 * registry through a TLS-intercepting proxy (these machines do), Node is told of the
 * proxy's CA by NODE_EXTRA_CA_CERTS, and `npm ci` in a RUN step would otherwise fail with
 * SELF_SIGNED_CERT_IN_CHAIN. A Dockerfile change would be wrong (users do not need it), and
 * buildah passes no environment into RUN steps, so the build bind-mounts, read-only and for
 * RUN steps only, a folder over /usr/local/etc (empty in Debian) holding npm's global npmrc
 * (`cafile`) and a bundle of Node's own root CAs plus the extra ones. Nothing of it lands in
 * an image layer. Without NODE_EXTRA_CA_CERTS on the host: no mount.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { cachePath } from './paths.js';

const MOUNT_POINT = '/usr/local/etc';

/** The `buildah bud` arguments that give RUN steps the host's trust for npm (maybe none). */
export function npmTrustArgs(): string[] {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (!extra || !existsSync(extra)) return [];
  const dir = cachePath('npm-trust');
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/ca.crt`, `${rootCertificates.join('\n')}\n${readFileSync(extra, 'utf8')}`);
  writeFileSync(`${dir}/npmrc`, `cafile=${MOUNT_POINT}/ca.crt\n`);
  return ['--volume', `${dir}:${MOUNT_POINT}:ro`];
}
