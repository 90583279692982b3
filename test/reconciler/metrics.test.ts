import { InformerStats } from '../../src/reconciler/informer.js';
import { Metrics } from '../../src/reconciler/metrics.js';

const stats = (over: Partial<InformerStats> = {}): InformerStats => ({
  synced: true,
  lists: 3,
  pages: 3,
  relists: 2,
  restarts: 5,
  errors: 1,
  events: { ADDED: 7, MODIFIED: 4, DELETED: 1, BOOKMARK: 9, ERROR: 0 },
  ...over,
});

describe('Metrics', () => {
  test('exposes every kubeopencode metric name in Prometheus text format', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const text = await m.expose();
    for (const name of [
      'kubeopencode_tasks',
      'kubeopencode_agent_queue_depth',
      'kubeopencode_reconcile_total',
      'kubeopencode_reconcile_duration_seconds',
      'kubeopencode_reconcile_errors_total',
      'kubeopencode_admission_latency_seconds',
      'kubeopencode_workqueue_depth',
      'kubeopencode_leader',
      'kubeopencode_informer_restarts_total',
      'kubeopencode_informer_relists_total',
      'kubeopencode_informer_errors_total',
      'kubeopencode_informer_events_total',
      'kubeopencode_informer_synced',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(m.contentType).toContain('text/plain');
  });

  test('reconcile counters, error counter and duration histogram', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.observeReconcile('task', 'done', 0.02);
    m.observeReconcile('task', 'done', 0.03);
    m.observeReconcile('task', 'requeue', 0.5);
    m.observeReconcile('agent', 'error', 2);
    const text = await m.expose();
    expect(text).toContain('kubeopencode_reconcile_total{kind="task",result="done"} 2');
    expect(text).toContain('kubeopencode_reconcile_total{kind="task",result="requeue"} 1');
    expect(text).toContain('kubeopencode_reconcile_total{kind="agent",result="error"} 1');
    expect(text).toContain('kubeopencode_reconcile_errors_total{kind="agent"} 1');
    expect(text).not.toContain('kubeopencode_reconcile_errors_total{kind="task"}');
    expect(text).toContain('kubeopencode_reconcile_duration_seconds_bucket{le="0.025",kind="task"} 1');
    expect(text).toContain('kubeopencode_reconcile_duration_seconds_count{kind="task"} 3');
  });

  test('admission latency histogram per agent', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.observeAdmission('team-a/coder', 0.3);
    const text = await m.expose();
    expect(text).toContain('kubeopencode_admission_latency_seconds_count{agent="team-a/coder"} 1');
    expect(text).toContain('kubeopencode_admission_latency_seconds_sum{agent="team-a/coder"} 0.3');
  });

  test('gauges are read from the collectors at scrape time; vanished labels disappear', async () => {
    const m = new Metrics({ defaultMetrics: false });
    let depth: Record<string, number> = { 'ns/a': 2, 'ns/b': 1 };
    m.setTaskPhaseCollector(() => ({ Pending: 1, Running: 3, Queued: 0 }));
    m.setAgentQueueDepthCollector(() => depth);
    m.setWorkQueueDepthCollector(() => 4);
    m.setLeaderCollector(() => true);
    let text = await m.expose();
    expect(text).toContain('kubeopencode_tasks{phase="Running"} 3');
    expect(text).toContain('kubeopencode_tasks{phase="Queued"} 0');
    expect(text).toContain('kubeopencode_agent_queue_depth{agent="ns/b"} 1');
    expect(text).toContain('kubeopencode_workqueue_depth 4');
    expect(text).toContain('kubeopencode_leader 1');
    depth = { 'ns/a': 0 };
    text = await m.expose();
    expect(text).toContain('kubeopencode_agent_queue_depth{agent="ns/a"} 0');
    expect(text).not.toContain('agent="ns/b"');
  });

  test('informer counters mirror the informers\' stats (fake stats sources)', async () => {
    const m = new Metrics({ defaultMetrics: false });
    let tasks = stats();
    m.addInformer({ name: 'tasks', stats: () => tasks });
    m.addInformer({ name: 'pods', stats: () => stats({ synced: false, restarts: 0 }) });
    expect(() => m.addInformer({ name: 'tasks', stats: () => tasks })).toThrow(/already registered/);
    let text = await m.expose();
    expect(text).toContain('kubeopencode_informer_restarts_total{informer="tasks"} 5');
    expect(text).toContain('kubeopencode_informer_restarts_total{informer="pods"} 0');
    expect(text).toContain('kubeopencode_informer_relists_total{informer="tasks"} 2');
    expect(text).toContain('kubeopencode_informer_events_total{informer="tasks",type="BOOKMARK"} 9');
    expect(text).toContain('kubeopencode_informer_synced{informer="pods"} 0');
    tasks = stats({ restarts: 6 });
    text = await m.expose();
    expect(text).toContain('kubeopencode_informer_restarts_total{informer="tasks"} 6');
  });

  test('default process metrics are on by default, and two instances do not collide', async () => {
    const a = new Metrics();
    const b = new Metrics();
    const text = await a.expose();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(await b.expose()).toContain('process_resident_memory_bytes');
  });
});
