/**
 * Running the in-Pod helpers as real processes. The compiled CLI (bin/kubeopencode.js) is
 * what ships, so it is used when lib/ is up to date; when a source file is newer than its
 * compiled form the tests run the sources through tsx instead of testing stale code.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;

function sourcesAreCompiled(): boolean {
  const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  return sources(join(root, 'src/cli')).every((src) => {
    const out = join(root, 'lib', relative(root, src)).replace(/\.ts$/, '.js');
    return existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs;
  });
}

let launcher: string[] | undefined;

/** The command line that starts `kubeopencode`. */
export function cliLauncher(): string[] {
  launcher ??= sourcesAreCompiled()
    ? [join(root, 'bin/kubeopencode.js')]
    : ['--import', 'tsx', join(root, 'test/cli/run-cli.ts')];
  return launcher;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Starts `kubeopencode ARGS` in the background. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [...cliLauncher(), ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the exit code and output once the process has ended. */
export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `kubeopencode ARGS` to completion. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return finished(spawnCli(args, options));
}

/** A temporary directory; remove them all with removeTempDirs(). */
const tempDirs: string[] = [];
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `koc-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
