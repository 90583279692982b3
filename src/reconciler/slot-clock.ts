/**
 * Remembers when slots of limited Agents free up, so that admission latency (slot freed
 * -> next Task admitted) can be measured where the admission happens.
 */
export class SlotClock {
  private readonly freedAt = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A Task of `agent` stopped holding a slot. */
  public freed(agent: string): void {
    const list = this.freedAt.get(agent) ?? [];
    list.push(this.now());
    // Nobody may be waiting; keep only recent marks.
    if (list.length > 1000) list.shift();
    this.freedAt.set(agent, list);
  }

  /** Claims the oldest freed slot: how long ago it freed, in seconds (undefined if none). */
  public claim(agent: string): number | undefined {
    const at = this.freedAt.get(agent)?.shift();
    return at === undefined ? undefined : (this.now() - at) / 1000;
  }

  /** Nothing waits for this Agent: earlier marks no longer describe a wait. */
  public reset(agent: string): void {
    this.freedAt.delete(agent);
  }
}
