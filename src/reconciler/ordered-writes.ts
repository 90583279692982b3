/**
 * The Running writes of admitted Tasks, each Agent's one after the other in the order they were
 * handed over, without holding up the Agent's next admission.
 *
 * Why: an Agent's reconcile admits Tasks in FIFO order and their Running writes must land in
 * that order too (that is what users and the FIFO tests see). Sent one after the other, they
 * took the Agent's key for one round trip each, and a slot that freed meanwhile waited behind
 * them. Now the reconcile creates the admitted Tasks' Pods, hands their writes here and
 * returns; the next admission can start at once. Until its write lands, a handed-over Task
 * holds its slot (its Pod exists, or `isPending` says so to planAdmission).
 *
 * A write that fails (false or an exception) cancels every write still queued for its Agent,
 * those handed over later included, so none lands out of order; when the Agent's writes have
 * all settled, `onSettled` tells its reconcile to look again, and it admits the cancelled Tasks
 * anew (their Pods exist) in FIFO order. Nothing here does I/O itself.
 */

/** One Task's write: resolves true when it landed, false when the Task changed meanwhile. */
export interface OrderedWrite {
  readonly key: string;
  readonly write: () => Promise<boolean>;
}

interface AgentWrites {
  tail: Promise<void>;
  queued: number;
  cancelled: boolean;
}

export class OrderedWrites {
  private readonly agents = new Map<string, AgentWrites>();
  private readonly pending = new Set<string>();

  /**
   * @param onSettled called with the Agent once its last queued write settled (landed, failed
   *   or cancelled): its status and any cancelled Tasks need another look
   * @param onError a write threw (it counts as failed)
   */
  constructor(private readonly onSettled: (agent: string) => void, private readonly onError: (key: string, error: unknown) => void) {}

  /** Whether the Task's write was handed over and has not settled yet. */
  public isPending(key: string): boolean {
    return this.pending.has(key);
  }

  /** Queues `writes` for `agent`, after every write queued for it before. */
  public append(agent: string, writes: readonly OrderedWrite[]): void {
    if (!writes.length) return;
    let state = this.agents.get(agent);
    if (!state) this.agents.set(agent, state = { tail: Promise.resolve(), queued: 0, cancelled: false });
    const s = state;
    for (const { key, write } of writes) {
      this.pending.add(key);
      s.queued++;
      s.tail = s.tail.then(async () => {
        try {
          if (!s.cancelled && !await write()) s.cancelled = true;
        } catch (e) {
          s.cancelled = true;
          this.onError(key, e);
        } finally {
          this.pending.delete(key);
          if (--s.queued === 0) {
            this.agents.delete(agent);
            this.onSettled(agent);
          }
        }
      });
    }
  }

  /** Waits until every queued write has settled (on shutdown). */
  public async flush(): Promise<void> {
    await Promise.all([...this.agents.values()].map((s) => s.tail));
  }

  /** Writes queued and not settled, over all Agents (for tests and leak checks). */
  public get size(): number {
    return this.pending.size;
  }
}
