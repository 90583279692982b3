import { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { finished, makeTempDir, removeTempDirs, runCli, spawnCli } from './helpers.js';
import { parseTerminationMessage } from '../../src/api/outputs-format.js';

afterAll(removeTempDirs);

interface Setup {
  readonly workspace: string;
  readonly parameters: string;
  readonly log: string;
}

/** A workspace and a parameters file; `parameters` may use the temporary directory for absolute paths. */
function setup(parameters: unknown[] | ((dir: string) => unknown[])): Setup {
  const dir = makeTempDir('collect-outputs');
  const s = { workspace: join(dir, 'workspace'), parameters: join(dir, 'outputs.json'), log: join(dir, 'termination-log') };
  mkdirSync(s.workspace);
  writeFileSync(s.parameters, JSON.stringify(typeof parameters === 'function' ? parameters(dir) : parameters));
  return s;
}

const args = (s: Setup, ...extra: string[]) => ['collect-outputs', '--parameters', s.parameters, '--workspace', s.workspace, '--termination-log', s.log, ...extra];
const message = (s: Setup) => {
  const text = readFileSync(s.log, 'utf8');
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
  return parseTerminationMessage(text);
};

/** Resolves once the child has written `text` to stderr. */
function stderrShows(child: ChildProcess, text: string): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) resolve();
    });
    child.once('exit', () => reject(new Error(`exited before printing "${text}": ${seen}`)));
  });
}

describe('collect-outputs', () => {
  test('--once: values (one trailing newline trimmed), absolute paths, defaults and missing parameters', async () => {
    const s = setup((dir) => [
      { name: 'result', path: 'out/result.txt' },
      { name: 'twoLines', path: 'two.txt' },
      { name: 'absolute', path: join(dir, 'elsewhere.txt') },
      { name: 'withDefault', path: 'nowhere.txt', default: 'fallback' },
      { name: 'gone', path: 'gone.txt' },
    ]);
    mkdirSync(join(s.workspace, 'out'));
    writeFileSync(join(s.workspace, 'out/result.txt'), 'done\n');
    writeFileSync(join(s.workspace, 'two.txt'), 'a\n\n');
    writeFileSync(join(s.workspace, '../elsewhere.txt'), 'from elsewhere');

    const { code, stderr } = await runCli(args(s, '--once'));
    expect(stderr).toContain('reported 4 parameter(s)');
    expect(stderr).toContain('missing: gone');
    expect(code).toBe(0);
    expect(message(s)).toEqual({
      parameters: { result: 'done', twoLines: 'a\n', absolute: 'from elsewhere', withDefault: 'fallback' },
      truncated: [],
      missing: ['gone'],
    });
  });

  test('waits for SIGTERM, then reads what the agent wrote meanwhile and exits 0', async () => {
    const s = setup([{ name: 'pr', path: 'pr-url' }]);
    const child = spawnCli(args(s));
    const result = finished(child);
    await stderrShows(child, 'waiting for the agent to finish');
    await sleep(300);
    expect(child.exitCode).toBeNull();
    writeFileSync(join(s.workspace, 'pr-url'), 'https://example.com/pr/7\n');
    child.kill('SIGTERM');
    const { code, stderr } = await result;
    expect(stderr).toContain('SIGTERM received');
    expect(code).toBe(0);
    expect(message(s)).toEqual({ parameters: { pr: 'https://example.com/pr/7' }, truncated: [], missing: [] });
  });

  test('values over 4096 bytes are cut, largest first, and listed as truncated; huge files are read only in part', async () => {
    const s = setup([{ name: 'status', path: 'status' }, { name: 'report', path: 'report' }, { name: 'log', path: 'log' }]);
    writeFileSync(join(s.workspace, 'status'), 'success\n');
    writeFileSync(join(s.workspace, 'report'), 'r'.repeat(3000));
    writeFileSync(join(s.workspace, 'log'), 'l'.repeat(5 * 1024 * 1024));
    const { code, stderr } = await runCli(args(s, '--once'));
    expect(code).toBe(0);
    expect(stderr).toContain('truncated: log');
    const out = message(s);
    expect(out.parameters.status).toBe('success');
    expect(out.parameters.report).toBe('r'.repeat(3000));
    expect(out.truncated).toEqual(['log']);
    expect(out.parameters.log).toMatch(/^l+$/);
  });

  test('--max-bytes: the share of a Pod with more containers (12288 / 8 = 1536 bytes)', async () => {
    const s = setup([{ name: 'a', path: 'a' }, { name: 'b', path: 'b' }]);
    writeFileSync(join(s.workspace, 'a'), 'a'.repeat(1000));
    writeFileSync(join(s.workspace, 'b'), 'b'.repeat(1200));
    expect((await runCli(args(s, '--once', '--max-bytes', '1536'))).code).toBe(0);
    const text = readFileSync(s.log, 'utf8');
    expect(Buffer.byteLength(text)).toBe(1536);
    expect(parseTerminationMessage(text)).toMatchObject({ parameters: { a: 'a'.repeat(1000) }, truncated: ['b'] });
    const tooBig = await runCli(args(s, '--once', '--max-bytes', '5000'));
    expect([tooBig.code, tooBig.stderr]).toEqual([2, expect.stringContaining('--max-bytes must be between 64 and 4096')]);
  });

  test('"-" writes the message to stdout', async () => {
    const s = setup([{ name: 'x', path: 'x', default: 'd' }]);
    const { code, stdout } = await runCli(['collect-outputs', '--parameters', s.parameters, '--workspace', s.workspace, '--termination-log', '-', '--once']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ parameters: { x: 'd' }, truncated: [], missing: [] });
  });

  test('an invalid parameters file fails at start, with one line', async () => {
    const s = setup([{ name: 'x' }]);
    const { code, stderr } = await runCli(args(s));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('must be a JSON list of {name, path, default?}')]);
  });
});
