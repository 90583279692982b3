import { TaskObject } from '../../src/reconciler/objects.js';
import { patchTaskStatusRetrying, TaskStatusWriter } from '../../src/reconciler/status-write.js';

/** A fake API (pure logic): one stored Task, resourceVersion checks as the API server does them, and a "someone else" hook. */
class FakeApi implements TaskStatusWriter {
  public patches = 0;
  constructor(public stored: TaskObject, private readonly otherWriter: (t: TaskObject, attempt: number) => TaskObject | undefined) {}
  async patchTaskStatus(task: TaskObject, status: Record<string, unknown>): Promise<TaskObject> {
    const other = this.otherWriter(this.stored, this.patches++);
    if (other) this.stored = { ...other, metadata: { ...other.metadata, resourceVersion: String(Number(this.stored.metadata.resourceVersion) + 1) } };
    if (task.metadata.resourceVersion !== this.stored.metadata.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
    const resourceVersion = String(Number(this.stored.metadata.resourceVersion) + 1);
    this.stored = { ...this.stored, status: { ...this.stored.status, ...status } as never, metadata: { ...this.stored.metadata, resourceVersion } };
    return this.stored;
  }
  async getTask(): Promise<TaskObject> {
    return this.stored;
  }
}

const reviewed = { type: 'example.com/Reviewed', status: 'True' as const, reason: 'R', message: 'by someone else', lastTransitionTime: '2026-01-01T00:00:00Z' };
const task: TaskObject = {
  metadata: { name: 't', namespace: 'n', uid: 'u', resourceVersion: '1', generation: 1 },
  spec: { description: 'x' },
  status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Accepted', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
};
const running = { phase: 'Running' as const, conditions: [{ type: 'Ready', status: 'True' as const, reason: 'PodRunning', message: 'm', lastTransitionTime: '2026-01-01T00:00:01Z' }] };

describe('patchTaskStatusRetrying (fake API, pure logic)', () => {
  test('a conflict with a label change and another owner\'s condition is retried on the fresh object, keeping both', async () => {
    const api = new FakeApi(task, (t, attempt) => (attempt < 3
      ? { ...t, metadata: { ...t.metadata, labels: { step: String(attempt) } }, status: { ...t.status!, conditions: [...t.status!.conditions!.filter((c) => c.type !== reviewed.type), { ...reviewed, message: `review ${attempt}` }] } }
      : undefined));
    const written = await patchTaskStatusRetrying(api, task, running);
    expect(api.patches).toBe(4);
    expect(written.metadata.labels).toEqual({ step: '2' });
    expect(written.status?.phase).toBe('Running');
    expect(written.status?.conditions).toEqual([running.conditions[0], { ...reviewed, message: 'review 2' }]);
  });

  test('a conflict with a change of what the decision rested on (the phase, the stop annotation) goes back to the caller with the fresh Task', async () => {
    for (const change of [(t: TaskObject) => ({ ...t, status: { ...t.status!, phase: 'Queued' as const } }),
      (t: TaskObject) => ({ ...t, metadata: { ...t.metadata, annotations: { 'kubeopencode.io/stop': 'true' } } })]) {
      const api = new FakeApi(task, (t, attempt) => (attempt === 0 ? change(t) : undefined));
      const error = await patchTaskStatusRetrying(api, task, running).catch((e: unknown) => e as { code: number; fresh: TaskObject });
      expect(error).toMatchObject({ code: 409, fresh: { metadata: { resourceVersion: '2' } } });
      expect(api.patches).toBe(1);
      expect(api.stored.status?.phase).not.toBe('Running');
    }
  });

  test('gives up after 8 retries against a writer that never stops', async () => {
    const api = new FakeApi(task, (t) => ({ ...t, metadata: { ...t.metadata, labels: { x: String(Math.random()) } } }));
    await expect(patchTaskStatusRetrying(api, task, running)).rejects.toMatchObject({ code: 409 });
    expect(api.patches).toBe(9);
  });
});
