/**
 * reconcileAgent: admits an Agent's waiting Tasks in FIFO order up to maxConcurrentTasks,
 * keeps the queue positions of the rest, and writes the Agent's status. The work queue
 * never runs one key twice at once, so admission for one Agent is never concurrent with
 * itself. An admission creates the Task's Pod, then records Running with it in a conditional
 * status write (in FIFO order, see ordered-writes.ts): until that write lands, the Pod or the
 * write on its way holds the slot, so neither a stale cache nor a restart can over-admit.
 */
import { holdsSlot, isStopRequested, isWaiting, planAdmission } from './admission.js';
import { childNames, createChildren, isOwnPod, renderChildren } from './children.js';
import { done, ReconcileContext, requeueAfter, Result, TASKS_BY_AGENT, taskKey } from './context.js';
import { isNamespaceAllowed } from './namespaces.js';
import { AgentObject, keyOf, TaskObject } from './objects.js';
import { isWaitingToRetry } from './retry.js';
import { isConflict, isNotFound } from './runtime/api-errors.js';
import { kubeTime } from './runtime/time.js';
import { patchTaskStatusRetrying, TaskChangedError } from './status-write.js';
import { conditionOf, setCondition, TaskEvent, TaskTransitions, Transition } from './status.js';
import { ConditionType, FINISHED_PHASES, Phase, Reason } from '../api/constants.js';

const WRITE_CONCURRENCY = 8;

export async function reconcileAgent(ctx: ReconcileContext, key: string): Promise<Result> {
  const agent = ctx.caches.agents.get(key);
  const tasks = ctx.caches.tasks.byIndex(TASKS_BY_AGENT, key);
  if (!agent) {
    // Each Task says for itself that its Agent is gone.
    for (const t of tasks) if (!isFinished(t)) ctx.enqueue(taskKey(keyOf(t)));
    ctx.admission.agentGone(key);
    return done;
  }
  for (const t of tasks) {
    if (conditionOf(t, ConditionType.ready)?.reason === Reason.agentNotFound && !isFinished(t)) ctx.enqueue(taskKey(keyOf(t)));
  }
  const limit = agent.spec.maxConcurrentTasks;
  const eligible = tasks.filter((t) => isNamespaceAllowed(agent, t.metadata.namespace));
  const results: Result[] = [];
  if (limit) {
    results.push(await admitAndQueue(ctx, agent, eligible, limit));
  } else {
    // Without a limit, Tasks start themselves; wake any left Queued by an earlier limit.
    const leftQueued = eligible.filter((task) => isWaiting(task) && task.status?.phase === Phase.queued);
    for (const task of leftQueued) ctx.enqueue(taskKey(keyOf(task)));
  }
  // Counted again: the admissions and queue writes above changed the cache, and their own
  // watch events will not wake this Agent (the cache already holds those versions).
  results.push(await writeAgentStatus(ctx, agent, ctx.caches.tasks.byIndex(TASKS_BY_AGENT, key)));
  return earliest(results);
}

const isFinished = (t: TaskObject): boolean => !!t.status?.phase && FINISHED_PHASES.includes(t.status.phase);

function earliest(results: Result[]): Result {
  const delays = results.map((r) => r.requeueAfterMs).filter((d): d is number => d !== undefined);
  return delays.length ? requeueAfter(Math.min(...delays)) : done;
}

