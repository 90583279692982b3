/** The read-only parts of the Task page: timeline, outputs, attempts, conditions, events, Pod. */
import { ExactTime, Time } from './common.js';
import type { TaskAttempt } from '../../../api/retry.js';
import type { ConditionView, EventView, PodView } from '../../shared/types.js';

/** The fields of a Task the page reads (the API's TaskStatus, as JSON). */
export interface TaskJson {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly creationTimestamp?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly deletionTimestamp?: string;
  };
  readonly spec: {
    readonly description?: string;
    readonly agentRef?: { readonly name?: string; readonly namespace?: string };
    readonly contexts?: readonly { readonly type: string; readonly name?: string }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly podName?: string;
    readonly podNamespace?: string;
    readonly startTime?: string;
    readonly completionTime?: string;
    readonly nextAttemptTime?: string;
    readonly queuePosition?: number;
    readonly outputs?: { readonly parameters?: Record<string, string> };
    readonly conditions?: readonly ConditionView[];
    readonly attempts?: readonly TaskAttempt[];
  };
}

interface Step {
  readonly label: string;
  readonly time?: string;
  readonly detail?: string;
}

/** The phases a Task went through, with their times, from its status and conditions. */
export function timeline(task: TaskJson): Step[] {
  const s = task.status ?? {};
  const cond = (type: string) => s.conditions?.find((c) => c.type === type);
  const steps: Step[] = [{ label: 'Created', time: task.metadata.creationTimestamp }];
  const queued = cond('Queued');
  if (queued && (queued.status === 'True' || queued.reason === 'Admitted')) steps.push({ label: 'Queued', time: queued.status === 'True' ? queued.lastTransitionTime : undefined, detail: queued.status === 'True' ? queued.message : 'then admitted' });
  for (const a of s.attempts ?? []) {
    steps.push({ label: `Attempt ${a.attempt} started`, time: a.startTime, detail: a.podName });
    steps.push({ label: `Attempt ${a.attempt} ended: ${a.reason}`, time: a.completionTime, detail: [a.message, a.exitCode !== undefined ? `exit code ${a.exitCode}` : ''].filter(Boolean).join('; ') });
  }
  if (s.startTime) steps.push({ label: (s.attempts?.length ?? 0) > 0 ? `Attempt ${(s.attempts?.length ?? 0) + 1} started` : 'Running', time: s.startTime, detail: s.podName });
  const retrying = cond('Retrying');
  if (retrying?.status === 'True') steps.push({ label: 'Waiting to retry', time: s.nextAttemptTime, detail: retrying.message });
  if (s.completionTime) {
    const stopped = cond('Stopped')?.status === 'True';
    steps.push({ label: `${s.phase ?? 'Finished'}${stopped ? ' (stopped)' : ''}`, time: s.completionTime, detail: cond('Ready')?.message });
  }
  return steps;
}

export function Timeline({ task }: { task: TaskJson }) {
  return (
    <section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>
      <ol class="timeline">
        {timeline(task).map((s, i) => (
          <li key={i}><span class="step">{s.label}</span> <ExactTime iso={s.time} />{s.detail && <span class="muted"> {s.detail}</span>}</li>
        ))}
      </ol>
    </section>
  );
}

export function Outputs({ task }: { task: TaskJson }) {
  const params = Object.entries(task.status?.outputs?.parameters ?? {});
  return (
    <section aria-labelledby="h-outputs"><h2 id="h-outputs">Outputs</h2>
      {params.length === 0 ? <p class="muted">{task.status?.completionTime ? 'No outputs.' : 'Outputs appear when the Pod ends.'}</p> : (
        <dl class="outputs">{params.map(([k, v]) => [<dt key={`t-${k}`}>{k}</dt>, <dd key={`d-${k}`}><pre>{v}</pre></dd>])}</dl>
      )}
    </section>
  );
}

export function Attempts({ task }: { task: TaskJson }) {
  const attempts = task.status?.attempts ?? [];
  if (!attempts.length) return null;
  return (
    <section aria-labelledby="h-attempts"><h2 id="h-attempts">Attempts</h2>
      <table><thead><tr><th scope="col">#</th><th scope="col">Pod</th><th scope="col">Started</th><th scope="col">Ended</th><th scope="col">Reason</th><th scope="col">Exit code</th></tr></thead>
        <tbody>{attempts.map((a) => (
          <tr key={a.attempt}><td>{a.attempt}</td><td>{a.podName}</td><td><ExactTime iso={a.startTime} /></td><td><ExactTime iso={a.completionTime} /></td><td>{a.reason}{a.message ? `: ${a.message}` : ''}</td><td>{a.exitCode ?? ''}</td></tr>
        ))}</tbody></table>
    </section>
  );
}

export function Conditions({ conditions }: { conditions: readonly ConditionView[] }) {
  return (
    <section aria-labelledby="h-conditions"><h2 id="h-conditions">Conditions</h2>
      {conditions.length === 0 ? <p class="muted">None yet.</p> : (
        <table><thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead>
          <tbody>{conditions.map((c) => (
            <tr key={c.type}>
              <td>{c.type}</td><td>{c.status}</td><td>{c.reason}</td><td>{c.message}</td><td><ExactTime iso={c.lastTransitionTime} /></td>
            </tr>
          ))}</tbody></table>
      )}
    </section>
  );
}

export function Events({ events, problem, now }: { events?: readonly EventView[]; problem?: string; now: number }) {
  return (
    <section aria-labelledby="h-events"><h2 id="h-events">Events</h2>
      {problem ? <p class="warning">{problem}</p> : !events ? <p class="muted">Loading…</p> : events.length === 0 ? <p class="muted">No events.</p> : (
        <table><thead><tr><th scope="col">Type</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Count</th><th scope="col">Last seen</th></tr></thead>
          <tbody>{events.map((e, i) => (
            <tr key={i} class={e.type === 'Warning' ? 'warn-row' : undefined}><td>{e.type}</td><td>{e.reason}</td><td>{e.message}</td><td>{e.count}</td><td><Time iso={e.last} now={now} /></td></tr>
          ))}</tbody></table>
      )}
    </section>
  );
}

export function PodSection({ pod, problem }: { pod?: PodView | null; problem?: string }) {
  return (
    <section aria-labelledby="h-pod"><h2 id="h-pod">Pod</h2>
      {problem ? <p class="warning">{problem}</p> : pod === undefined ? <p class="muted">Loading…</p> : pod === null ? <p class="muted">No Pod now.</p> : (
        <>
          <p><strong>{pod.namespace}/{pod.name}</strong>: {pod.phase ?? 'Pending'}{pod.reason ? ` (${pod.reason})` : ''}{pod.nodeName ? ` on ${pod.nodeName}` : ''}</p>
          <table><thead><tr><th scope="col">Container</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Image</th></tr></thead>
            <tbody>{pod.containers.map((c) => (
              <tr key={c.name}><td>{c.name}</td><td>{c.kind}</td>
                <td>{c.state ?? 'not started'}{c.reason ? ` (${c.reason})` : ''}{c.exitCode !== undefined ? `, exit code ${c.exitCode}` : ''}{c.message ? `: ${c.message}` : ''}</td>
                <td class="mono">{c.image}</td></tr>
            ))}</tbody></table>
        </>
      )}
    </section>
  );
}
