/**
 * One Task, live: phase, timeline, queue position, outputs, attempts, conditions, events, the
 * Pod with the log of each container, and Stop, Delete and Run again. Everything comes from
 * the Task's stream; a refusal (403) is shown as the server words it, never as a blank page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CreatedTask, EventView, PodView } from '../../shared/types.js';
import { api, ApiProblem, openStream } from '../api.js';
import { Alert, duration, PageTitle, PhaseBadge, Status, useNow } from '../components/common.js';
import { LogPane, LogState, MAX_LOG_CHARS } from '../components/log-pane.js';
import { Attempts, Conditions, Events, Outputs, PodSection, TaskJson, Timeline } from '../components/task-sections.js';
import { navigate, taskHref } from '../router.js';

const FINISHED = new Set(['Completed', 'Failed']);

interface Live {
  task?: TaskJson | null;
  pod?: PodView | null;
  podProblem?: string;
  events?: readonly EventView[];
  eventsProblem?: string;
  problem?: string;
  log: LogState;
}

/**
 * Everything of the page on one stream (the Task, its Pod, its Events and the chosen log), so a
 * tab holds two connections at most (this and the list's). Another container or Follow
 * opens the stream again; the server keeps its Pod and Event watches meanwhile.
 */
function useTaskStream(namespace: string, name: string, choice: { container: string; follow: boolean }): Live {
  const [live, setLive] = useState<Live>({ log: { ...choice, text: '', status: '' } });
  useEffect(() => {
    setLive((l) => ({ ...l, log: { ...choice, text: '', status: 'Reading the log…' } }));
    const setLog = (patch: Partial<LogState>) => setLive((l) => ({ ...l, log: { ...l.log, ...patch } }));
    const q = new URLSearchParams({ container: choice.container, ...(choice.follow ? { follow: '1' } : {}) });
    const stream = openStream(`api/tasks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/stream?${q}`, {
      'task': (d: { task: TaskJson | null }) => setLive((l) => ({ ...l, task: d.task, problem: undefined })),
      'pod': (d: { pod?: PodView | null; problem?: string }) => setLive((l) => ({ ...l, pod: d.pod, podProblem: d.problem })),
      'events': (d: { events?: EventView[]; problem?: string }) => setLive((l) => ({ ...l, events: d.events, eventsProblem: d.problem })),
      'log': (d: { text: string }) => setLive((l) => ({ ...l, log: { ...l.log, text: (l.log.text + d.text).slice(-MAX_LOG_CHARS), status: choice.follow ? 'Following the log.' : 'Log read.' } })),
      'log-waiting': (d: { message: string }) => setLog({ status: `Waiting for the log: ${d.message}` }),
      'log-problem': (d: { message: string }) => setLog({ status: `No log: ${d.message}` }),
      'log-end': (d: { bytes: number }) => setLog({ status: d.bytes ? 'The log ended.' : 'The log is empty: the API server returned no log for this container.' }),
    }, (s) => {
      if (typeof s === 'object') setLive((l) => ({ ...l, problem: s.message }));
    });
    return () => stream.close();
  }, [namespace, name, choice.container, choice.follow]);
  return live;
}

function DeleteDialog({ name, onConfirm, onClose }: { name: string; onConfirm: () => void; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="del-title" aria-describedby="del-desc" onClose={onClose}>
      <h2 id="del-title">Delete Task {name}?</h2>
      <p id="del-desc">Its Pod, context ConfigMap and outputs go with it. This cannot be undone.</p>
      <div class="buttons">
        <button type="button" onClick={() => ref.current?.close()}>Cancel</button>
        <button type="button" class="danger" onClick={onConfirm}>Delete</button>
      </div>
    </dialog>
  );
}

