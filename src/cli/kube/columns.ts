/** The columns of `get tasks` and `get agents`. */
import { age } from './duration.js';
import { KubeObject } from './output.js';
import { NONE, Row } from './table.js';
import { Defaults } from '../../api/constants.js';
import { TaskStatus } from '../../api/task.js';

export interface Columns {
  readonly headers: readonly string[];
  readonly row: (o: KubeObject, now: number) => Row;
}

/** `NAME` or, for a Task in another namespace than its Agent, `NAMESPACE/NAME`. */
export function agentOfTask(task: KubeObject): string {
  const ref = task.spec?.agentRef ?? {};
  const name = ref.name ?? 'default';
  return ref.namespace && ref.namespace !== task.metadata.namespace ? `${ref.namespace}/${name}` : name;
}

/** Outputs as `name=value,...`, each value on one line and cut, so that a row stays a row. */
export function outputsCell(status: TaskStatus | undefined, max = 40): string {
  const params = Object.entries(status?.outputs?.parameters ?? {});
  if (!params.length) return NONE;
  return params.map(([k, v]) => {
    const flat = v.replace(/\s+/g, ' ').trim();
    return `${k}=${flat.length > max ? `${flat.slice(0, max - 3)}...` : flat}`;
  }).join(',');
}

const taskBase = (t: KubeObject, now: number): string[] => {
  const s = t.status as TaskStatus | undefined;
  const queue = s?.queuePosition ? String(s.queuePosition) : NONE;
  return [t.metadata.name, s?.phase ?? NONE, agentOfTask(t), queue, age(t.metadata.creationTimestamp, now)];
};

export const taskColumns = (wide: boolean): Columns => ({
  headers: ['NAME', 'PHASE', 'AGENT', 'QUEUE', 'AGE', ...(wide ? ['POD', 'OUTPUTS'] : [])],
  row: (t, now) => {
    const s = t.status as TaskStatus | undefined;
    if (!wide) return taskBase(t, now);
    const pod = s?.podName ? (s.podNamespace && s.podNamespace !== t.metadata.namespace ? `${s.podNamespace}/${s.podName}` : s.podName) : NONE;
    return [...taskBase(t, now), pod, outputsCell(s)];
  },
});

export const agentColumns = (wide: boolean): Columns => ({
  headers: ['NAME', 'RUNNING', 'QUEUED', 'MAX', 'AGE', ...(wide ? ['EXECUTOR IMAGE', 'ALLOWED NAMESPACES'] : [])],
  row: (a, now) => {
    const max = a.spec?.maxConcurrentTasks ? String(a.spec.maxConcurrentTasks) : 'unlimited';
    const counts = [String(a.status?.runningTasks ?? 0), String(a.status?.queuedTasks ?? 0)];
    const base = [a.metadata.name, ...counts, max, age(a.metadata.creationTimestamp, now)];
    if (!wide) return base;
    const allowed = (a.spec?.allowedNamespaces ?? []) as string[];
    return [...base, a.spec?.executorImage ?? Defaults.executorImage, allowed.length ? allowed.join(',') : '*'];
  },
});
