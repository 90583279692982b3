/**
 * `kubeopencode controller` as the real process it is in a cluster (the CLI bundled as the
 * image runs it, on Node 24), with what the bench reads from outside: its RSS and CPU time from /proc, and
 * optionally a V8 CPU profile written when it exits.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { now } from './stats.js';

export const repoRoot = new URL('../..', import.meta.url).pathname;
const LOG_TAIL = 50;

export interface ReconcilerOptions {
  readonly kubeconfigPath: string;
  readonly namespaces: readonly string[];
  readonly workers: number;
  /** Write a .cpuprofile here on exit (node --cpu-prof). */
  readonly cpuProfileDir?: string;
  /** The CLI to run. @default this checkout's lib/bundle/kubeopencode.mjs, the bundle the image runs */
  readonly cli?: string;
  /** The controller's NODE_OPTIONS, as the chart sets them. @default "" (Node's defaults) */
  readonly nodeOptions?: string;
  /** Sharded mode: this many shards, their Leases in `leaseNamespace` under `leaseId`. @default - one process, no leader election */
  readonly sharded?: { readonly shards: number; readonly leaseNamespace: string; readonly leaseId: string };
  /** How long to wait for "caches synced" before giving up (a cache of 100,000 Tasks takes a while). @default 120000 */
  readonly syncTimeoutMs?: number;
}

/** What a controller left alone for a while uses: its RSS (MiB) once settled, the most over the window, and its CPU. */
export interface IdleUsage {
  readonly rss: number;
  readonly maxRss: number;
  readonly cpuPercent: number;
}

