import { Clock, WorkQueue } from '../../../src/reconciler/runtime/workqueue.js';

/** A fake clock for the queue's timers (pure logic; no real time passes). */
class FakeClock implements Clock {
  private time = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 0;
  now() { return this.time; }
  setTimeout(fn: () => void, ms: number) { const id = this.next++; this.timers.push({ at: this.time + ms, fn, id }); return id; }
  clearTimeout(id: unknown) { this.timers = this.timers.filter((t) => t.id !== id); }
  advance(ms: number) {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.time);
    due.forEach((t) => t.fn());
  }
}

describe('WorkQueue (fake clock)', () => {
  test('dedups a key that is waiting', async () => {
    const q = new WorkQueue();
    q.add('a'); q.add('a'); q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  test('never hands out a key twice at once; re-added while in progress, it comes back after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    q.add('b');
    expect(await q.get()).toBe('b');
    q.done(key!);
    expect(await q.get()).toBe('a');
  });

  test('low keys wait behind every normal key, in their own order', async () => {
    const q = new WorkQueue();
    q.add('listed-1', 'low'); q.add('listed-2', 'low'); q.add('new');
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['new', 'listed-1', 'listed-2']);
    expect(q.length).toBe(0);
  });

  test('a waiting low key added as normal moves up, once; added as low again it stays where it is', async () => {
    const q = new WorkQueue();
    q.add('a', 'low'); q.add('b', 'low'); q.add('c', 'low');
    q.add('b', 'low');
    q.add('c');
    q.add('c');
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['c', 'a', 'b']);
    q.done('a'); q.done('b'); q.done('c');
    q.add('x', 'low');
    expect(await q.get()).toBe('x');
    expect(q.length).toBe(0);
  });

  test('a low key added while in progress comes back after done(), and shutDown drops low keys', async () => {
    const q = new WorkQueue();
    q.add('a', 'low');
    const a = await q.get();
    q.add('a', 'low');
    q.done(a!);
    expect(await q.get()).toBe('a');
    q.add('b', 'low');
    q.shutDown();
    expect(q.length).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  test('backs off exponentially per key, and forget() resets it', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50, clock });
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.numRequeues('a')).toBe(2);
    expect([0, 1, 2, 3, 4].map((n) => q.backoffFor(n))).toEqual([10, 20, 40, 50, 50]);
    clock.advance(9);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  test('addAfter: the earliest pending time wins', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 30);
    q.addAfter('a', 500);
    clock.advance(30);
    expect(q.length).toBe(1);
    clock.advance(1000);
    expect(q.length).toBe(1);
  });

  test('shutDown releases waiting workers and drops timers', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const waiting = q.get();
    q.addAfter('x', 10);
    q.shutDown();
    expect(await waiting).toBeUndefined();
    clock.advance(100);
    expect(q.length).toBe(0);
  });
});
