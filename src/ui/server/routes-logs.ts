/**
 * The log of one container of a Task's Pod, as Server-Sent Events (on its own, or inside the
 * Task page's stream, so that a tab needs no third connection). Only Pods of the Task
 * (the current one, or an earlier attempt's) can be named, so the route reads no other Pod.
 * With follow, a container that has not started yet (or a Pod without a node) is reported as
 * `waiting` with the API server's own words, and tried again until it runs or the Pod ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { nameParam, namespaceParam, Route, RouteContext } from './context.js';
import { EventStream } from './http.js';
import { crdPath } from './kube.js';
import { problem, toProblem } from './problems.js';
import { Kinds } from '../../api/constants.js';
import { TaskObject } from '../../reconciler/objects.js';
import { ApiError } from '../../reconciler/runtime/api-errors.js';
import { corePath, RestClient } from '../../reconciler/runtime/rest-client.js';

const TAIL_LINES = '5000';
const RETRY_MS = 2000;
const CONTAINER = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface LogTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

/** The Pod's life as far as the log is concerned; `missing` also when it cannot be read. */
async function podState(client: RestClient, t: LogTarget): Promise<'running' | 'ended' | 'missing'> {
  try {
    const pod = await client.get<{ status?: { phase?: string } }>(corePath('pods', t.namespace, t.pod));
    return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' ? 'ended' : 'running';
  } catch {
    return 'missing';
  }
}

/** A Task may name its Pod a moment before the Pod can be read: that long, a missing Pod is waited for. */
const MISSING_POD_RETRIES = 5;

/**
 * Streams the log into `send`; returns when the log ended, the client left, or it cannot be
 * read. With follow, what is not there yet is waited for while the Pod runs: a container that
 * has not started (400), a Pod not created yet (404, briefly), a log that ends before anything
 * came (the API server answers 204 No Content for a Pod without a node; nothing is repeated).
 */
export type Send = (event: string, data: unknown) => void;

export async function pump(client: RestClient, t: LogTarget, follow: boolean, send: Send, signal: AbortSignal): Promise<void> {
  for (let missing = 0; ;) {
    let waiting: string;
    try {
      const query = { container: t.container, follow: follow ? 'true' : undefined, tailLines: TAIL_LINES };
      const body = await client.stream(corePath('pods', t.namespace, t.pod, 'log'), query, signal);
      const decoder = new TextDecoder();
      let bytes = 0;
      for await (const chunk of body) {
        bytes += chunk.length;
        send('log', { text: decoder.decode(chunk, { stream: true }) });
      }
      if (bytes > 0 || !follow || await podState(client, t) !== 'running') {
        send('end', { bytes });
        return;
      }
      waiting = 'The API server returned no log yet (the container has not written any, or the Pod has no node)';
    } catch (e) {
      if (signal.aborted) return;
      const message = (toProblem(e, { action: 'read the logs of Pods', namespace: t.namespace }) as Error).message;
      const code = e instanceof ApiError ? e.code : 0;
      const state = follow && (code === 400 || code === 404) ? await podState(client, t) : 'ended';
      if (state === 'ended' || (state === 'missing' && ++missing > MISSING_POD_RETRIES)) {
        send('problem', { message });
        return;
      }
      waiting = message;
    }
    send('waiting', { message: waiting });
    await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
  }
}

export interface LogRequest {
  readonly container: string;
  /** A Pod of the Task (an earlier attempt's); the current one when unset. */
  readonly pod?: string;
  readonly follow: boolean;
}

/** `?container=&pod=&follow=1` (container `agent` by default); undefined without `container` unless `always`. */
export function logRequest(url: URL, always = true): LogRequest | undefined {
  const q = url.searchParams;
  if (!always && !q.has('container')) return undefined;
  const container = q.get('container') || 'agent';
  if (!CONTAINER.test(container)) throw problem(400, 'BadRequest', `"${container}" is not a container name`);
  return { container, pod: q.get('pod') || undefined, follow: q.get('follow') === '1' };
}

/** Where the log is: only a Pod of the Task itself, so no other Pod can be named. */
export function logTarget(task: TaskObject, r: LogRequest): LogTarget {
  const { namespace: ns, name } = task.metadata;
  const pods = new Set([task.status?.podName, ...(task.status?.attempts ?? []).map((a) => a.podName)].filter((p): p is string => !!p));
  const pod = r.pod ?? task.status?.podName;
  if (!pod) throw problem(404, 'NotFound', `Task ${ns}/${name} has no Pod yet (phase ${task.status?.phase ?? 'Pending'})`);
  if (!pods.has(pod)) throw problem(404, 'NotFound', `Pod ${pod} is not a Pod of Task ${ns}/${name}`);
  return { namespace: task.status?.podNamespace ?? ns, pod, container: r.container };
}

async function logStream(ctx: RouteContext): Promise<void> {
  const ns = namespaceParam(ctx.params[0]);
  const name = nameParam(ctx.params[1]);
  const session = await ctx.session();
  let task: TaskObject;
  try {
    task = await session.client.get<TaskObject>(crdPath(Kinds.task.plural, ns, name));
  } catch (e) {
    throw toProblem(e, { action: 'read Tasks', namespace: ns });
  }
  const request = logRequest(ctx.url)!;
  const t = logTarget(task, request);
  const stream = new EventStream(ctx.res);
  const abort = new AbortController();
  stream.onClose(() => abort.abort());
  await pump(session.client, t, request.follow, (event, data) => stream.send(event, data), abort.signal);
  stream.close();
}

export const logRoutes: Route[] = [
  { method: 'GET', pattern: /^\/api\/tasks\/([^/]+)\/([^/]+)\/logs$/, handler: logStream },
];
