/**
 * The text of `kubeopencode describe task`, in kubectl describe's layout: `Key:  value`
 * blocks, nested sections indented, tables for conditions, attempts and Events. Pure: the
 * command fetches the Task, its Pod and its Events.
 */
import { agentOfTask } from './columns.js';
import { age } from './duration.js';
import { KubeObject } from './output.js';
import { formatTable, NONE } from './table.js';
import { TaskStatus } from '../../api/task.js';
import { ContextItem } from '../../constructs/types.js';
import type { EventObject } from '../../reconciler/objects.js';

type Pairs = readonly (readonly [string, string])[];

/** `Key:   value` lines with the values aligned; a multi-line value continues under itself. */
export function keyValues(pairs: Pairs, indent = 0): string {
  const width = Math.max(...pairs.map(([k]) => k.length + 1)) + 2;
  const pad = ' '.repeat(indent);
  return pairs.map(([k, v]) => {
    const [first, ...rest] = (v === '' ? NONE : v).split('\n');
    return [`${pad}${`${k}:`.padEnd(width)}${first}`.trimEnd(), ...rest.map((l) => `${pad}${' '.repeat(width)}${l}`.trimEnd())].join('\n');
  }).join('\n') + '\n';
}

const indented = (text: string, n: number) => text.replace(/^(?=.)/gm, ' '.repeat(n));
const mapLines = (m: Record<string, string> | undefined) => (m && Object.keys(m).length ? Object.entries(m).map(([k, v]) => `${k}=${v}`).join('\n') : NONE);
const when = (t: string | undefined, now: number) => (t ? `${t} (${age(t, now)} ago)` : NONE);

function excerpt(text: string, maxLines = 6): string {
  const lines = text.trimEnd().split('\n');
  return lines.length <= maxLines ? lines.join('\n') : `${lines.slice(0, maxLines).join('\n')}\n... (${lines.length - maxLines} more lines)`;
}

export function contextLine(c: ContextItem): string {
  const to = c.mountPath ? ` -> ${c.mountPath}` : ' (in task.md)';
  const short = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s).replace(/\\n/g, ' ');
  switch (c.type) {
    case 'Text': return `Text ${short(c.text ?? '')}${to}`;
    case 'ConfigMap': return `ConfigMap ${c.configMap?.name}${c.configMap?.key ? `/${c.configMap.key}` : ''}${c.configMap?.optional ? ' (optional)' : ''}${to}`;
    case 'Git': return `Git ${c.git?.repository}${c.git?.ref ? `@${c.git.ref}` : ''}${c.git?.path ? ` (path ${c.git.path})` : ''}${to}`;
    case 'URL': return `URL ${c.url?.source}${to}`;
    default: return `${c.type}${to}`;
  }
}

function specSection(task: KubeObject): Pairs {
  const spec = task.spec ?? {};
  const contexts = (spec.contexts ?? []) as ContextItem[];
  const outputs = (spec.outputs?.parameters ?? []) as { name: string; path: string }[];
  const retry = spec.retryPolicy as { limit?: number; retryOn?: string[] } | undefined;
  return [
    ['Agent', agentOfTask(task)],
    ['Description', excerpt(spec.description ?? '')],
    ['Contexts', contexts.map((c, i) => `${i + 1}. ${contextLine(c)}`).join('\n')],
    ['Output Parameters', outputs.map((o) => `${o.name} <- ${o.path}`).join('\n')],
    ['Timeout', spec.timeoutSeconds ? `${spec.timeoutSeconds}s` : NONE],
    ...(retry ? [['Retry Policy', `limit ${retry.limit ?? 0}${retry.retryOn ? `, on ${retry.retryOn.join(', ')}` : ''}`] as const] : []),
  ];
}

function statusSection(task: KubeObject, now: number): string {
  const s = (task.status ?? {}) as TaskStatus;
  const pod = s.podName ? `${s.podNamespace ?? task.metadata.namespace}/${s.podName}` : NONE;
  let out = `Status:\n${keyValues([
    ['Phase', s.phase ?? NONE],
    ['Pod', pod],
    ['Start Time', when(s.startTime, now)],
    ['Completion Time', when(s.completionTime, now)],
    ['Queue Position', s.queuePosition ? String(s.queuePosition) : NONE],
    ...(s.nextAttemptTime ? [['Next Attempt', when(s.nextAttemptTime, now)] as const] : []),
  ], 2)}`;
  if (s.attempts?.length) {
    out += `Attempts:\n${indented(formatTable(['ATTEMPT', 'POD', 'REASON', 'EXIT CODE', 'FINISHED', 'MESSAGE'], s.attempts.map((a) => [
      String(a.attempt), a.podName, a.reason, a.exitCode === undefined ? NONE : String(a.exitCode), a.completionTime ?? NONE, a.message ?? '',
    ])), 2)}`;
  }
  out += s.conditions?.length
    ? `Conditions:\n${indented(formatTable(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], s.conditions.map((c) => [
      c.type, c.status, c.reason, age(c.lastTransitionTime, now), c.message.replace(/\s*\n\s*/g, '; '),
    ])), 2)}`
    : 'Conditions:  <none>\n';
  const outputs = Object.entries(s.outputs?.parameters ?? {});
  out += outputs.length ? `Outputs:\n${keyValues(outputs, 2)}` : 'Outputs:  <none>\n';
  return out;
}

