/**
 * `kubeopencode ui` as the real process a person runs (the compiled CLI on Node 24, with the
 * bench's kubeconfig), its URL read from its first line of output, its RSS from /proc.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeBinary, repoRoot } from './reconciler.js';

const START_TIMEOUT_MS = 60_000;

export class UiProcess {
  /** Starts the UI on a free port of 127.0.0.1 and resolves once it prints its URL. */
  public static async start(kubeconfigPath: string, cli = join(repoRoot, 'bin/kubeopencode.js')): Promise<UiProcess> {
    if (!existsSync(join(cli, '../../lib/ui/app.js'))) throw new Error(`no lib/ui beside ${cli}: build the bundle first (npx tsx scripts/ui-bundle.ts)`);
    const child = spawn(nodeBinary(), [cli, 'ui', '--kubeconfig', kubeconfigPath, '--port', '0', '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    const url = await firstUrl(child);
    return new UiProcess(child, url);
  }

  private constructor(private readonly child: ChildProcess, public readonly url: string) {}

  /** Resident set size in MiB (VmRSS). */
  public rssMiB(): number {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
    return Number(kb) / 1024;
  }

  public async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** The first `http://` line the process prints; rejects with its output if it exits or stalls first. */
function firstUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (why: string) => {
      child.kill('SIGKILL');
      reject(new Error(`kubeopencode ui ${why}:\n${output}`));
    };
    const timer = setTimeout(() => fail(`printed no URL in ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /^(http:\/\/\S+)$/m.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve(url);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubeopencode ui exited (code ${code}) before printing its URL:\n${output}`));
    });
  });
}
