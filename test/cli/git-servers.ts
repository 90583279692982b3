/**
 * Real Git servers on loopback for the git-init tests: `git daemon` (git://) here, and the
 * harness's smart HTTP(S) server and test repository (harness/e2e/), which the e2e tests
 * also serve to Pods.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './helpers.js';
import type { GitServer } from '../../harness/e2e/git-http.js';
import { gitEnv } from '../../harness/e2e/git-repo.js';

export { createFixtureRepo, git } from '../../harness/e2e/git-repo.js';
export type { Fixture } from '../../harness/e2e/git-repo.js';
export { startGitHttp } from '../../harness/e2e/git-http.js';
export type { GitServer, HttpGitOptions, HttpGitServer } from '../../harness/e2e/git-http.js';

function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        if (Date.now() - start > timeoutMs) reject(new Error(`nothing listens on port ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startGitDaemon(base: string): Promise<GitServer> {
  const port = await freePort();
  const daemon: ChildProcess = spawn('git', ['daemon', '--export-all', '--reuseaddr', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base], {
    env: gitEnv,
    stdio: 'ignore',
  });
  await waitForPort(port);
  return {
    url: (repo) => `git://127.0.0.1:${port}/${repo}`,
    stop: () => new Promise((resolve) => {
      daemon.once('exit', () => resolve());
      daemon.kill('SIGTERM');
    }),
  };
}
