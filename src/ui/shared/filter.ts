/**
 * The Tasks page's filters, pure so that the page and the tests share them: namespace, Agent,
 * phase and an equality-based label selector as kubectl writes one (`app=web,tier!=db,team,!beta`).
 */
import type { TaskSummary } from './types.js';

export type LabelRequirement =
  | { readonly op: '=' | '!='; readonly key: string; readonly value: string }
  | { readonly op: 'exists' | '!exists'; readonly key: string };

/** Parses a selector; throws an Error naming the part it cannot read. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  return selector.split(',').map((s) => s.trim()).filter(Boolean).map((part): LabelRequirement => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(part);
    if (m) return { op: m[2] === '!=' ? '!=' : '=', key: m[1], value: m[3] };
    if (/^![^=!\s]+$/.test(part)) return { op: '!exists', key: part.slice(1) };
    if (/^[^=!\s]+$/.test(part)) return { op: 'exists', key: part };
    throw new Error(`cannot read "${part}": use key=value, key!=value, key or !key`);
  });
}

export function matchesLabels(labels: Readonly<Record<string, string>>, reqs: readonly LabelRequirement[]): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case '=': return has && labels[r.key] === r.value;
      case '!=': return !has || labels[r.key] !== r.value;
      case 'exists': return has;
      case '!exists': return !has;
    }
  });
}

export interface TaskFilter {
  readonly namespace?: string;
  /** `namespace/name` */
  readonly agent?: string;
  readonly phase?: string;
  readonly labels?: readonly LabelRequirement[];
  /** Part of the name or title, any case. */
  readonly text?: string;
}

export function matchesTask(t: TaskSummary, f: TaskFilter): boolean {
  if (f.namespace && t.namespace !== f.namespace) return false;
  if (f.agent && t.agent !== f.agent) return false;
  if (f.phase && t.phase !== f.phase) return false;
  if (f.labels && !matchesLabels(t.labels, f.labels)) return false;
  if (f.text) {
    const q = f.text.toLowerCase();
    if (!t.name.toLowerCase().includes(q) && !t.title.toLowerCase().includes(q)) return false;
  }
  return true;
}

/** Newest first, then by namespace/name: a stable order for pages. */
export function compareTasks(a: TaskSummary, b: TaskSummary): number {
  if (a.created !== b.created) return a.created < b.created ? 1 : -1;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The Queued Tasks of one Agent, first in line first (status.queuePosition, then age). */
export function queueOf(tasks: Iterable<TaskSummary>, agent: string): TaskSummary[] {
  const queued = [...tasks].filter((t) => t.agent === agent && t.phase === 'Queued');
  return queued.sort((a, b) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity) || (a.created < b.created ? -1 : 1));
}