function Actions({ namespace, name, task }: { namespace: string; name: string; task: TaskJson }) {
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const base = `api/tasks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const act = async (what: string, fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setStatus(`${what}…`);
    try {
      await fn();
    } catch (e) {
      setStatus(undefined);
      setError(e instanceof ApiProblem ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const phase = task.status?.phase ?? 'Pending';
  const stopRequested = task.metadata.annotations?.['kubeopencode.io/stop'] === 'true';
  return (
    <div class="actions">
      <div class="buttons">
        <button type="button" disabled={busy || FINISHED.has(phase) || stopRequested}
          onClick={() => act('Stopping', async () => {
            await api('POST', `${base}/stop`);
            setStatus('Stop requested: the operator deletes the Pod and ends the Task.');
          })}>{stopRequested && !FINISHED.has(phase) ? 'Stopping…' : 'Stop'}</button>
        <button type="button" disabled={busy} onClick={() => act('Creating a new Task', async () => {
          const created = await api<CreatedTask>('POST', `${base}/run-again`);
          navigate(taskHref(created.namespace, created.name));
        })}>Run again</button>
        <button type="button" class="danger" disabled={busy || !!task.metadata.deletionTimestamp} onClick={() => setConfirming(true)}>Delete</button>
      </div>
      <Status message={status} />
      <Alert message={error} onDismiss={() => setError(undefined)} />
      {confirming && <DeleteDialog name={name} onClose={() => setConfirming(false)} onConfirm={() => {
        setConfirming(false);
        void act('Deleting', async () => {
          await api('DELETE', base);
          setStatus('Deleted.');
        });
      }} />}
    </div>
  );
}

function Summary({ task, now }: { task: TaskJson; now: number }) {
  const s = task.status ?? {};
  const agentNs = task.spec.agentRef?.namespace ?? task.metadata.namespace;
  const rows: [string, string | number | undefined][] = [
    ['Namespace', task.metadata.namespace],
    ['Agent', `${agentNs}/${task.spec.agentRef?.name ?? 'default'}`],
    ['Queue position', s.phase === 'Queued' ? s.queuePosition ?? 'waiting' : undefined],
    ['Pod', s.podName ? `${s.podNamespace ?? task.metadata.namespace}/${s.podName}` : undefined],
    ['Attempts', s.attempts?.length ? s.attempts.length + (s.startTime && !s.completionTime ? 1 : 0) : undefined],
    ['Duration', duration(s.startTime, s.completionTime, now) || undefined],
    ['Labels', Object.entries(task.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || undefined],
  ];
  return (
    <dl class="summary">
      {rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [<dt key={`t-${k}`}>{k}</dt>, <dd key={`d-${k}`}>{v}</dd>])}
    </dl>
  );
}

export function TaskPage({ namespace, name }: { namespace: string; name: string }) {
  const [choice, setChoice] = useState({ container: 'agent', follow: true });
  const live = useTaskStream(namespace, name, choice);
  const now = useNow(5000);
  const task = live.task;
  return (
    <article aria-labelledby="task-title" aria-busy={task === undefined && !live.problem ? 'true' : undefined}>
      <p class="crumbs"><a href="#/tasks">Tasks</a> / {namespace}</p>
      <PageTitle title={`Task ${name}`}><span id="task-title">{name}</span> {task && <PhaseBadge phase={task.status?.phase ?? 'Pending'} />}</PageTitle>
      <Alert message={live.problem} />
      {task === null && <p class="warning" role="status">Task {namespace}/{name} does not exist (it may have been deleted).</p>}
      {task && (
        <>
          <Summary task={task} now={now} />
          <Actions namespace={namespace} name={name} task={task} />
          <section aria-labelledby="h-desc"><h2 id="h-desc">Description</h2><pre class="description">{task.spec.description}</pre></section>
          <div class="columns">
            <Timeline task={task} />
            <Outputs task={task} />
          </div>
          <Attempts task={task} />
          <Conditions conditions={task.status?.conditions ?? []} />
          <PodSection pod={live.pod} problem={live.podProblem} />
          <LogPane pod={live.pod} log={live.log} onChange={setChoice} />
          <Events events={live.events} problem={live.eventsProblem} now={now} />
        </>
      )}
    </article>
  );
}
