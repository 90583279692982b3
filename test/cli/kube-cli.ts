/**
 * Running the people-facing commands (run, get, describe, ...) as real processes against
 * the test control plane: with stdin, as another user (a ServiceAccount token), and
 * watching a running command's output for a line before the test moves the world on.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, V1Pod } from '@kubernetes/client-node';
import { CliResult, cliLauncher, freePort, makeTempDir, root } from './helpers.js';
import { kubeconfigPath, tokenKubeConfig } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';
import { kubeTime } from '../../src/reconciler/runtime/time.js';

export interface RunOptions {
  readonly stdin?: string;
  /** @default the admin kubeconfig of the test control plane */
  readonly kubeconfig?: string;
}

/** A running `kubeopencode ARGS`, its output so far, and its end. */
export class CliProcess {
  public stdout = '';
  public stderr = '';
  public readonly done: Promise<CliResult>;
  private readonly child: ChildProcess;

  constructor(args: readonly string[], options: RunOptions = {}) {
    this.child = spawn(process.execPath, [...cliLauncher(), ...args, '--kubeconfig', options.kubeconfig ?? kubeconfigPath()], {
      cwd: root,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    this.child.stdin?.end(options.stdin);
    this.child.stdout!.on('data', (d: Buffer) => { this.stdout += d.toString(); });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves once stderr has a line matching `pattern`. */
  public async stderrMatches(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    await waitFor(() => pattern.test(this.stderr), { timeoutMs, intervalMs: 100, description: `stderr to match ${pattern} (stderr so far: ${JSON.stringify(this.stderr)})` });
  }

  public kill(): void {
    this.child.kill();
  }
}

/** Runs `kubeopencode ARGS --kubeconfig ...` to its end. */
export function kubeopencode(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new CliProcess(args, options).done;
}

/** The non-empty lines of a text. */
export const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

/** A kubeconfig file for a ServiceAccount (a TokenRequest token), its namespace as the context's. */
export async function userKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  const kc: KubeConfig = await tokenKubeConfig(namespace, serviceAccount);
  const file = join(makeTempDir('kubeconfig'), 'config');
  writeFileSync(file, kc.exportConfig());
  return file;
}

/** A kubeconfig whose server refuses connections (a port that was free a moment ago). */
export async function unreachableKubeconfig(): Promise<string> {
  const file = join(makeTempDir('kubeconfig'), 'config');
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: c',
    `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${await freePort()}"}}]`,
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: c, context: {cluster: c, user: u}}]',
  ].join('\n'));
  return file;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Gives a Pod a node that does not exist, so that its log endpoint fails (the API server
 * cannot find the node's kubelet), then reports its containers running, as a kubelet would.
 */
export async function runOnGhostNode(core: CoreV1Api, pod: V1Pod): Promise<void> {
  const { namespace, name } = { namespace: pod.metadata!.namespace!, name: pod.metadata!.name! };
  await core.createNamespacedPodBinding({ namespace, name, body: { metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: 'ghost-node' } } });
  const t = kubeTime() as never;
  const running = (c: { name: string; image?: string }) => ({ name: c.name, image: c.image!, imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: t } } });
  const done = (c: { name: string; image?: string }) => ({ name: c.name, image: c.image!, imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t } } });
  await core.patchNamespacedPodStatus({
    namespace,
    name,
    body: {
      status: {
        phase: 'Running',
        startTime: t,
        initContainerStatuses: (pod.spec!.initContainers ?? []).map((c) => (c.restartPolicy === 'Always' ? running(c) : done(c))),
        containerStatuses: pod.spec!.containers.map(running),
      },
    },
  }, mergePatch);
}
