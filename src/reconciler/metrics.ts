/**
 * Prometheus metrics of the reconciler, on a registry of its own (never prom-client's global one,
 * so tests and several controllers in one process don't collide). Gauges that describe state the
 * controller already holds (tasks by phase, queue depths, informer counters) are read through
 * callbacks at scrape time instead of being pushed on every change.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InformerStats } from './informer.js';

export type ReconcileResult = 'done' | 'requeue' | 'error';

/** Anything with a name and counters, normally an `Informer`. */
export interface InformerStatsSource {
  readonly name: string;
  stats(): InformerStats;
}

export interface MetricsOptions {
  /** Register process/Node.js default metrics (CPU, memory, event loop lag, GC). @default true */
  readonly defaultMetrics?: boolean;
}

const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const ADMISSION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class Metrics {
  public readonly registry = new Registry();

  private readonly collectors: {
    taskPhases: () => Readonly<Record<string, number>>;
    agentQueueDepths: () => Readonly<Record<string, number>>;
    workQueueDepth: () => number;
    leader: () => boolean;
  } = { taskPhases: () => ({}), agentQueueDepths: () => ({}), workQueueDepth: () => 0, leader: () => false };
  private readonly informers: InformerStatsSource[] = [];

  private readonly reconcileTotal: Counter<'kind' | 'result'>;
  private readonly reconcileErrors: Counter<'kind'>;
  private readonly reconcileDuration: Histogram<'kind'>;
  private readonly admissionLatency: Histogram<'agent'>;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const { collectors, informers } = this;

    new Gauge({
      name: 'kubeopencode_tasks',
      help: 'Tasks in the cache, by phase.',
      labelNames: ['phase'],
      registers,
      collect() {
        this.reset();
        for (const [phase, n] of Object.entries(collectors.taskPhases())) this.set({ phase }, n);
      },
    });
    new Gauge({
      name: 'kubeopencode_agent_queue_depth',
      help: 'Tasks waiting (phase Queued) for a slot of an Agent, by Agent (namespace/name).',
      labelNames: ['agent'],
      registers,
      collect() {
        this.reset();
        for (const [agent, n] of Object.entries(collectors.agentQueueDepths())) this.set({ agent }, n);
      },
    });
    new Gauge({
      name: 'kubeopencode_workqueue_depth',
      help: 'Keys waiting in the reconcile work queue.',
      registers,
      collect() {
        this.set(collectors.workQueueDepth());
      },
    });
    new Gauge({
      name: 'kubeopencode_leader',
      help: '1 while this replica holds the leader Lease, else 0.',
      registers,
      collect() {
        this.set(collectors.leader() ? 1 : 0);
      },
    });

    this.reconcileTotal = new Counter({
      name: 'kubeopencode_reconcile_total',
      help: 'Reconciles, by kind and result (done, requeue, error).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'kubeopencode_reconcile_errors_total',
      help: 'Reconciles that ended in an error, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'kubeopencode_reconcile_duration_seconds',
      help: 'Time spent in one reconcile, by kind.',
      labelNames: ['kind'],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.admissionLatency = new Histogram({
      name: 'kubeopencode_admission_latency_seconds',
      help: 'Time from a slot of an Agent freeing to the next queued Task being admitted, by Agent.',
      labelNames: ['agent'],
      buckets: ADMISSION_BUCKETS,
      registers,
    });

    // Informer counters live in the informers; these counters mirror them at scrape time.
    const informerCounter = (name: string, help: string, pick: (s: InformerStats) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['informer'],
        registers,
        collect() {
          this.reset();
          for (const i of informers) this.inc({ informer: i.name }, pick(i.stats()));
        },
      });
    };
    informerCounter('kubeopencode_informer_restarts_total', 'Watch restarts after an error, timeout or silence.', (s) => s.restarts);
    informerCounter('kubeopencode_informer_relists_total', 'Full LISTs after the first one (410 Gone, errors).', (s) => s.relists);
    informerCounter('kubeopencode_informer_errors_total', 'Failed LIST or WATCH requests.', (s) => s.errors);
    new Counter({
      name: 'kubeopencode_informer_events_total',
      help: 'Watch events received, by informer and type (ADDED, MODIFIED, DELETED, BOOKMARK).',
      labelNames: ['informer', 'type'],
      registers,
      collect() {
        this.reset();
        for (const i of informers) {
          for (const [type, n] of Object.entries(i.stats().events)) this.inc({ informer: i.name, type }, n);
        }
      },
    });
    new Gauge({
      name: 'kubeopencode_informer_synced',
      help: '1 once the informer has completed its first LIST.',
      labelNames: ['informer'],
      registers,
      collect() {
        this.reset();
        for (const i of informers) this.set({ informer: i.name }, i.stats().synced ? 1 : 0);
      },
    });

    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one reconcile; `error` also counts in kubeopencode_reconcile_errors_total. */
  public observeReconcile(kind: string, result: ReconcileResult, seconds: number): void {
    this.reconcileTotal.inc({ kind, result });
    this.reconcileDuration.observe({ kind }, seconds);
    if (result === 'error') this.reconcileErrors.inc({ kind });
  }

  /** Time from a slot of `agent` (namespace/name) freeing to the next Task's admission. */
  public observeAdmission(agent: string, seconds: number): void {
    this.admissionLatency.observe({ agent }, seconds);
  }

  /** `fn` returns Task counts by phase; include zeros for phases that should always show. */
  public setTaskPhaseCollector(fn: () => Readonly<Record<string, number>>): void {
    this.collectors.taskPhases = fn;
  }

  /** `fn` returns the number of Queued Tasks by Agent key. */
  public setAgentQueueDepthCollector(fn: () => Readonly<Record<string, number>>): void {
    this.collectors.agentQueueDepths = fn;
  }

  public setWorkQueueDepthCollector(fn: () => number): void {
    this.collectors.workQueueDepth = fn;
  }

  public setLeaderCollector(fn: () => boolean): void {
    this.collectors.leader = fn;
  }

  /** Exposes an informer's counters (restarts, relists, errors, events, synced). */
  public addInformer(source: InformerStatsSource): void {
    if (this.informers.some((i) => i.name === source.name)) {
      throw new Error(`an informer named ${source.name} is already registered`);
    }
    this.informers.push(source);
  }

  public get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  public expose(): Promise<string> {
    return this.registry.metrics();
  }
}
