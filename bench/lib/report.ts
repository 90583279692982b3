/**
 * The bench's output: one row per figure (measured, baseline, ratio, target, met), printed
 * as a table and written into docs/benchmarks.md between markers, so the hand-written
 * method and analysis around it stay.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Figure {
  readonly scenario: string;
  readonly figure: string;
  readonly measured: string;
  readonly baseline?: string;
  readonly ratio?: string;
  readonly target: string;
  /** undefined: informational, no target. */
  readonly met?: boolean;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly loadAtStart: string;
  readonly node: string;
  readonly kubernetes: string;
  readonly etcd: string;
  readonly date: string;
}

export function machine(versions: { kubernetes: string; etcd: string }, node: string): Machine {
  const model = existsSync('/proc/cpuinfo')
    ? /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim()
    : undefined;
  const memKb = existsSync('/proc/meminfo') ? Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) : NaN;
  return {
    cpu: model ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((Number.isFinite(memKb) ? memKb * 1024 : totalmem()) / 2 ** 30),
    loadAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
    node,
    kubernetes: versions.kubernetes,
    etcd: versions.etcd,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

const HEADER = ['Scenario', 'Figure', 'Measured', 'Baseline', 'Ratio', 'Target', 'Met'];
const verdict = (met: boolean | undefined) => met === undefined ? '-' : met ? 'met' : 'NOT MET';
const cells = (f: Figure) => [f.scenario, f.figure, f.measured, f.baseline ?? '-', f.ratio ?? '-', f.target, verdict(f.met)];

/** A plain-text table for the terminal. */
export function textTable(figures: readonly Figure[]): string {
  const rows = [HEADER, ...figures.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(figures: readonly Figure[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...figures.map((f) => `| ${cells(f).map(esc).join(' | ')} |`),
  ].join('\n');
}

export function machineLines(m: Machine, settings: string): string[] {
  return [
    `- Date: ${m.date}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM; load average at start ${m.loadAtStart} (shared with other work)`,
    `- Node ${m.node} (controller and bench), Kubernetes ${m.kubernetes} (kube-apiserver), etcd ${m.etcd}, on a dedicated local control plane`,
    `- Settings: ${settings}`,
  ];
}

const BEGIN = '<!-- bench:results:begin (written by `npm run bench`; edit outside the markers) -->';
const END = '<!-- bench:results:end -->';

/** Replaces the generated block of `path` (or appends one), leaving the rest of the file alone. */
export function writeResults(path: string, block: string): void {
  const generated = `${BEGIN}\n${block.trim()}\n${END}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start
    ? current.slice(0, start) + generated + current.slice(end + END.length)
    : `${current.trimEnd()}\n\n${generated}\n`;
  writeFileSync(path, next);
}