/** node_modules/.bin/node (Node 24, the project's runtime), else the Node running the bench. */
export function nodeBinary(): string {
  const local = join(repoRoot, 'node_modules/.bin/node');
  return existsSync(local) ? local : process.execPath;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time a process has consumed so far, in milliseconds (from /proc/<pid>/stat). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // After the command: state is field 3 of stat, so utime (14) and stime (15) are at 11 and 12 here.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

function electionArgs(options: ReconcilerOptions): string[] {
  const s = options.sharded;
  return s ? ['--shards', String(s.shards), '--leader-election-namespace', s.leaseNamespace, '--leader-election-id', s.leaseId] : ['--no-leader-elect'];
}

/** The controller process ended while the bench waited on it (e.g. V8 ran out of heap and aborted). */
export class ControllerExitedError extends Error {
  public constructor(public readonly code: number | null, public readonly signal: string | null, public readonly tail: readonly string[]) {
    super(`the controller exited (${signal ? `signal ${signal}` : `code ${code}`}):\n${tail.join('\n')}`);
  }

  /** The line of its output that says why, e.g. V8's "FATAL ERROR: ... JavaScript heap out of memory". */
  public get reason(): string {
    return this.tail.find((l) => /FATAL ERROR|out of memory/i.test(l)) ?? this.tail.at(-1) ?? 'no output';
  }
}

export class Reconciler {
  public static async start(options: ReconcilerOptions): Promise<Reconciler> {
    const cli = options.cli ?? join(repoRoot, 'lib/bundle/kubeopencode.mjs');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: compile first (npm run compile)`);
    const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    if (options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });
    const spawnedAt = now();
    const child = spawn(nodeBinary(), [...nodeArgs, cli, 'controller',
      '--kubeconfig', options.kubeconfigPath, ...electionArgs(options), '--watch-namespaces', options.namespaces.join(','),
      '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--workers', String(options.workers),
      '--log-format', 'json', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: options.nodeOptions ?? '' } });
    const reconciler = new Reconciler(child, options, spawnedAt);
    await reconciler.waitForSync(options.syncTimeoutMs);
    return reconciler;
  }

  /** Log lines at level error (reconcile failures) and warn, counted, not parsed: the bench must stay light. */
  public errors = 0;
  public warnings = 0;
  /** The first few of them, to say what went wrong. */
  public readonly problems: string[] = [];
  public readonly tail: string[] = [];
  /** When this process saw the controller's first log line, and its "caches synced" line (ms since the epoch). */
  public firstLineAt?: number;
  public syncedAt?: number;
  private readonly exited: Promise<void>;

  /** `spawnedAt`: just before the process was spawned, on the clock of `now()`. */
  private constructor(private readonly child: ChildProcess, private readonly options: ReconcilerOptions, public readonly spawnedAt: number) {
    let buffer = '';
    const collect = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        this.firstLineAt ??= now();
        if (this.syncedAt === undefined && line.includes('"caches synced"')) this.syncedAt = now();
        const error = line.includes('"level":"error"');
        const warning = line.includes('"level":"warn"');
        this.errors += Number(error);
        this.warnings += Number(warning);
        if ((error || warning) && this.problems.length < 5) this.problems.push(line.slice(0, 500));
        this.tail.push(line);
        if (this.tail.length > LOG_TAIL) this.tail.shift();
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  public get pid(): number {
    return this.child.pid!;
  }

  /** Throws ControllerExitedError once the process is gone (by exit code, or by a signal such as V8's abort). */
  private throwIfExited(): void {
    const { exitCode, signalCode } = this.child;
    if (exitCode !== null || signalCode !== null) throw new ControllerExitedError(exitCode, signalCode, this.tail);
  }

  private async waitForSync(timeoutMs = 120_000): Promise<void> {
    while (this.syncedAt === undefined) {
      this.throwIfExited();
      if (now() - this.spawnedAt > timeoutMs) throw new Error(`the controller did not sync in ${timeoutMs / 1000} s:\n${this.tail.join('\n')}`);
      await sleep(20);
    }
  }

  /** Resident set size in MiB (VmRSS). */
  public rssMiB(): number {
    this.throwIfExited(); // rather than ENOENT from /proc: say why
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
    return Number(kb) / 1024;
  }

  /** User + system CPU time consumed so far, in milliseconds. */
  public cpuMs(): number {
    this.throwIfExited();
    return processCpuMs(this.pid);
  }

  /**
   * Once the process has worked through what it was given: its RSS then, the most it reaches
   * over the next `idleSeconds` (V8 may still grow or give back memory), and its CPU meanwhile.
   */
  public async idleUsage(idleSeconds: number, settleTimeoutMs?: number): Promise<IdleUsage> {
    await this.settle(undefined, undefined, settleTimeoutMs);
    const rss = this.rssMiB();
    let maxRss = rss;
    const cpuBefore = this.cpuMs();
    const started = Date.now();
    while (Date.now() - started < idleSeconds * 1000) {
      await sleep(500);
      maxRss = Math.max(maxRss, this.rssMiB());
    }
    const cpuPercent = ((this.cpuMs() - cpuBefore) / (Date.now() - started)) * 100;
    return { rss, maxRss, cpuPercent };
  }

  /**
   * Waits until the process used less than `quietPercent` of a core over `windowMs`,
   * i.e. it has worked through what it was given. (Not much lower: an idle controller under
   * --cpu-prof uses a few percent on the profiler alone.)
   */
  public async settle(windowMs = 1000, quietPercent = 10, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const before = this.cpuMs();
      await sleep(windowMs);
      if ((this.cpuMs() - before) / windowMs * 100 < quietPercent) return;
      if (Date.now() > deadline) throw new Error(`the controller did not settle in ${timeoutMs / 1000} s`);
    }
  }

  /**
   * SIGTERM (the controller stops gracefully, so --cpu-prof gets written), SIGKILL after a
   * while. Returns the CPU profile's path when one was asked for.
   */
  public async stop(): Promise<string | undefined> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await this.exited;
      clearTimeout(timer);
    }
    const dir = this.options.cpuProfileDir;
    if (!dir) return undefined;
    const mine = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${this.pid}.`));
    const newest = mine.map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    return newest;
  }
}
