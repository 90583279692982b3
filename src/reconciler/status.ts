/**
 * Pure builders for Task status: phases, metav1-style conditions and the Event that
 * goes with each transition. The reconciler decides which one applies; these say what
 * the status then looks like.
 */
import { StatusPatch, TaskObject } from './objects.js';
import { Condition } from '../api/conditions.js';
import { ConditionType, Phase, Reason, TaskPhase } from '../api/constants.js';
import { TaskAttempt } from '../api/retry.js';
import { TaskStatus } from '../api/task.js';

export interface TaskEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** A status change and the Event announcing it. */
export interface Transition {
  readonly status: StatusPatch<TaskStatus>;
  readonly event?: TaskEvent;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Sets one condition in a list, keeping lastTransitionTime when the status did not
 * change (as meta.SetStatusCondition does).
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: ConditionInput, now: string, generation?: number): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const previous = i >= 0 ? list[i] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : now,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

export function conditionOf(task: TaskObject, type: string): Condition | undefined {
  return task.status?.conditions?.find((c) => c.type === type);
}

/** Whether a status patch would change anything the Task already shows. */
export function changes(task: TaskObject, patch: StatusPatch<TaskStatus>): boolean {
  const current = (task.status ?? {}) as Record<string, unknown>;
  return Object.entries(patch).some(([k, v]) => {
    if (v === null) return current[k] !== undefined;
    if (k === 'conditions') return !sameConditions(current[k] as Condition[] | undefined, v as Condition[]);
    return JSON.stringify(current[k]) !== JSON.stringify(v);
  });
}

function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[]): boolean {
  const strip = (list: readonly Condition[] | undefined) => JSON.stringify((list ?? []).map(({ lastTransitionTime: _t, ...c }) => c));
  return strip(a) === strip(b);
}

/** Builds transitions for one Task at one moment. */
export class TaskTransitions {
  constructor(private readonly task: TaskObject, private readonly now: string) {}

  private conditions(...inputs: ConditionInput[]): Condition[] {
    const generation = this.task.metadata.generation;
    return inputs.reduce<Condition[]>((list, c) => setCondition(list, c, this.now, generation), [...(this.task.status?.conditions ?? [])]);
  }

  private base(phase: TaskPhase): StatusPatch<TaskStatus> {
    return { phase, observedGeneration: this.task.metadata.generation };
  }

  public accepted(): Transition {
    return {
      status: { ...this.base(Phase.pending), conditions: this.conditions({ type: ConditionType.ready, status: 'Unknown', reason: Reason.accepted, message: 'The Task is waiting to start' }) },
      event: { type: 'Normal', reason: Reason.accepted, message: 'Task accepted' },
    };
  }

  /** Blocked by `reason`: Pending, and out of its Agent's queue until the blocker is gone. */
  public waiting(reason: string, message: string): Transition {
    const wasQueued = conditionOf(this.task, ConditionType.queued)?.status === 'True';
    return {
      status: {
        ...this.base(Phase.pending),
        queuePosition: null,
        conditions: this.conditions(
          { type: ConditionType.ready, status: 'False', reason, message },
          ...(wasQueued ? [{ type: ConditionType.queued, status: 'False' as const, reason, message }] : []),
        ),
      },
      event: { type: 'Warning', reason, message },
    };
  }

  /** A Pod that could not start its containers (see podStuck) runs after all. */
  public podRecovered(podName: string, podNamespace: string): Transition {
    const message = `Pod ${podNamespace}/${podName} is running`;
    return {
      status: { conditions: this.conditions({ type: ConditionType.ready, status: 'True', reason: Reason.podRunning, message }) },
      event: { type: 'Normal', reason: Reason.podRunning, message },
    };
  }

  public queued(position: number, limit: number, agent: string): Transition {
    const message = `Agent ${agent} is running its limit of ${limit} Tasks; this Task is number ${position} in the queue`;
    const wasQueued = conditionOf(this.task, ConditionType.queued)?.status === 'True';
    // A retry waiting for a slot stays Running (between attempts) while it holds its place in line.
    const phase = this.task.status?.nextAttemptTime ? Phase.running : Phase.queued;
    return {
      status: {
        ...this.base(phase),
        queuePosition: position,
        conditions: this.conditions({ type: ConditionType.queued, status: 'True', reason: Reason.agentAtCapacity, message }),
      },
      event: wasQueued ? undefined : { type: 'Normal', reason: Reason.agentAtCapacity, message },
    };
  }

