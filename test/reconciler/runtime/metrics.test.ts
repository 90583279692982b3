import { InformerStats } from '../../../src/reconciler/runtime/informer.js';
import { Metrics } from '../../../src/reconciler/runtime/metrics.js';

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
  test('exposes every generic metric name under its prefix in Prometheus text format', async () => {
    const m = new Metrics({ prefix: 'kubeopencode', defaultMetrics: false });
    const text = await m.expose();
    for (const name of [
      'kubeopencode_reconcile_total',
      'kubeopencode_reconcile_duration_seconds',
      'kubeopencode_reconcile_errors_total',
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
    const m = new Metrics({ prefix: 'kubeopencode', defaultMetrics: false });
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

  test('gauges are read at scrape time; a domain gauge drops labels its source no longer returns', async () => {
    const m = new Metrics({ prefix: 'kubeopencode', defaultMetrics: false });
    let depth: Record<string, number> = { a: 2, b: 1 };
    m.gauge('things', 'Things by kind.', 'kind', () => depth);
    m.setWorkQueueDepthCollector(() => 4);
    m.setLeaderCollector(() => true);
    let text = await m.expose();
    expect(text).toContain('kubeopencode_things{kind="b"} 1');
    expect(text).toContain('kubeopencode_workqueue_depth 4');
    expect(text).toContain('kubeopencode_leader 1');
    depth = { a: 0 };
    text = await m.expose();
    expect(text).toContain('kubeopencode_things{kind="a"} 0');
    expect(text).not.toContain('kind="b"');
  });

  test('the prefix names every metric', async () => {
    const m = new Metrics({ prefix: 'other', defaultMetrics: false });
    m.observeReconcile('x', 'done', 0.1);
    const names = [...(await m.expose()).matchAll(/^# TYPE (\S+)/gm)].map((x) => x[1]);
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(name).toMatch(/^other_/);
  });

  test('informer counters mirror the informers\' stats (fake stats sources)', async () => {
    const m = new Metrics({ prefix: 'kubeopencode', defaultMetrics: false });
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
    const a = new Metrics({ prefix: 'kubeopencode' });
    const b = new Metrics({ prefix: 'kubeopencode' });
    const text = await a.expose();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(await b.expose()).toContain('process_resident_memory_bytes');
  });
});