async function admitAndQueue(ctx: ReconcileContext, agent: AgentObject, tasks: TaskObject[], limit: number): Promise<Result> {
  const agentName = keyOf(agent);
  const handedOver = (t: TaskObject) => ctx.admissionWrites.isPending(keyOf(t));
  const plan = planAdmission(tasks, limit, {
    nowMs: ctx.now().getTime(),
    isChecked: (t) => ctx.admission.isChecked({ key: keyOf(t), uid: t.metadata.uid }),
    agentCreatedMs: Date.parse(agent.metadata.creationTimestamp ?? '') || undefined,
    admittedBefore: (t) => handedOver(t) || hasOwnPod(ctx, t, agent),
  });
  // The Pods first, all at once; then the Running writes, which land one after the other in
  // FIFO order without holding this Agent's key (ordered-writes.ts). A Pod that exists before
  // its Task says Running holds the slot (planAdmission counts it), so a restart in between
  // neither loses nor doubles it.
  const admit = plan.admit.filter((t) => !handedOver(t));
  const withPod = await Promise.all(admit.map((task) => hasOwnPod(ctx, task, agent) || createPodOnAdmission(ctx, task, agent)));
  ctx.admissionWrites.append(agentName, admit.map((task, i) => ({ key: keyOf(task), write: () => recordAdmission(ctx, agent, task, withPod[i]) })));
  if (!plan.queue.length) ctx.admission.queueEmptied(agentName);
  return writeQueuePositions(ctx, agent, plan.queue, limit);
}

/**
 * Writes an admitted Task's Running status: with its Pod when it has one, otherwise as
 * admitted, and its own reconcile creates the Pod (and says why it cannot). False when the
 * Task changed meanwhile; a Pod made for a Task stopped or ended meanwhile is deleted.
 */
async function recordAdmission(ctx: ReconcileContext, agent: AgentObject, task: TaskObject, withPod: boolean): Promise<boolean> {
  const agentName = keyOf(agent);
  const { namespace, name } = childNames(task, agent);
  const transitions = new TaskTransitions(task, kubeTime(ctx.now()));
  const admitted = transitions.admitted(name, namespace, agentName);
  const written = withPod
    ? await writeTask(ctx, task, transitions.started(name, namespace, agentName), admitted.event)
    : await writeTask(ctx, task, admitted);
  if (!written) {
    const now = ctx.caches.tasks.get(keyOf(task));
    if (withPod && now && (isFinished(now) || isStopRequested(now))) await ctx.kube.deletePod(namespace, name);
    return false;
  }
  const waited = ctx.admission.slotClaimed(agentName);
  if (waited !== undefined) ctx.metrics?.observeAdmission(agentName, waited);
  ctx.enqueue(taskKey(keyOf(task)));
  return true;
}

/** Whether the Pod of the Task's current attempt exists (created by an admission not yet recorded). */
function hasOwnPod(ctx: ReconcileContext, task: TaskObject, agent: AgentObject): boolean {
  const { namespace, name } = childNames(task, agent);
  const pod = ctx.caches.pods.get(`${namespace}/${name}`);
  return !!pod && !pod.metadata?.deletionTimestamp && isOwnPod(pod, task);
}

/**
 * Creates an admitted Task's ConfigMap and Pod; false when that did not work out. Whatever
 * stopped it (a context that cannot be read, a refusal, a Pod left by an earlier Task of the
 * same name) is met again by the Task's own reconcile, which has the answer to each.
 */
async function createPodOnAdmission(ctx: ReconcileContext, task: TaskObject, agent: AgentObject): Promise<boolean> {
  try {
    const outcome = await createChildren(ctx, task, await renderChildren(ctx, task, agent));
    return outcome.kind === 'created';
  } catch (e) {
    ctx.logger.debug('admitted a Task without its Pod; its own reconcile creates it', { task: keyOf(task), error: String(e) });
    return false;
  }
}

/**
 * Newly queued Tasks are told at once; positions of Tasks already in line are refreshed at
 * most every statusIntervalMs, so a long queue does not turn each admission into a write
 * per waiting Task. And only where it tells something: exactly for the first
 * EXACT_POSITIONS in line, further back once the written position is 10% off (a Task at 400
 * learns it is at 360, not each step on the way): each Task's position is then rewritten
 * a few dozen times on its way to the front of a queue of thousands, not once per admission.
 */
export const EXACT_POSITIONS = 10;

export function positionOutdated(written: number | undefined, position: number): boolean {
  if (written === undefined) return true;
  if (written === position) return false;
  return position <= EXACT_POSITIONS || Math.abs(written - position) * 10 >= written;
}

type QueueEntry = { readonly task: TaskObject; readonly position: number };

