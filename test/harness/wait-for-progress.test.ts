import { waitForProgress } from '../../harness/wait.js';

describe('waitForProgress (a test helper; counts are plain functions here)', () => {
  test('a count that keeps growing is waited for, however long it takes in all', async () => {
    let calls = 0;
    const started = Date.now();
    await waitForProgress(() => ++calls, 20, { idleTimeoutMs: 50, intervalMs: 10, description: 'calls' });
    expect(calls).toBe(20);
    // Longer in all than the idle limit: only standing still fails it.
    expect(Date.now() - started).toBeGreaterThan(50);
  });

  test('a count that stands still fails with what it counted and where it stopped', async () => {
    await expect(waitForProgress(() => 3, 5, { idleTimeoutMs: 100, intervalMs: 10, description: 'Tasks finished' }))
      .rejects.toThrow('Stalled: Tasks finished stayed at 3 of 5 for 0.1 s');
  });

  test('a count that throws is looked at again, not a failure', async () => {
    let calls = 0;
    await waitForProgress(() => {
      calls++;
      if (calls % 2) throw new Error('connection refused');
      return calls;
    }, 6, { idleTimeoutMs: 1000, intervalMs: 5, description: 'calls' });
    expect(calls).toBe(6);
  });
});
