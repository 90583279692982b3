/**
 * The list stream behind the Tasks, Agents and New Task pages: a snapshot of every Task and
 * Agent the user's shared watches hold, then their changes in batches (one message per
 * 100 ms at most, changes to the same object coalesced), so 5,000 Tasks changing at once
 * cost the browser a few messages, not thousands.
 */
import { namespaceList, Route, RouteContext } from './context.js';
import { EventStream, sendJson } from './http.js';
import { agentSummary, taskSummary } from './views.js';
import { AgentObject, TaskObject } from '../../reconciler/objects.js';
import type { Change, Changes, SessionInfo, Snapshot } from '../shared/types.js';

const BATCH_MS = 100;

async function sessionInfo(ctx: RouteContext): Promise<void> {
  const session = await ctx.session();
  const info: SessionInfo = {
    user: session.user,
    mode: session.credentials.id === 'kubeconfig' ? 'kubeconfig' : 'bearer',
    defaultNamespaces: ctx.defaultNamespaces,
  };
  sendJson(ctx.res, 200, info);
}

async function listStream(ctx: RouteContext): Promise<void> {
  const session = await ctx.session();
  await session.watch(ctx.defaultNamespaces, namespaceList(ctx.url.searchParams.get('namespaces')));
  const stream = new EventStream(ctx.res);
  session.streams++;

  const tasks = new Map<string, TaskObject | undefined>();
  const agents = new Map<string, AgentObject | undefined>();
  let timer: NodeJS.Timeout | undefined;
  let lastScope = JSON.stringify(session.tasks.scope());

  const flush = () => {
    timer = undefined;
    if (stream.closed) return;
    if (stream.congested) {
      stream.onDrain(schedule); // keep coalescing while the browser catches up
      return;
    }
    const batch: Changes = {
      tasks: [...tasks].map(([key, t]): Change<ReturnType<typeof taskSummary>> => ({ key, ...(t ? { object: taskSummary(t) } : {}) })),
      agents: [...agents].map(([key, a]): Change<ReturnType<typeof agentSummary>> => ({ key, ...(a ? { object: agentSummary(a) } : {}) })),
    };
    tasks.clear();
    agents.clear();
    stream.send('changes', batch);
    const scope = JSON.stringify(session.tasks.scope());
    if (scope !== lastScope) stream.send('scope', session.tasks.scope());
    lastScope = scope;
  };
  const schedule = () => {
    timer ??= setTimeout(flush, BATCH_MS);
  };
  const offTasks = session.tasks.on((key, obj) => {
    tasks.set(key, obj);
    schedule();
  });
  const offAgents = session.agents.on((key, obj) => {
    agents.set(key, obj);
    schedule();
  });

  const snapshot: Snapshot = {
    tasks: session.tasks.list().map(taskSummary),
    agents: session.agents.list().map(agentSummary),
    scope: session.tasks.scope(),
  };
  stream.send('snapshot', snapshot);
  const untrack = session.track(() => stream.close());
  stream.onClose(() => {
    untrack();
    clearTimeout(timer);
    offTasks();
    offAgents();
    session.streams--;
    session.lastUsed = Date.now();
  });
}

export const listRoutes: Route[] = [
  { method: 'GET', pattern: /^\/api\/session$/, handler: sessionInfo },
  { method: 'GET', pattern: /^\/api\/stream$/, handler: listStream },
];
