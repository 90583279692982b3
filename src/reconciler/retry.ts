/**
 * Whether a failed attempt of a Task is tried again, and when (pure). The Task's
 * retryPolicy replaces its Agent's as a whole; without one, nothing is retried.
 */
import { AgentObject, TaskObject } from './objects.js';
import { RETRYABLE_FAILURES, RetryableFailure, RetryDefaults, RetryPolicy, TaskAttempt } from '../api/retry.js';

/** How an attempt ended, as the status records it. */
export interface AttemptEnd {
  readonly reason: string;
  readonly message: string;
  readonly exitCode?: number;
}

/** The attempt a Task is at: 1, plus one for each attempt that ended and was tried again. */
export const currentAttempt = (task: TaskObject): number => (task.status?.attempts?.length ?? 0) + 1;

export type RetryDecision =
  | { readonly retry: false }
  | { readonly retry: true; readonly nextAttemptAt: Date; readonly nextAttempt: number };

export function retryPolicyOf(task: TaskObject, agent: AgentObject | undefined): RetryPolicy | undefined {
  return task.spec.retryPolicy ?? agent?.spec.retryPolicy;
}

/** Whether the Task keeps a record of its attempts: only when it may retry. */
export const recordsAttempts = (policy: RetryPolicy | undefined): boolean => (policy?.limit ?? 0) > 0;

/** The wait before retry number `retry` (1 for the first retry). */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const initial = policy.backoff?.initialSeconds ?? RetryDefaults.initialSeconds;
  const factor = policy.backoff?.factor ?? RetryDefaults.factor;
  const max = policy.backoff?.maxSeconds ?? RetryDefaults.maxSeconds;
  return Math.min(max, initial * factor ** (retry - 1)) * 1000;
}

const isRetryable = (reason: string): reason is RetryableFailure => (RETRYABLE_FAILURES as readonly string[]).includes(reason);

export function decideRetry(task: TaskObject, agent: AgentObject | undefined, end: AttemptEnd, now: Date): RetryDecision {
  const policy = retryPolicyOf(task, agent);
  if (!policy || !isRetryable(end.reason)) return { retry: false };
  if (!(policy.retryOn ?? RETRYABLE_FAILURES).includes(end.reason)) return { retry: false };
  const attempt = currentAttempt(task);
  const retriesUsed = attempt - 1;
  if (retriesUsed >= (policy.limit ?? 0)) return { retry: false };
  return { retry: true, nextAttempt: attempt + 1, nextAttemptAt: new Date(now.getTime() + backoffMs(policy, retriesUsed + 1)) };
}

/** The record of the attempt that just ended. */
export function attemptRecord(task: TaskObject, end: AttemptEnd, completionTime: string): TaskAttempt {
  return {
    attempt: currentAttempt(task),
    podName: task.status?.podName ?? '',
    startTime: task.status?.startTime,
    completionTime,
    reason: end.reason,
    message: end.message.slice(0, 1024),
    exitCode: end.exitCode,
  };
}

/** Whether the Task waits out a backoff (it holds no slot meanwhile). */
export const isWaitingToRetry = (task: TaskObject): boolean => !!task.status?.nextAttemptTime;

/** Whether a waiting retry's backoff is over: it may start, in its place in line. */
export const isRetryDue = (task: TaskObject, nowMs: number): boolean =>
  isWaitingToRetry(task) && Date.parse(task.status!.nextAttemptTime!) <= nowMs;
