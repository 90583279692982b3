/**
 * The servers a test file's Task Pods fetch their contexts from, on the host, reachable from
 * Pods at the node's address: the test repository over HTTPS (a private CA, basic auth with
 * a token as the password, as GitHub takes tokens) and over SSH (a key), and a URL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpGitServer, startGitHttp } from './git-http.js';
import { createFixtureRepo, Fixture } from './git-repo.js';
import { forPods } from './listen.js';
import { createServerCertificate } from './pki.js';
import { SshGitServer, startGitSshd } from './sshd.js';
import { Document, startUrlServer, UrlServer } from './url-server.js';

export interface PodServers {
  readonly repo: Fixture;
  /** The CA that signed the HTTPS server's certificate (PEM). */
  readonly ca: string;
  /** The login the HTTPS Git server demands: a user name and a token. */
  readonly gitLogin: { readonly username: string; readonly password: string };
  readonly gitHttps: HttpGitServer;
  readonly gitSsh: SshGitServer;
  readonly urls: UrlServer;
  stop(): Promise<void>;
}

export async function startPodServers(nodeIP: string, documents: Readonly<Record<string, Document>>): Promise<PodServers> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeopencode-e2e-servers-'));
  const repo = createFixtureRepo(dir);
  const cert = await createServerCertificate(join(dir, 'pki'), [nodeIP]);
  const gitLogin = { username: 'x-access-token', password: `ghp_e2e${Date.now().toString(36)}` };
  const started = await Promise.allSettled([
    startGitHttp(repo.base, { ...forPods(nodeIP), tls: cert, auth: gitLogin }),
    startGitSshd(repo.base, nodeIP),
    startUrlServer(documents, forPods(nodeIP)),
  ]);
  const stopAll = async () => {
    await Promise.all(started.map((s) => s.status === 'fulfilled' && s.value.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const [gitHttps, gitSsh, urls] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [HttpGitServer, SshGitServer, UrlServer];
  return { repo, ca: cert.ca, gitLogin, gitHttps, gitSsh, urls, stop: stopAll };
}
