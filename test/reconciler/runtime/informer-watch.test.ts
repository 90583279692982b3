import { Backoff } from '../../../src/reconciler/runtime/informer-watch.js';

describe('Backoff (fake clock)', () => {
  test('doubles from initialMs up to maxMs, without jitter', () => {
    let now = 1_000_000;
    const b = new Backoff({ initialMs: 500, maxMs: 30_000, jitter: 0, resetAfterMs: 60_000 }, () => now);
    const delays = Array.from({ length: 9 }, () => {
      now += 1_000;
      return b.next();
    });
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.consecutiveFailures).toBe(9);
  });

  test('jitter keeps each delay within [base * (1 - jitter), base]', () => {
    let now = 0;
    const b = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5 }, () => (now += 10));
    for (let i = 0; i < 200; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });

  test('a failure after a healthy period starts again from initialMs', () => {
    let now = 0;
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, jitter: 0, resetAfterMs: 60_000 }, () => now);
    now = 1;
    b.next();
    now = 2;
    b.next();
    now = 3;
    expect(b.next()).toBe(400);
    now += 60_001;
    expect(b.next()).toBe(100);
  });
});
