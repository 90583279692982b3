/**
 * Running the build's commands: run() for short ones whose output we parse, runLogged() for
 * long ones whose output goes to a log file, line by line to a callback for progress.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export const log = (line: string): void => {
  process.stderr.write(`[images] ${line}\n`);
};

export const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Lower the CPU priority: the machine is shared with the tests and other builds. */
  readonly nice?: boolean;
}

const command = (cmd: string, args: readonly string[], nice?: boolean): [string, string[]] =>
  (nice ? ['nice', ['-n', '10', cmd, ...args]] : [cmd, [...args]]);

/** Runs a command to its end; resolves with its stdout, rejects with the end of its stderr. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const [file, argv] = command(cmd, args, options.nice);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${stderr.slice(-4000)}`));
    });
  });
}

/**
 * Runs a long command with stdout and stderr appended to logFile, calling onLine for each
 * line of output. A failure is reported with the end of the log.
 */
export interface LoggedOptions extends RunOptions {
  readonly onLine?: (line: string) => void;
}

export function runLogged(cmd: string, args: readonly string[], logFile: string, options: LoggedOptions = {}): Promise<void> {
  const [file, argv] = command(cmd, args, options.nice);
  const out = createWriteStream(logFile, { flags: 'a' });
  out.write(`$ ${cmd} ${args.join(' ')}\n`);
  let tail = '';
  let partial = '';
  const onData = (chunk: string) => {
    out.write(chunk);
    tail = (tail + chunk).slice(-6000);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.onLine?.(line);
  };
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('error', (error) => out.end(() => reject(error)));
    child.once('close', (code) => out.end(() => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.slice(0, 6).join(' ')} ... exited ${code}; full log: ${logFile}\n...${tail}`));
    }));
  });
}
