/**
 * The product's own metrics, on the controller's registry: Tasks by phase, queue depth per
 * Agent, and admission latency (slot freed -> next Task admitted).
 */
import { Histogram } from 'prom-client';
import { Metrics } from './runtime/metrics.js';

const ADMISSION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The prefix of every metric of the controller. */
export const METRICS_PREFIX = 'kubeopencode';

export interface TaskMetricsSources {
  /** Task counts by phase. */
  readonly taskPhases: () => Readonly<Record<string, number>>;
  /** Queued Tasks by Agent (namespace/name). */
  readonly agentQueueDepths: () => Readonly<Record<string, number>>;
}

export class TaskMetrics {
  private readonly admissionLatency: Histogram<'agent'>;

  constructor(metrics: Metrics, sources: TaskMetricsSources) {
    metrics.gauge('tasks', 'Tasks in the cache, by phase.', 'phase', sources.taskPhases);
    metrics.gauge('agent_queue_depth', 'Tasks waiting (phase Queued) for a slot of an Agent, by Agent (namespace/name).', 'agent', sources.agentQueueDepths);
    this.admissionLatency = metrics.histogram('admission_latency_seconds',
      'Time from a slot of an Agent freeing to the next queued Task being admitted, by Agent.', 'agent', ADMISSION_BUCKETS);
  }

  /** Time from a slot of `agent` (namespace/name) freeing to the next Task's admission. */
  public observeAdmission(agent: string, seconds: number): void {
    this.admissionLatency.observe({ agent }, seconds);
  }
}
