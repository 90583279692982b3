/** Waiting without fixed sleeps: poll until a probe answers, or until a count stops growing. */

import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Default 60 s: generous, because a loaded CI machine is slow, and polling makes it cost nothing when things are fast. */
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being waited for, for the timeout message ("namespace x to disappear"). */
  description: string;
}

/** What a `waitFor` probe returns: undefined, null and false mean "not yet". */
export type Probe<T> = () => Promise<T | undefined | null | false> | T | undefined | null | false;

/**
 * Polls `probe` until it returns something other than undefined, null or false, and
 * returns that. A probe that throws is retried; its last error ends up in the timeout message.
 */
export async function waitFor<T>(probe: Probe<T>, options: WaitOptions): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 200, description } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await probe();
      if (result !== undefined && result !== null && result !== false) return result;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${description}${cause}`);
    }
    await sleep(intervalMs);
  }
}

export interface ProgressOptions {
  /** Fail when the count has not grown for this long. Default 60 s. */
  idleTimeoutMs?: number;
  intervalMs?: number;
  /** What is being counted, for the failure message ("Tasks finished"). */
  description: string;
}

/**
 * Waits until `count()` reaches `target`, for as long as it keeps growing: it fails only when
 * the count stood still for idleTimeoutMs. A count that throws is retried. For runs of many objects, where a busy machine
 * makes the whole run slow but only a real stall stops the count.
 */
export async function waitForProgress(count: () => number | Promise<number>, target: number, options: ProgressOptions): Promise<void> {
  const { idleTimeoutMs = 60_000, intervalMs = 250, description } = options;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    let now = last;
    try {
      now = await count();
    } catch {
      // A failed look (e.g. a request during a restart) is no news; the next one counts.
    }
    if (now >= target) return;
    if (now !== last) [last, lastChange] = [now, Date.now()];
    if (Date.now() - lastChange >= idleTimeoutMs) {
      throw new Error(`Stalled: ${description} stayed at ${now} of ${target} for ${idleTimeoutMs / 1000} s`);
    }
    await sleep(intervalMs);
  }
}