async function writeQueuePositions(
  ctx: ReconcileContext, agent: AgentObject, queue: readonly QueueEntry[], limit: number,
): Promise<Result> {
  const agentName = keyOf(agent);
  const refreshDue = ctx.admission.positionsRefreshDue(agentName, ctx.statusIntervalMs);
  // In line: Queued, or a retry that stays Running between attempts.
  const inLine = (task: TaskObject) => task.status?.phase === Phase.queued || isWaitingToRetry(task);
  const stale = queue.filter(({ task, position }) => !inLine(task) || positionOutdated(task.status?.queuePosition, position));
  const due = stale.filter(({ task }) => refreshDue || !inLine(task));
  // One batch per pass: the Agent's key is busy while it writes, and a slot that frees
  // meanwhile must not wait behind hundreds of queue-position writes.
  const toWrite = due.slice(0, WRITE_CONCURRENCY);
  await Promise.all(toWrite.map(({ task, position }) =>
    writeTask(ctx, task, new TaskTransitions(task, kubeTime(ctx.now())).queued(position, limit, keyOf(agent)))));
  if (toWrite.length < due.length) return requeueAfter(0);
  if (refreshDue && toWrite.length) ctx.admission.positionsRefreshed(agentName);
  const pending = stale.length > toWrite.length;
  return pending ? requeueAfter(ctx.admission.positionsRefreshWait(agentName, ctx.statusIntervalMs)) : done;
}

/**
 * Writes a Task transition; false when the Task changed meanwhile. It is then re-read, and its
 * own reconcile is queued: the cache now holds the change (e.g. a stop request), so the watch
 * event that brings it may find nothing new and wake no one.
 */
async function writeTask(ctx: ReconcileContext, task: TaskObject, transition: Transition, earlierEvent?: TaskEvent): Promise<boolean> {
  try {
    const updated = await patchTaskStatusRetrying(ctx.kube, task, transition.status);
    ctx.caches.tasks.upsert(updated);
    ctx.admission.forgetTask(keyOf(task));
    for (const event of [earlierEvent, transition.event]) if (event) ctx.events.taskEvent(updated, event, ctx.now());
    return true;
  } catch (e) {
    if (!isConflict(e) && !isNotFound(e)) throw e;
    if (e instanceof TaskChangedError) {
      ctx.caches.tasks.upsert(e.fresh);
    } else {
      try {
        ctx.caches.tasks.upsert(await ctx.kube.getTask(task.metadata.namespace, task.metadata.name));
      } catch (again) {
        if (!isNotFound(again)) throw again;
      }
    }
    ctx.enqueue(taskKey(keyOf(task)));
    return false;
  }
}

async function writeAgentStatus(ctx: ReconcileContext, agent: AgentObject, tasks: TaskObject[]): Promise<Result> {
  const runningTasks = tasks.filter(holdsSlot).length;
  const queuedTasks = tasks.filter((t) => t.status?.phase === Phase.queued).length;
  const status = agent.status ?? {};
  const conditions = setCondition(status.conditions, { type: ConditionType.ready, status: 'True', reason: Reason.accepted, message: 'The Agent accepts Tasks' },
    kubeTime(ctx.now()), agent.metadata.generation);
  const unchanged = status.runningTasks === runningTasks && status.queuedTasks === queuedTasks
    && status.observedGeneration === agent.metadata.generation && JSON.stringify(status.conditions) === JSON.stringify(conditions);
  if (unchanged) return done;
  const wait = ctx.admission.statusWriteWait(keyOf(agent), ctx.statusIntervalMs);
  if (wait > 0) return requeueAfter(wait);
  try {
    const observedGeneration = agent.metadata.generation;
    ctx.caches.agents.upsert(await ctx.kube.patchAgentStatus(agent, { runningTasks, queuedTasks, observedGeneration, conditions }));
    ctx.admission.statusWritten(keyOf(agent));
  } catch (e) {
    // Deleted since it was read: its delete event brings its Tasks up to date.
    if (isNotFound(e)) return done;
    if (!isConflict(e)) throw e;
    return requeueAfter(0);
  }
  return done;
}

