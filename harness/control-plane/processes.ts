/**
 * Process plumbing for the control plane: spawning components into their own process
 * groups with their output in log files, stopping them politely then forcefully, and
 * making sure they cannot outlive the Node process that started them by accident.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One running control-plane binary. Its PID is also its process group id (detached spawn). */
export interface Component {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Set once the process has ended (or failed to spawn), while this Node process watches it. */
  ended?: string;
}

/**
 * Starts `binary` as the leader of a new process group, so that a Ctrl-C meant for the test
 * run does not hit it halfway and so that stopping the group also stops anything it forked.
 * stdout and stderr go to `logFile`; no pipe ties the child's lifetime to ours.
 */
export function spawnComponent(name: string, binary: string, args: string[], logFile: string): Component {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const component: Component = { name, pid: child.pid ?? 0, logFile };
  // Listen before anything can throw: an 'error' event without a listener would crash the process.
  child.once('error', (e) => { component.ended = `failed: ${e.message}`; });
  child.once('exit', (code, signal) => { component.ended = signal ? `killed by ${signal}` : `exited with code ${code}`; });
  child.unref();
  if (!component.pid) throw new Error(`${name}: could not start ${binary} (missing or not executable?)`);
  return component;
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log written)';
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/**
 * Whether a process exists and is not a zombie. Processes from an earlier `cluster up` are
 * not our children, and a container init may never reap them, so `kill(pid, 0)` alone
 * would report dead processes as alive.
 */
export function isRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    if (!existsSync(stat)) return false;
    try {
      const state = readFileSync(stat, 'utf8').replace(/^.*\) /s, '').charAt(0);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is still the program we started (guards against PID reuse after a reboot). */
export function runsBinary(pid: number, binary: string): boolean {
  if (!isRunning(pid)) return false;
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return basename(argv0) === basename(binary);
  } catch {
    return true; // no /proc: trust the recorded PID
  }
}

/** Sends a signal to a whole process group, ignoring groups that are already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal); // not a group leader after all
    } catch { /* already gone */ }
  }
}


/** SIGTERM, then SIGKILL if the group leader is still there after `graceMs`. */
export async function stopGroup(pid: number, graceMs: number): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await sleep(50);
  if (!isRunning(pid)) return;
  signalGroup(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000; // a process stuck in the kernel is not worth hanging for
  while (isRunning(pid) && Date.now() < killDeadline) await sleep(20);
}

/**
 * A shell loop that outlives us: once our PID is gone (even after SIGKILL, when no Node
 * handler can run) it stops every process group listed in `<dataDir>/pids` and removes
 * the data dir. Stopped on purpose by `release()`. (POSIX sh: dash's kill takes no `--`.)
 */
const WATCHDOG_SCRIPT = `
parent=$1; dir=$2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
groups() { [ -f "$dir/pids" ] && cat "$dir/pids"; }
for p in $(groups); do kill -TERM "-$p" 2>/dev/null; done
for i in 1 2 3 4 5 6; do
  alive=; for p in $(groups); do kill -0 "$p" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break; sleep 0.5
done
for p in $(groups); do kill -KILL "-$p" 2>/dev/null; done
rm -rf "$dir"
`;

/**
 * Ties the control plane's lifetime to this Node process: normal exit, SIGINT/SIGTERM/SIGHUP
 * and (through the watchdog) SIGKILL of this process all stop the components and remove
 * the data dir. `release()` undoes it, either before a normal stop or to let the control
 * plane keep running on purpose (`cluster up`).
 */
export class LifetimeGuard {
  private readonly pids: number[] = [];
  private readonly watchdog: ChildProcess;
  private readonly onExit: () => void;
  private readonly onSignal: (signal: NodeJS.Signals) => void;

  constructor(private readonly dataDir: string) {
    this.watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'kubeopencode-watchdog', String(process.pid), dataDir], {
      detached: true,
      stdio: 'ignore',
    });
    this.watchdog.unref();
    this.onExit = () => this.killNow();
    this.onSignal = (signal) => {
      this.killNow();
      this.release();
      // Re-raise so the process still dies of the signal, unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on('exit', this.onExit);
    for (const signal of GUARDED_SIGNALS) process.on(signal, this.onSignal);
  }

  /** Records a component's process group, in memory and for the watchdog. */
  track(pid: number): void {
    this.pids.push(pid);
    appendFileSync(`${this.dataDir}/pids`, `${pid}\n`);
  }

  /** Synchronous last resort: nothing asynchronous runs in an 'exit' handler. */
  killNow(): void {
    for (const pid of [...this.pids].reverse()) signalGroup(pid, 'SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  release(): void {
    process.off('exit', this.onExit);
    for (const signal of GUARDED_SIGNALS) process.off(signal, this.onSignal);
    if (this.watchdog.pid !== undefined) signalGroup(this.watchdog.pid, 'SIGKILL');
  }
}

const GUARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