  /** Admitted: a slot is taken and the Pod's name is known; the Pod is created next. */
  public admitted(podName: string, podNamespace: string, agent: string): Transition {
    const wasQueued = conditionOf(this.task, ConditionType.queued)?.status === 'True';
    const retry = this.task.status?.nextAttemptTime !== undefined;
    const message = retry ? `Attempt ${(this.task.status?.attempts?.length ?? 0) + 1} admitted to Agent ${agent}` : `Admitted to Agent ${agent}`;
    return {
      status: {
        ...this.base(Phase.running),
        podName,
        podNamespace,
        queuePosition: null,
        ...(retry ? { nextAttemptTime: null } : {}),
        conditions: this.conditions(
          ...(wasQueued ? [{ type: ConditionType.queued, status: 'False' as const, reason: Reason.admitted, message }] : []),
          ...(retry ? [{ type: ConditionType.retrying, status: 'False' as const, reason: Reason.retryStarted, message }] : []),
        ),
      },
      event: { type: 'Normal', reason: retry ? Reason.retryStarted : Reason.admitted, message },
    };
  }

  /**
   * A failed attempt is tried again after `nextAttemptAt`: the Task stays Running, gives its
   * slot back, and records the attempt.
   */
  public retryScheduled(attempts: readonly TaskAttempt[], nextAttemptAt: string, reason: string, message: string): Transition {
    const ended = attempts[attempts.length - 1];
    const why = `Attempt ${ended.attempt} failed (${reason}): ${message}; attempt ${ended.attempt + 1} starts at ${nextAttemptAt} at the earliest`;
    return {
      status: {
        ...this.base(Phase.running),
        podName: null,
        startTime: null,
        attempts: [...attempts],
        nextAttemptTime: nextAttemptAt,
        conditions: this.conditions(
          { type: ConditionType.ready, status: 'False', reason, message },
          { type: ConditionType.retrying, status: 'True', reason: Reason.retryScheduled, message: why },
        ),
      },
      event: { type: 'Warning', reason: Reason.retryScheduled, message: why },
    };
  }

  public podCreated(podName: string, podNamespace: string): Transition {
    const message = `Pod ${podNamespace}/${podName} created`;
    return {
      status: {
        ...this.base(Phase.running),
        startTime: this.now,
        conditions: this.conditions({ type: ConditionType.ready, status: 'True', reason: Reason.podRunning, message }),
      },
      event: { type: 'Normal', reason: 'PodCreated', message },
    };
  }

  /** Admitted and the Pod created in one step (Agents without a limit). */
  public started(podName: string, podNamespace: string, agent: string): Transition {
    const admitted = this.admitted(podName, podNamespace, agent);
    const created = this.podCreated(podName, podNamespace);
    const conditions = (admitted.status.conditions ?? []).filter((c) => c.type !== ConditionType.ready);
    return {
      status: {
        ...admitted.status,
        ...created.status,
        conditions: [...conditions, ...(created.status.conditions ?? []).filter((c) => c.type === ConditionType.ready)],
      },
      event: created.event,
    };
  }

  /** Ends the Task. Completed for success and user stops; Failed otherwise. */
  public finished(phase: 'Completed' | 'Failed', reason: string, message: string, extra: StatusPatch<TaskStatus> = {}, more: ConditionInput[] = []): Transition {
    const retrying = conditionOf(this.task, ConditionType.retrying)?.status === 'True';
    return {
      status: {
        ...this.base(phase),
        completionTime: this.now,
        queuePosition: null,
        ...(this.task.status?.nextAttemptTime ? { nextAttemptTime: null } : {}),
        ...extra,
        conditions: this.conditions(
          { type: ConditionType.ready, status: 'False', reason, message },
          ...(conditionOf(this.task, ConditionType.queued)?.status === 'True'
            ? [{ type: ConditionType.queued, status: 'False' as const, reason, message }] : []),
          ...(retrying ? [{ type: ConditionType.retrying, status: 'False' as const, reason, message }] : []),
          ...more,
        ),
      },
      event: { type: phase === 'Completed' ? 'Normal' : 'Warning', reason, message },
    };
  }

  public stopped(): Transition {
    const message = 'Task stopped by user via the kubeopencode.io/stop annotation';
    return this.finished(Phase.completed, Reason.userStopped, message, {}, [
      { type: ConditionType.stopped, status: 'True', reason: Reason.userStopped, message },
    ]);
  }
}
