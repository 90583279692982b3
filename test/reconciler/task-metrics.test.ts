import { Metrics } from '../../src/reconciler/runtime/metrics.js';
import { METRICS_PREFIX, TaskMetrics } from '../../src/reconciler/task-metrics.js';

describe('TaskMetrics', () => {
  test('Tasks by phase and queue depth per Agent are read at scrape time', async () => {
    const m = new Metrics({ prefix: METRICS_PREFIX, defaultMetrics: false });
    let depth: Record<string, number> = { 'ns/a': 2, 'ns/b': 1 };
    new TaskMetrics(m, { taskPhases: () => ({ Pending: 1, Running: 3, Queued: 0 }), agentQueueDepths: () => depth });
    let text = await m.expose();
    expect(text).toContain('kubeopencode_tasks{phase="Running"} 3');
    expect(text).toContain('kubeopencode_tasks{phase="Queued"} 0');
    expect(text).toContain('kubeopencode_agent_queue_depth{agent="ns/b"} 1');
    depth = { 'ns/a': 0 };
    text = await m.expose();
    expect(text).toContain('kubeopencode_agent_queue_depth{agent="ns/a"} 0');
    expect(text).not.toContain('agent="ns/b"');
  });

  test('admission latency histogram per agent', async () => {
    const m = new Metrics({ prefix: METRICS_PREFIX, defaultMetrics: false });
    const tasks = new TaskMetrics(m, { taskPhases: () => ({}), agentQueueDepths: () => ({}) });
    tasks.observeAdmission('team-a/coder', 0.3);
    const text = await m.expose();
    expect(text).toContain('kubeopencode_admission_latency_seconds_count{agent="team-a/coder"} 1');
    expect(text).toContain('kubeopencode_admission_latency_seconds_sum{agent="team-a/coder"} 0.3');
  });
});
