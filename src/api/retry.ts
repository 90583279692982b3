/**
 * Retries: a Task whose attempt fails in a way worth trying again gets a new Pod after a
 * backoff. Which failures: the agent's (its Pod failed: an exit code, an init container,
 * an eviction), a lost Pod, a timeout; never a stop or an input error (a context that cannot
 * work, a Pod the API server refuses), which would fail the same way again.
 */
import { arr, int, JSONSchema, obj, Rule, str, timestamp, withRules } from './schema.js';

export const RETRYABLE_FAILURES = ['PodFailed', 'PodLost', 'Timeout'] as const;
export type RetryableFailure = (typeof RETRYABLE_FAILURES)[number];

export const MAX_RETRIES = 10;

export interface Backoff {
  readonly initialSeconds?: number;
  readonly factor?: number;
  readonly maxSeconds?: number;
}

export interface RetryPolicy {
  readonly limit?: number;
  readonly backoff?: Backoff;
  readonly retryOn?: readonly RetryableFailure[];
}

/** The backoff's defaults, as the CRD sets them. */
export const RetryDefaults = { initialSeconds: 10, factor: 2, maxSeconds: 600 } as const;

const backoffRule: Rule = {
  rule: '!has(self.maxSeconds) || !has(self.initialSeconds) || self.maxSeconds >= self.initialSeconds',
  message: 'maxSeconds must not be less than initialSeconds',
  holds: (b: Backoff) => b.maxSeconds === undefined || b.initialSeconds === undefined || b.maxSeconds >= b.initialSeconds,
};

export const retryPolicySchema = (whose: string): JSONSchema => obj(`How failed attempts are tried again. ${whose}`, {
  limit: int(`How many times a failed attempt is tried again (0 to ${MAX_RETRIES}). Default: 0, no retry.`, { minimum: 0, maximum: MAX_RETRIES, default: 0 }),
  backoff: withRules(obj('The wait before each retry: initialSeconds, times factor for each retry after the first, at most maxSeconds.', {
    initialSeconds: int('Wait before the first retry, in seconds. Default: 10.', { minimum: 1, maximum: 86_400, default: RetryDefaults.initialSeconds }),
    factor: int('Each further wait is this many times the one before. Default: 2.', { minimum: 1, maximum: 10, default: RetryDefaults.factor }),
    maxSeconds: int('The longest wait, in seconds. Default: 600.', { minimum: 1, maximum: 86_400, default: RetryDefaults.maxSeconds }),
  }), backoffRule),
  retryOn: arr('Which failures are tried again: PodFailed (the agent or another container failed, or the Pod was evicted), ' +
    'PodLost (the Pod disappeared), Timeout (the attempt ran past timeoutSeconds). Default: all three. A stop or an input error never is.',
  str('A kind of failure.', { enum: [...RETRYABLE_FAILURES] }), { 'maxItems': 3, 'x-kubernetes-list-type': 'set' }),
});

export interface TaskAttempt {
  readonly attempt: number;
  readonly podName: string;
  readonly startTime?: string;
  readonly completionTime?: string;
  readonly reason: string;
  readonly message?: string;
  readonly exitCode?: number;
}

export const attemptsSchema: JSONSchema = arr('Every attempt that ended, oldest first (only for Tasks with retries).', obj('One attempt.', {
  attempt: int('1 for the first attempt.', { minimum: 1 }),
  podName: str('The attempt\'s Pod.', { maxLength: 253 }),
  startTime: timestamp('When its Pod was created.'),
  completionTime: timestamp('When it ended.'),
  reason: str('How it ended: Succeeded, PodFailed, PodLost or Timeout.', { maxLength: 64 }),
  message: str('What happened, in the words of the Pod.', { maxLength: 1024 }),
  exitCode: int('The exit code of the container that failed, if one did.'),
}, { required: ['attempt', 'podName', 'reason'] }), { 'maxItems': MAX_RETRIES + 1, 'x-kubernetes-list-type': 'atomic' });
