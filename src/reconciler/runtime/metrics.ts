/**
 * Prometheus metrics of a controller, on a registry of its own (never prom-client's global one,
 * so tests and several controllers in one process don't collide): reconciles, the work queue,
 * leadership and informers. Gauges that describe state the controller already holds are read
 * through callbacks at scrape time instead of being pushed on every change; `gauge()` and
 * `histogram()` let the domain add its own metrics under the same prefix.
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
  /** Prefix of every metric name, e.g. `kubeopencode` gives `kubeopencode_reconcile_total`. */
  readonly prefix: string;
  /** Register process/Node.js default metrics (CPU, memory, event loop lag, GC). @default true */
  readonly defaultMetrics?: boolean;
}

const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  public readonly registry = new Registry();
  public readonly prefix: string;

  private readonly collectors: { workQueueDepth: () => number; leader: () => boolean } = { workQueueDepth: () => 0, leader: () => false };
  private readonly informers: InformerStatsSource[] = [];

  private readonly reconcileTotal: Counter<'kind' | 'result'>;
  private readonly reconcileErrors: Counter<'kind'>;
  private readonly reconcileDuration: Histogram<'kind'>;

  constructor(options: MetricsOptions) {
    this.prefix = options.prefix;
    const registers = [this.registry];
    const { collectors, informers } = this;

    new Gauge({
      name: this.name('workqueue_depth'),
      help: 'Keys waiting in the reconcile work queue.',
      registers,
      collect() {
        this.set(collectors.workQueueDepth());
      },
    });
    new Gauge({
      name: this.name('leader'),
      help: '1 while this replica holds the leader Lease, else 0.',
      registers,
      collect() {
        this.set(collectors.leader() ? 1 : 0);
      },
    });

    this.reconcileTotal = new Counter({
      name: this.name('reconcile_total'),
      help: 'Reconciles, by kind and result (done, requeue, error).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: this.name('reconcile_errors_total'),
      help: 'Reconciles that ended in an error, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.reconcileDuration = this.histogram('reconcile_duration_seconds', 'Time spent in one reconcile, by kind.', 'kind', RECONCILE_BUCKETS);

    // Informer counters live in the informers; these counters mirror them at scrape time.
    const informerCounter = (name: string, help: string, pick: (s: InformerStats) => number): void => {
      new Counter({
        name: this.name(name),
        help,
        labelNames: ['informer'],
        registers,
        collect() {
          this.reset();
          for (const i of informers) this.inc({ informer: i.name }, pick(i.stats()));
        },
      });
    };
    informerCounter('informer_restarts_total', 'Watch restarts after an error, timeout or silence.', (s) => s.restarts);
    informerCounter('informer_relists_total', 'Full LISTs after the first one (410 Gone, errors).', (s) => s.relists);
    informerCounter('informer_errors_total', 'Failed LIST or WATCH requests.', (s) => s.errors);
    new Counter({
      name: this.name('informer_events_total'),
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
    this.gauge('informer_synced', '1 once the informer has completed its first LIST.', 'informer',
      () => Object.fromEntries(informers.map((i) => [i.name, i.stats().synced ? 1 : 0])));

    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  private name(suffix: string): string {
    return `${this.prefix}_${suffix}`;
  }

  /**
   * A gauge with one label, read from `values` (label value -> number) at scrape time; label
   * values that `values` no longer returns disappear.
   */
  public gauge(name: string, help: string, label: string, values: () => Readonly<Record<string, number>>): void {
    new Gauge({
      name: this.name(name),
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [value, n] of Object.entries(values())) this.set({ [label]: value }, n);
      },
    });
  }

  /** A histogram with one label. */
  public histogram<L extends string>(name: string, help: string, label: L, buckets: number[]): Histogram<L> {
    return new Histogram({ name: this.name(name), help, labelNames: [label], buckets, registers: [this.registry] });
  }

  /** Counts one reconcile; `error` also counts in <prefix>_reconcile_errors_total. */
  public observeReconcile(kind: string, result: ReconcileResult, seconds: number): void {
    this.reconcileTotal.inc({ kind, result });
    this.reconcileDuration.observe({ kind }, seconds);
    if (result === 'error') this.reconcileErrors.inc({ kind });
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
