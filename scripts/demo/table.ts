/** The demo's output: styles, step headers and the live table of Tasks (from a watch, so no phase goes unseen). */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { TaskObject } from '../../src/reconciler/objects.js';

const FINISHED = ['Completed', 'Failed'];

export const tty = process.stdout.isTTY === true;
const style = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = style('1');
export const dim = style('2');
export const phaseColor: Record<string, (s: string) => string> = {
  Pending: style('33'), Queued: style('35'), Running: style('36'), Completed: style('32'), Failed: style('31'),
};
const started = Date.now();
export const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
export const say = (line = '') => process.stdout.write(`${line}\n`);
export const step = (n: number, text: string) => say(`\n${bold(`[${n}/${STEPS}]`)} ${text}`);


/** How many steps the demo announces. */
export const STEPS = 6;

interface Row { task: TaskObject; path: string[]; position?: number }

/** Follows every Task through a watch, so that no phase goes unseen, and draws the table. */
export class TaskTable {
  private readonly rows = new Map<string, Row>();
  private drawnLines = 0;
  private abort?: AbortController;
  /** The most Tasks seen Running at the same time. */
  public maxRunning = 0;

  constructor(private readonly kc: KubeConfig) {}

  public async start(): Promise<void> {
    this.abort = await new Watch(this.kc).watch('/apis/kubeopencode.io/v1alpha1/tasks', {}, (type, task: TaskObject) => {
      const key = `${task.metadata.namespace}/${task.metadata.name}`;
      if (type === 'DELETED') return;
      const row = this.rows.get(key) ?? { task, path: [] };
      row.task = task;
      const phase = task.status?.phase;
      const moved = phase !== undefined && row.path.at(-1) !== phase;
      if (moved) row.path.push(phase);
      if ((moved || task.status?.queuePosition !== row.position) && !tty) say(`  ${dim(clock())}  ${key.padEnd(36)} ${this.describe(task)}`);
      row.position = task.status?.queuePosition;
      this.rows.set(key, row);
      this.maxRunning = Math.max(this.maxRunning, [...this.rows.values()].filter((r) => r.task.status?.phase === 'Running').length);
      if (tty) this.draw();
    }, () => undefined);
  }

  public stop(): void {
    this.abort?.abort();
  }

  public allFinished(count: number): boolean {
    return this.rows.size === count && [...this.rows.values()].every((r) => FINISHED.includes(r.task.status?.phase ?? ''));
  }

  private describe(task: TaskObject): string {
    const s = task.status ?? {};
    const phase = s.phase ?? '';
    const extra = phase === 'Queued' ? ` (#${s.queuePosition} in line)`
      : phase === 'Running' && s.podName ? ` pod ${s.podNamespace}/${s.podName}`
        : phase === 'Completed' ? ` ${outputsText(task)}` : '';
    return `${(phaseColor[phase] ?? ((x: string) => x))(phase)}${extra}`;
  }

  /** The table; on a terminal it redraws itself in place. */
  public table(): string[] {
    const rows = [...this.rows.entries()]; // in the order they appeared
    const header = `  ${'TASK'.padEnd(36)} ${'PHASE'.padEnd(10)} ${'PATH'.padEnd(42)} OUTPUTS`;
    return [bold(header), ...rows.map(([key, row]) => {
      const phase = row.task.status?.phase ?? '';
      const colored = (phaseColor[phase] ?? ((x: string) => x))(phase.padEnd(10));
      return `  ${key.padEnd(36)} ${colored} ${row.path.join(' -> ').padEnd(42)} ${outputsText(row.task)}`;
    })];
  }

  private draw(): void {
    if (this.drawnLines) process.stdout.write(`\x1b[${this.drawnLines}A\x1b[J`);
    const lines = this.table();
    process.stdout.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  /** Keeps the last drawing on screen and prints below it from now on. */
  public freeze(): void {
    this.drawnLines = 0;
  }
}

export function outputsText(task: TaskObject): string {
  const params = task.status?.outputs?.parameters ?? {};
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join('  ');
}