interface ContainerStatus {
  readonly name: string;
  readonly restartCount?: number;
  readonly state?: {
    readonly waiting?: { reason?: string; message?: string };
    readonly running?: { startedAt?: string };
    readonly terminated?: { reason?: string; exitCode?: number; message?: string; finishedAt?: string };
  };
}

function containerLine(c: ContainerStatus | undefined): string {
  const st = c?.state;
  if (st?.terminated) return `Terminated (${st.terminated.reason ?? 'Unknown'}, exit code ${st.terminated.exitCode ?? '?'})`;
  if (st?.running) return `Running${st.running.startedAt ? ` since ${st.running.startedAt}` : ''}`;
  if (st?.waiting) return `Waiting (${st.waiting.reason ?? 'Unknown'}${st.waiting.message ? `: ${st.waiting.message}` : ''})`;
  return 'Not started';
}

/** The Pod block: its phase, then each container (init ones first) and its state. */
export function podSection(name: string, pod: KubeObject | string | undefined): string {
  if (pod === undefined) return 'Pod:  <none>\n';
  if (typeof pod === 'string') return `Pod:  ${name} (${pod})\n`;
  const statuses = [...pod.status?.initContainerStatuses ?? [], ...pod.status?.containerStatuses ?? []] as ContainerStatus[];
  const line = (c: { name: string }) => [c.name, containerLine(statuses.find((s) => s.name === c.name))] as const;
  const inits = (pod.spec?.initContainers ?? []) as { name: string }[];
  const mains = (pod.spec?.containers ?? []) as { name: string }[];
  return `Pod:  ${name}\n${keyValues([
    ['Phase', `${pod.status?.phase ?? 'Pending'}${pod.status?.reason ? ` (${pod.status.reason})` : ''}`],
    ['Node', pod.spec?.nodeName ?? NONE],
  ], 2)}${inits.length ? `  Init Containers:\n${keyValues(inits.map(line), 4)}` : ''}  Containers:\n${keyValues(mains.map(line), 4)}`;
}


/** kubectl's Events table: Age of the last time, `(xN over AGE)` for repeats. */
export function eventsSection(events: readonly EventObject[], now: number): string {
  if (!events.length) return 'Events:  <none>\n';
  const last = (e: EventObject) => e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  // Timestamps have whole seconds; within one second, the order the API server stored them in.
  const stored = (e: EventObject) => Number(e.metadata.resourceVersion) || 0;
  const sorted = [...events].sort((a, b) => (Date.parse(last(a) ?? '') - Date.parse(last(b) ?? '')) || (stored(a) - stored(b)));
  const rows = sorted.map((e) => {
    const repeat = e.count && e.count > 1 ? ` (x${e.count} over ${age(e.firstTimestamp ?? e.metadata.creationTimestamp, now)})` : '';
    return [e.type ?? '', e.reason ?? '', `${age(last(e), now)}${repeat}`, e.source?.component || e.reportingComponent || '', (e.message ?? '').trim()];
  });
  const headers = ['Type', 'Reason', 'Age', 'From', 'Message'];
  return `Events:\n${indented(formatTable(headers, [headers.map((h) => '-'.repeat(h.length)), ...rows]), 2)}`;
}

export function describeTask(task: KubeObject, pod: KubeObject | string | undefined, events: readonly EventObject[], now = Date.now()): string {
  const m = task.metadata;
  const s = (task.status ?? {}) as TaskStatus;
  const podName = s.podName ? `${s.podNamespace ?? m.namespace}/${s.podName}` : '';
  return [
    keyValues([
      ['Name', m.name],
      ['Namespace', m.namespace ?? ''],
      ['Labels', mapLines(m.labels)],
      ['Annotations', mapLines(m.annotations)],
      ['Created', when(m.creationTimestamp, now)],
      ...specSection(task),
    ]),
    statusSection(task, now),
    podSection(podName, pod),
    eventsSection(events, now),
  ].join('');
}
