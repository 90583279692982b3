/**
 * `kubeopencode controller` as a real process (the compiled CLI), for tests that kill it,
 * run two of it, or read its endpoints and logs.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../harness/wait.js';

const root = new URL('../..', import.meta.url).pathname;

export class ControllerProcess {
  /**
   * Starts the controller with `args` (add --kubeconfig etc.); logs are JSON at debug level.
   * `nodeFlags` go to Node itself (e.g. a heap ceiling).
   */
  public static start(args: string[], nodeFlags: string[] = []): ControllerProcess {
    const main = join(root, 'lib/src/cli/main.js');
    if (!existsSync(main)) throw new Error('lib/ is missing: run `npm run compile` first');
    const child = spawn(process.execPath, [...nodeFlags, join(root, 'bin/kubeopencode.js'), 'controller', '--log-format', 'json', '--log-level', 'debug', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    return new ControllerProcess(child);
  }

  /** Every log line, parsed (the process logs JSON). */
  public readonly lines: Record<string, unknown>[] = [];
  public readonly raw: string[] = [];
  public readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    let buffer = '';
    const collect = (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts.filter(Boolean)) {
        this.raw.push(line);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          // not a log line (e.g. a Node warning)
        }
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  public get pid(): number {
    return this.child.pid!;
  }

  public async waitForLog(message: string | RegExp, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const matches = (l: Record<string, unknown>) => typeof l.message === 'string' && (typeof message === 'string' ? l.message === message : message.test(l.message));
    return waitFor(() => this.lines.find(matches), { timeoutMs, intervalMs: 50, description: `log line "${message}"; last lines:\n${this.raw.slice(-10).join('\n')}` });
  }

  public kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  /** Stops it (SIGTERM, then SIGKILL after a while) and waits for the exit. */
  public async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
