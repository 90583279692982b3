/**
 * A work queue with controller-runtime's semantics: a key waits in the queue at most
 * once; a key is never handed to two workers at once (added while in progress, it runs
 * again afterwards); failures back off exponentially per key; requeue-after timers.
 * Two priorities, as in controller-runtime's priority queue: keys added with 'low' (the
 * objects of an informer's first list) wait behind every 'normal' key, so a change made
 * while a controller works through 10,000 listed objects is not queued behind all of them.
 * A waiting low key added again as normal moves up.
 */

export type Priority = 'normal' | 'low';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface WorkQueueOptions {
  /** First retry delay after an error. @default 5 */
  readonly baseDelayMs?: number;
  /** Longest retry delay. @default 60000 */
  readonly maxDelayMs?: number;
  readonly clock?: Clock;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Low-priority keys in order; a key moved up stays here, but no longer in `lowKeys`. */
  private readonly low: string[] = [];
  private readonly lowKeys = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; handle: unknown }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly addedAt = new Map<string, number>();
  private closed = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly clock: Clock;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.clock = options.clock ?? realClock;
  }

  /** Queues a key unless it is already waiting (a waiting low key added as normal moves up). */
  public add(key: string, priority: Priority = 'normal'): void {
    if (this.closed) return;
    if (this.dirty.has(key)) {
      if (priority === 'normal' && this.lowKeys.delete(key)) this.queue.push(key);
      return;
    }
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return; // queued again when done()
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else if (priority === 'low') {
      this.low.push(key);
      this.lowKeys.add(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Queues a key after a delay; an earlier pending timer for the key wins. */
  public addAfter(key: string, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.clock.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, handle });
  }

  /** Queues a key after its backoff: base * 2^failures, capped. */
  public addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.addAfter(key, this.backoffFor(failures));
  }

  public backoffFor(failures: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(failures, 30));
  }

  /** Clears a key's failure count after a success. */
  public forget(key: string): void {
    this.failures.delete(key);
  }

  public numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to work on; undefined once the queue is shut down and empty. */
  public get(): Promise<string | undefined> {
    const key = this.queue.shift() ?? this.nextLow();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private nextLow(): string | undefined {
    for (let key = this.low.shift(); key !== undefined; key = this.low.shift()) {
      if (this.lowKeys.delete(key)) return key;
    }
    return undefined;
  }

  /** How long the key waited between being added and handed out; clears the mark. */
  public takeWaitTime(key: string): number | undefined {
    const at = this.addedAt.get(key);
    this.addedAt.delete(key);
    return at === undefined ? undefined : this.clock.now() - at;
  }

  /** Marks a key finished; if it was added meanwhile, it is queued again. */
  public done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    if (this.processing.size === 0) this.idleWaiters.splice(0).forEach((w) => w());
  }

  public get length(): number {
    return this.queue.length + this.lowKeys.size;
  }

  public get inProgress(): number {
    return this.processing.size;
  }

  /** Stops handing out keys; workers get undefined. Timers are cancelled. */
  public shutDown(): void {
    this.closed = true;
    for (const { handle } of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
    this.queue.length = 0;
    this.low.length = 0;
    this.lowKeys.clear();
    this.dirty.clear();
    this.waiters.splice(0).forEach((w) => w(undefined));
  }

  /** Resolves when no key is being processed. */
  public idle(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
