/** The bench's report: the table and the generated block of docs/benchmarks.md (files in a temp folder). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Figure, markdownTable, textTable, writeResults } from '../../bench/lib/report.js';

const figures: Figure[] = [
  { scenario: 'Queue', figure: 'FIFO violations', measured: '0', target: '0', met: true },
  { scenario: 'Memory', figure: 'RSS', measured: '229 MiB', baseline: '159 MiB', ratio: '1.44x', target: '< 200 MiB', met: false },
  { scenario: 'Queue', figure: 'wall time', measured: '32.3 s', target: '-' },
];

test('each figure says met, NOT MET, or - when it has no target', () => {
  const rows = markdownTable(figures).split('\n');
  expect(rows[2]).toBe('| Queue | FIFO violations | 0 | - | - | 0 | met |');
  expect(rows[3]).toBe('| Memory | RSS | 229 MiB | 159 MiB | 1.44x | < 200 MiB | NOT MET |');
  expect(rows[4]).toBe('| Queue | wall time | 32.3 s | - | - | - | - |');
  expect(textTable(figures).split('\n')[3]).toMatch(/^Memory\s+RSS\s+229 MiB\s+159 MiB\s+1\.44x\s+< 200 MiB\s+NOT MET$/);
});

test('the results block is replaced between its markers, and the hand-written text around it stays', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'bench-report-')), 'benchmarks.md');
  writeFileSync(path, '# Benchmarks\n\nMethod, written by hand.\n');
  writeResults(path, 'first run');
  writeFileSync(path, readFileSync(path, 'utf8') + '\nAnalysis after the block.\n');
  writeResults(path, 'second run');
  const text = readFileSync(path, 'utf8');
  expect(text).toContain('Method, written by hand.');
  expect(text).toContain('Analysis after the block.');
  expect(text).toContain('second run');
  expect(text).not.toContain('first run');
  expect(text.match(/bench:results:begin/g)).toHaveLength(1);
});
