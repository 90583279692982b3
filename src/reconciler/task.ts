/**
 * reconcileTask: brings one Task one step closer to where it should be, from fresh
 * state, idempotently. Admission to Agents with a limit happens in the Agent reconcile
 * (agent.ts), which is the one place that can count slots without racing.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { holdsSlot, isStopRequested } from './admission.js';
import { childNames, ContextError, createChildren, podFailure, podStuck, readOutputs, renderChildren } from './children.js';
import { cleanupFinished } from './cleanup.js';
import { agentKey, cronTaskKey, done, ReconcileContext, requeueAfter, Result } from './context.js';
import { isPermanentRejection, TaskGoneError } from './kube.js';
import { isNamespaceAllowed } from './namespaces.js';
import { AgentObject, agentKeyOf, keyOf, StatusPatch, TaskObject } from './objects.js';
import { RenderedTask } from './render.js';
import { AttemptEnd, attemptRecord, decideRetry, isWaitingToRetry, recordsAttempts, retryPolicyOf } from './retry.js';
import { apiMessage, isConflict, isNotFound } from './runtime/api-errors.js';
import { kubeTime } from './runtime/time.js';
import { patchTaskStatusRetrying, TaskChangedError } from './status-write.js';
import { changes, ConditionInput, conditionOf, TaskTransitions, Transition } from './status.js';
import { ConditionType, FINISHED_PHASES, Labels, Phase, Reason, TASK_CLEANUP_FINALIZER } from '../api/constants.js';
import { TaskStatus } from '../api/task.js';

export async function reconcileTask(ctx: ReconcileContext, key: string): Promise<Result> {
  const task = ctx.caches.tasks.get(key);
  // Checked again below if it is still new.
  ctx.admission.forgetTask(key);
  if (!task) return done;
  return new TaskReconcile(ctx, task).run();
}

const isCrossNamespace = (task: TaskObject): boolean =>
  task.spec.agentRef?.namespace !== undefined && task.spec.agentRef.namespace !== task.metadata.namespace;

class TaskReconcile {
  constructor(private readonly ctx: ReconcileContext, private task: TaskObject) {}

  private get transitions(): TaskTransitions {
    return new TaskTransitions(this.task, kubeTime(this.ctx.now()));
  }

  private get agentName(): string {
    const ref = agentKeyOf(this.task);
    return `${ref.namespace}/${ref.name}`;
  }

  private agent(): AgentObject | undefined {
    return this.ctx.caches.agents.get(this.agentName);
  }

  public async run(): Promise<Result> {
    try {
      return await this.step();
    } catch (e) {
      if (e instanceof TaskGoneError) {
        // Deleted while this reconcile ran: nothing is left to do (its delete event cleans up).
        this.ctx.logger.debug('the Task was deleted during its reconcile');
        return done;
      }
      if (!isConflict(e)) throw e;
      // Someone else changed the Task since it was read: take it as it is now and start over.
      if (e instanceof TaskChangedError) this.ctx.caches.tasks.upsert(e.fresh);
      else await this.refresh();
      return requeueAfter(0);
    }
  }

  private async step(): Promise<Result> {
    if (this.task.metadata.deletionTimestamp) return this.finalize();
    const phase = this.task.status?.phase;
    if (phase && FINISHED_PHASES.includes(phase)) return cleanupFinished(this.ctx, this.task);
    if (isCrossNamespace(this.task) && !this.task.metadata.finalizers?.includes(TASK_CLEANUP_FINALIZER)) {
      await this.setFinalizers([...(this.task.metadata.finalizers ?? []), TASK_CLEANUP_FINALIZER]);
    }
    if (isStopRequested(this.task)) return this.stop();
    if (phase === Phase.running) return this.whileRunning();
    return this.startOrWait();
  }

  /**
   * New, Pending or Queued: check what the Task needs, then start it or ask its Agent for a
   * slot. Every way out gives a new Task a phase in the same reconcile; one that can start
   * at once goes straight to Running, which saves a status write per Task.
   */
  private async startOrWait(): Promise<Result> {
    const isNew = !this.task.status?.phase;
    const agent = this.agent();
    if (!agent) {
      return this.block(Reason.agentNotFound, `Agent ${this.agentName} not found; the Task starts once it exists`);
    }
    if (!isNamespaceAllowed(agent, this.task.metadata.namespace)) {
      await this.write(this.transitions.finished(Phase.failed, Reason.namespaceNotAllowed,
        `Agent ${this.agentName} does not allow Tasks from namespace ${this.task.metadata.namespace} (allowedNamespaces: ${(agent.spec.allowedNamespaces ?? []).join(', ')})`));
      return done;
    }
    const limited = !!agent.spec.maxConcurrentTasks;
    const ready = conditionOf(this.task, ConditionType.ready);
    const blocked = ready?.status === 'False';
    if (limited && this.task.status?.phase === Phase.queued && !blocked) {
      // Already checked and waiting in line; its contexts are read again when its Pod is created.
      this.ctx.enqueue(agentKey(this.agentName));
      return done;
    }
    let rendered;
    try {
      rendered = await renderChildren(this.ctx, this.task, agent);
    } catch (e) {
      if (e instanceof ContextError) return this.contextError(e);
      throw e;
    }
    // A Task held only by its last Pod creation just tries again: that attempt rewrites Ready
    // either way, and clearing it first would write twice (and record two Events) per retry.
    const retryingCreate = !limited && ready?.reason === Reason.podCreationError;
    if (blocked && !retryingCreate) await this.write(this.transitions.accepted());
    if (limited) {
      // A limited Agent admits its Tasks itself, in FIFO order. A new Task gets its first
      // phase from there (Queued or Running): one status write instead of two.
      if (isNew) this.ctx.admission.taskChecked({ key: keyOf(this.task), uid: this.task.metadata.uid });
      this.ctx.enqueue(agentKey(this.agentName));
      return done;
    }
    // No limit: start at once. Creating the Pod before recording Running is safe here: after a
    // crash in between, the next reconcile finds the Pod and adopts it.
    const outcome = await this.create(rendered);
    if (outcome !== 'created') {
      // Not started (e.g. an older Pod of the same name still goes away): a new Task is Pending meanwhile.
      if (!this.task.status?.phase) await this.write(this.transitions.accepted());
      return outcome;
    }
    const { namespace, name } = childNames(this.task, agent);
    await this.write(this.transitions.started(name, namespace, this.agentName));
    return this.whileRunning();
  }

  /**
   * Running: create the Pod if it was only admitted so far, then follow it. Following it right
   * after creating matters: the "created" Pod may be one adopted from before a restart that has
   * already ended, and its end is then in the cache already, so no watch event will come for it.
   */
  private async whileRunning(): Promise<Result> {
    if (isWaitingToRetry(this.task)) return this.whileWaitingToRetry();
    const podName = this.task.status!.podName!;
    const podNamespace = this.task.status!.podNamespace!;
    if (!this.task.status?.startTime) return this.createAdmittedPod(podNamespace, podName);
    const pod = this.ctx.caches.pods.get(`${podNamespace}/${podName}`) ?? await this.ctx.kube.getPod(podNamespace, podName);
    if (!pod) return this.attemptEnded(Phase.failed, { reason: Reason.podLost, message: `Pod ${podNamespace}/${podName} disappeared while the Task was running` });
    switch (pod.status?.phase) {
      case 'Succeeded': return this.podEnded(pod, Phase.completed, { reason: Reason.succeeded, message: `Pod ${podNamespace}/${podName} succeeded` });
      case 'Failed': return this.podEnded(pod, Phase.failed, podFailure(pod));
      default: {
        const stuck = podStuck(pod);
        const ready = conditionOf(this.task, ConditionType.ready);
        if (stuck && ready?.reason !== stuck.reason) {
          await this.write({ status: { conditions: this.transitions.waiting(stuck.reason, stuck.message).status.conditions }, event: { type: 'Warning', reason: stuck.reason, message: stuck.message } });
        } else if (!stuck && ready?.status === 'False') {
          await this.write(this.transitions.podRecovered(podName, podNamespace));
        }
        return this.timeoutCheck();
      }
    }
  }

  /** Renders the Task's Pod and ConfigMap and creates them: 'created', or the Result that ends this reconcile. */
  private async renderAndCreate(agent: AgentObject): Promise<'created' | Result> {
    let rendered;
    try {
      rendered = await renderChildren(this.ctx, this.task, agent);
    } catch (e) {
      if (e instanceof ContextError) return e.retryable ? this.release(Reason.contextError, e.message) : this.fail(Reason.contextError, e.message);
      throw e;
    }
    return this.create(rendered);
  }

  private async createAdmittedPod(podNamespace: string, podName: string): Promise<Result> {
    const agent = this.agent();
    if (!agent) return this.release(Reason.agentNotFound, `Agent ${this.agentName} not found; the Task starts once it exists`);
    const outcome = await this.renderAndCreate(agent);
    if (outcome !== 'created') return outcome;
    await this.write(this.transitions.podCreated(podName, podNamespace));
    return this.whileRunning();
  }

  /**
   * Creates the ConfigMap and Pod. A refusal for good fails the Task; one that may pass later
   * (RBAC, quota) is shown in the Ready condition and retried with backoff.
   */
  private async create(rendered: RenderedTask): Promise<'created' | Result> {
    try {
      const outcome = await createChildren(this.ctx, this.task, rendered);
      return outcome.kind === 'stale' ? requeueAfter(1000) : 'created';
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) throw e;
      const message = `could not create the Pod: ${apiMessage(e)}`;
      if (isPermanentRejection(e)) return this.fail(Reason.podCreationError, message);
      const ready = conditionOf(this.task, ConditionType.ready);
      if (ready?.message !== message) {
        const waiting = this.transitions.waiting(Reason.podCreationError, message);
        // An admitted Task stays Running (it holds its slot) and says why it has no Pod yet;
        // a new one is Pending.
        const status = this.task.status?.phase === Phase.running ? { conditions: waiting.status.conditions } : waiting.status;
        await this.write({ status, event: waiting.event });
      }
      throw e;
    }
  }

  private async podEnded(pod: V1Pod, phase: 'Completed' | 'Failed', end: AttemptEnd): Promise<Result> {
    const outputs = readOutputs(pod);
    const captured = outputs.parameters ? { outputs: { parameters: outputs.parameters } } : {};
    return this.attemptEnded(phase, end, captured, outputs.condition ? [outputs.condition] : []);
  }

  /**
   * The current attempt ended: a failure its retryPolicy covers is tried again after a
   * backoff (the Task stays Running, without a slot); anything else ends the Task.
   */
  private async attemptEnded(phase: 'Completed' | 'Failed', end: AttemptEnd, extra: StatusPatch<TaskStatus> = {}, more: ConditionInput[] = []): Promise<Result> {
    const now = this.ctx.now();
    const record = attemptRecord(this.task, end, kubeTime(now));
    const attempts = [...(this.task.status?.attempts ?? []), record];
    const decision = phase === Phase.failed ? decideRetry(this.task, this.agent(), end, now) : { retry: false as const };
    if (decision.retry) {
      await this.write(this.transitions.retryScheduled(attempts, kubeTime(decision.nextAttemptAt), end.reason, end.message));
      return requeueAfter(decision.nextAttemptAt.getTime() - now.getTime());
    }
    const history = recordsAttempts(retryPolicyOf(this.task, this.agent())) ? { attempts } : {};
    await this.write(this.transitions.finished(phase, end.reason, end.message, { ...extra, ...history }, more));
    return cleanupFinished(this.ctx, this.task);
  }

  /**
   * Between attempts: after the backoff the next attempt starts, at once without a limit, or
   * when the Agent admits it (in its original place in line) with one.
   */
  private async whileWaitingToRetry(): Promise<Result> {
    const left = Date.parse(this.task.status!.nextAttemptTime!) - this.ctx.now().getTime();
    if (left > 0) return requeueAfter(left);
    const agent = this.agent();
    if (!agent) return this.release(Reason.agentNotFound, `Agent ${this.agentName} not found; the Task starts once it exists`);
    if (agent.spec.maxConcurrentTasks) {
      this.ctx.enqueue(agentKey(this.agentName));
      return done;
    }
    const outcome = await this.renderAndCreate(agent);
    if (outcome !== 'created') return outcome;
    const { namespace, name } = childNames(this.task, agent);
    await this.write(this.transitions.started(name, namespace, this.agentName));
    return this.whileRunning();
  }

  /** Fails the Task when it ran past timeoutSeconds; otherwise looks again when it would. */
  private async timeoutCheck(): Promise<Result> {
    const timeout = this.task.spec.timeoutSeconds;
    const start = this.task.status?.startTime;
    if (!timeout || !start) return done;
    const left = Date.parse(start) + timeout * 1000 - this.ctx.now().getTime();
    if (left > 0) return requeueAfter(left);
    await this.deletePod();
    return this.attemptEnded(Phase.failed, { reason: Reason.timeout, message: `The Task ran longer than its timeoutSeconds (${timeout})` });
  }

  private async stop(): Promise<Result> {
    await this.deletePod();
    await this.write(this.transitions.stopped());
    return done;
  }

  /** Deletes the Pod with its grace period, so the agent can stop cleanly. */
  private async deletePod(): Promise<void> {
    const { podName, podNamespace } = this.task.status ?? {};
    if (podName && podNamespace) return this.ctx.kube.deletePod(podNamespace, podName);
    // Not recorded yet: its Agent's admission may have just created it (see admitAndQueue).
    const { namespace, name } = childNames(this.task, { metadata: { namespace: agentKeyOf(this.task).namespace } });
    if (this.ctx.caches.pods.get(`${namespace}/${name}`)) await this.ctx.kube.deletePod(namespace, name);
  }

  /** The Task is being deleted: remove its cross-namespace children, then let it go. */
  private async finalize(): Promise<Result> {
    if (!this.task.metadata.finalizers?.includes(TASK_CLEANUP_FINALIZER)) return done;
    const agentNamespace = this.task.status?.podNamespace ?? agentKeyOf(this.task).namespace;
    // Every attempt's Pod and ConfigMap: the current one's, and those of attempts that were retried.
    const current = childNames(this.task, { metadata: { namespace: agentNamespace } }).name;
    const names = new Set([current, ...(this.task.status?.attempts ?? []).map((a) => a.podName)]);
    for (const name of names) {
      await this.ctx.kube.deletePod(agentNamespace, name);
      await this.ctx.kube.deleteConfigMap(agentNamespace, name);
    }
    try {
      await this.setFinalizers((this.task.metadata.finalizers ?? []).filter((f) => f !== TASK_CLEANUP_FINALIZER));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.ctx.enqueue(agentKey(this.agentName));
    return done;
  }

  private async block(reason: string, message: string): Promise<Result> {
    const ready = conditionOf(this.task, ConditionType.ready);
    if (ready?.reason !== reason || ready.message !== message) await this.write(this.transitions.waiting(reason, message));
    return done;
  }

  private async contextError(e: ContextError): Promise<Result> {
    if (!e.retryable) return this.fail(Reason.contextError, e.message);
    await this.block(Reason.contextError, e.message);
    return requeueAfter(this.ctx.contextRetryMs);
  }

  /** Gives an admitted Task's slot back: it waits again, blocked by `reason`. */
  private async release(reason: string, message: string): Promise<Result> {
    const waiting = this.transitions.waiting(reason, message);
    await this.write({ status: { ...waiting.status, podName: null, podNamespace: null }, event: waiting.event });
    this.ctx.enqueue(agentKey(this.agentName));
    return reason === Reason.contextError ? requeueAfter(this.ctx.contextRetryMs) : done;
  }

  private async fail(reason: string, message: string): Promise<Result> {
    await this.write(this.transitions.finished(Phase.failed, reason, message));
    return done;
  }

  /** Writes a transition (if it changes anything), keeps the cache current, records the Event. */
  private async write(transition: Transition): Promise<void> {
    if (!changes(this.task, transition.status)) return;
    const heldSlot = holdsSlot(this.task);
    const phaseBefore = this.task.status?.phase;
    const updated = await patchTaskStatusRetrying(this.ctx.kube, this.task, transition.status);
    this.ctx.caches.tasks.upsert(updated);
    this.task = updated;
    if (transition.event) this.ctx.events.taskEvent(updated, transition.event, this.ctx.now());
    if (transition.event) this.ctx.logger.info(transition.event.message, { phase: updated.status?.phase, reason: transition.event.reason });
    if (heldSlot && !holdsSlot(updated)) {
      // A slot is free: the Agent admits the next Task now, not on a timer.
      this.ctx.admission.slotFreed(this.agentName);
      this.ctx.enqueue(agentKey(this.agentName));
    }
    // This write's watch event finds the cache current and wakes no one: tell the CronTask
    // that made the Task (Forbid waits for it to end; history counts finished ones).
    const cronTask = updated.metadata.labels?.[Labels.cronTask];
    if (cronTask && updated.status?.phase !== phaseBefore) this.ctx.enqueue(cronTaskKey(`${updated.metadata.namespace}/${cronTask}`));
  }

  private async setFinalizers(finalizers: string[]): Promise<void> {
    const updated = await this.ctx.kube.setTaskFinalizers(this.task, finalizers);
    this.ctx.caches.tasks.upsert(updated);
    this.task = updated;
  }

  private async refresh(): Promise<void> {
    try {
      this.ctx.caches.tasks.upsert(await this.ctx.kube.getTask(this.task.metadata.namespace, this.task.metadata.name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
