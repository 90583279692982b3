/**
 * What a stretch of a scenario cost, by process (CPU time from /proc) and in API requests
 * (the API server's own counters): on a 2-core machine the API server, etcd, the reconciler
 * and the bench share the cores, so this explains every other figure.
 */
import { BenchCluster } from './cluster.js';
import { Reconciler } from './reconciler.js';

export interface Usage {
  /** CPU ms by process. */
  readonly cpu: Record<string, number>;
  /** API requests by `VERB resource[/subresource]`, most first. */
  readonly requests: [string, number][];
}

export class CpuMeter {
  /**
   * Starts metering; resolves once the API server's counters are read, so nothing sent later is
   * missed. Several reconcilers (sharded mode) count as one: their CPU is added up.
   */
  public static async start(cluster: BenchCluster, ...reconcilers: Reconciler[]): Promise<CpuMeter> {
    const requests = await cluster.requestCounts().catch(() => new Map<string, number>());
    return new CpuMeter(cluster, reconcilers, requests);
  }

  private readonly start: Record<string, number>;

  private constructor(private readonly cluster: BenchCluster, private readonly reconcilers: readonly Reconciler[],
    private readonly requestsBefore: Map<string, number>) {
    this.start = this.read();
  }

  private read(): Record<string, number> {
    const reconciler = this.reconcilers.reduce((sum, r) => sum + r.cpuMs(), 0);
    return { ...this.cluster.cpuMs(), ...(this.reconcilers.length ? { reconciler } : {}) };
  }

  /** What was used since construction. */
  public async used(): Promise<Usage> {
    const end = this.read();
    const cpu = Object.fromEntries(Object.entries(end).map(([k, v]) => [k, v - (this.start[k] ?? 0)]));
    const before = this.requestsBefore;
    const after = await this.cluster.requestCounts().catch(() => new Map<string, number>());
    const requests = [...after].map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)])
      .filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]);
    return { cpu, requests };
  }
}

/** Logs, and keeps for the doc, what one unit of work cost. */
export function account(ctx: { notes: string[]; log: (line: string) => void }, what: string, usage: Usage, units: number, unit: string): void {
  const cpu = Object.entries(usage.cpu).map(([k, v]) => `${k} ${(v / units).toFixed(1)} ms`).join(', ');
  const requests = usage.requests.filter(([, v]) => v / units >= 0.05).map(([k, v]) => `${k} ${(v / units).toFixed(2)}`).join(', ');
  const line = `${what}, per ${unit}: CPU ${cpu}; API requests ${requests}`;
  ctx.log(line);
  ctx.notes.push(`- ${line}.`);
}
