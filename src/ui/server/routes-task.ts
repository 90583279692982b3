/**
 * One Task: its live page (the Task from the shared watch, its Pod and its Events from watches
 * shared by every tab that shows it) and the buttons on it: Stop, Delete, Run again.
 */
import { nameParam, namespaceParam, Route, RouteContext } from './context.js';
import { EventStream, sendJson } from './http.js';
import { crdPath } from './kube.js';
import { Snapshot } from './object-watch.js';
import { forbiddenMessage, Problem, problem, toProblem } from './problems.js';
import { logRequest, logTarget, pump } from './routes-logs.js';
import { Session } from './session.js';
import { rerunOf } from './task-builder.js';
import { byLast, eventView, podView, PodLike } from './views.js';
import { Annotations, Kinds } from '../../api/constants.js';
import type { EventObject } from '../../reconciler/objects.js';
import { TaskObject } from '../../reconciler/objects.js';
import { corePath, MERGE_PATCH } from '../../reconciler/runtime/rest-client.js';
import type { CreatedTask } from '../shared/types.js';

const TASKS = Kinds.task.plural;

function target(ctx: RouteContext): { ns: string; name: string } {
  return { ns: namespaceParam(ctx.params[0]), name: nameParam(ctx.params[1]) };
}

/** Makes sure the shared Task watch covers `ns`, or says the user may not list Tasks there. */
async function watchedIn(session: Session, ctx: RouteContext, ns: string): Promise<void> {
  await session.watch(ctx.defaultNamespaces, [ns]);
  if (!session.tasks.covers(ns)) throw problem(403, 'Forbidden', session.tasks.forbiddenIn(ns) ?? forbiddenMessage({ action: 'list Tasks', namespace: ns }));
}

async function taskStream(ctx: RouteContext): Promise<void> {
  const { ns, name } = target(ctx);
  const session = await ctx.session();
  await watchedIn(session, ctx, ns);
  const stream = new EventStream(ctx.res);
  session.streams++;

  let pod: { key: string; release: () => void } | undefined;
  const followPod = (task: TaskObject | undefined) => {
    const podNs = task?.status?.podNamespace ?? ns;
    const podName = task?.status?.podName;
    const key = podName ? `${podNs}/${podName}` : '';
    if (key === (pod?.key ?? '')) return;
    pod?.release();
    pod = undefined;
    if (!podName) {
      stream.send('pod', { pod: null });
      return;
    }
    const release = session.objects.subscribe<PodLike>(
      { path: corePath('pods', podNs), fieldSelector: `metadata.name=${podName}`, namespace: podNs, action: 'read Pods' },
      (s: Snapshot<PodLike>) => stream.send('pod', 'problem' in s ? { problem: s.problem } : { pod: s.objects[0] ? podView(s.objects[0]) : null }),
    );
    pod = { key, release };
  };
  // With `?container=`, the log of that container streams here too (events log, log-waiting, ...).
  const wanted = logRequest(ctx.url, false);
  let log: { pod: string; abort: AbortController } | undefined;
  const followLog = (task: TaskObject | undefined) => {
    const logPod = wanted?.pod ?? task?.status?.podName;
    if (!wanted || !task || !logPod || logPod === log?.pod) return;
    log?.abort.abort();
    log = { pod: logPod, abort: new AbortController() };
    const sendLog = (event: string, data: unknown) => stream.send(event === 'log' ? 'log' : `log-${event}`, data);
    try {
      void pump(session.client, logTarget(task, wanted), wanted.follow, sendLog, log.abort.signal);
    } catch (e) {
      sendLog('problem', { message: e instanceof Problem ? e.message : String(e) });
    }
  };
  const sendTask = (task: TaskObject | undefined) => {
    stream.send('task', { task: task ?? null });
    followPod(task);
    followLog(task);
  };

  const key = `${ns}/${name}`;
  const off = session.tasks.on((k, obj) => {
    if (k === key) sendTask(obj);
  });
  // Just created: the watch may not have seen it yet; ask once instead of saying it does not exist.
  sendTask(session.tasks.get(ns, name) ?? await session.client.get<TaskObject>(crdPath(TASKS, ns, name)).catch(() => undefined));
  const releaseEvents = session.objects.subscribe<EventObject>(
    { path: corePath('events', ns), fieldSelector: `involvedObject.kind=Task,involvedObject.name=${name}`, namespace: ns, action: 'read Events' },
    (s: Snapshot<EventObject>) => stream.send('events', 'problem' in s ? { problem: s.problem } : { events: s.objects.map(eventView).sort(byLast) }),
  );
  const untrack = session.track(() => stream.close());
  stream.onClose(() => {
    untrack();
    off();
    log?.abort.abort();
    pod?.release();
    releaseEvents();
    session.streams--;
    session.lastUsed = Date.now();
  });
}

async function stopTask(ctx: RouteContext): Promise<void> {
  const { ns, name } = target(ctx);
  const session = await ctx.session();
  try {
    await session.client.request('PATCH', crdPath(TASKS, ns, name), {
      body: { metadata: { annotations: { [Annotations.stop]: 'true' } } },
      contentType: MERGE_PATCH,
    });
  } catch (e) {
    throw toProblem(e, { action: 'stop Tasks', namespace: ns });
  }
  sendJson(ctx.res, 200, { namespace: ns, name });
}

async function deleteTask(ctx: RouteContext): Promise<void> {
  const { ns, name } = target(ctx);
  const session = await ctx.session();
  try {
    await session.client.request('DELETE', crdPath(TASKS, ns, name), { query: { propagationPolicy: 'Background' } });
  } catch (e) {
    throw toProblem(e, { action: 'delete Tasks', namespace: ns });
  }
  sendJson(ctx.res, 200, { namespace: ns, name });
}

async function runAgain(ctx: RouteContext): Promise<void> {
  const { ns, name } = target(ctx);
  const session = await ctx.session();
  let task: TaskObject;
  try {
    task = await session.client.get<TaskObject>(crdPath(TASKS, ns, name));
  } catch (e) {
    throw toProblem(e, { action: 'read Tasks', namespace: ns });
  }
  let created: TaskObject;
  try {
    created = await session.client.request<TaskObject>('POST', crdPath(TASKS, ns), { body: rerunOf(task) });
  } catch (e) {
    throw toProblem(e, { action: 'create Tasks', namespace: ns });
  }
  const body: CreatedTask = { namespace: ns, name: created.metadata.name };
  sendJson(ctx.res, 201, body);
}

const TASK = '^\\/api\\/tasks\\/([^/]+)\\/([^/]+)';

export const taskRoutes: Route[] = [
  { method: 'GET', pattern: new RegExp(`${TASK}\\/stream$`), handler: taskStream },
  { method: 'POST', pattern: new RegExp(`${TASK}\\/stop$`), handler: stopTask },
  { method: 'POST', pattern: new RegExp(`${TASK}\\/run-again$`), handler: runAgain },
  { method: 'DELETE', pattern: new RegExp(`${TASK}$`), handler: deleteTask },
];
