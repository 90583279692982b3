/**
 * One image build at a time per cache, across processes (two `npm test` runs, or a test
 * run and `cli.ts build`): the same flock(1) lock as build-binaries.sh. A child `flock`
 * holds it while its stdin is open, so the lock goes away with this process even when it is
 * killed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { log } from './exec.js';

export async function withLock<T>(file: string, what: string, body: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const holder = spawn('flock', [file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => holder.once('close', () => resolve()));
  const waiting = setTimeout(() => log(`another ${what} holds ${file}; waiting for it`), 1000);
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.setEncoding('utf8').once('data', () => resolve());
      holder.once('error', reject);
      holder.once('close', (code) => reject(new Error(`flock ${file} exited ${code} before taking the lock`)));
    });
  } finally {
    clearTimeout(waiting);
  }
  try {
    return await body();
  } finally {
    holder.stdin.end();
    await exited;
  }
}
