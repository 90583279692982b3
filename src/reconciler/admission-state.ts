/**
 * The one place where the controller remembers anything about admission between reconciles.
 *
 * Admission itself is decided from the API objects alone (`planAdmission` in admission.ts: the
 * Agent's Tasks, their phases and conditions, creation times). What is kept here makes that
 * cheaper and measurable, and is keyed by API identity, so a restart only costs a little work:
 *
 * 1. Checked new Tasks. A new Task (no phase yet) of an Agent with a limit is checked by its
 *    own reconcile (Agent found, namespace allowed, contexts resolved) and then waits for the
 *    Agent's reconcile to give it its first phase, Queued or Running: one status write instead
 *    of two. Invariant: a key is here only with the uid of a Task that has no phase yet and
 *    passed its checks in its latest reconcile. Every reconcile of the Task removes it first
 *    and adds it back only when it passes again; a Task that is deleted or gets a phase is
 *    dropped. After a restart the set is empty: each new Task is checked again by its own
 *    reconcile (the first list enqueues every Task), and until then it holds its place in line
 *    (planAdmission's bounded hold), so FIFO order is kept across the restart.
 *
 * 2. Write clocks per Agent: when its status and its Tasks' queue positions were last written,
 *    so that a busy Agent writes them at most once per status interval. Lost on restart: the
 *    next reconcile writes at once.
 *
 * 3. Freed slots per Agent, oldest first, for the admission latency metric (slot freed -> next
 *    Task admitted). A slot is marked freed once: by the reconcile whose own status write
 *    ended a Running Task, or by the watch when someone else did (a deletion); the informer
 *    fires no event for the reconciler's own writes, which it already cached. Lost on restart:
 *    one wait goes unmeasured.
 *
 * No method does I/O; every transition has a unit test (test/reconciler/admission-state.test.ts).
 */

/** Marks kept per Agent so that a freed slot nobody waits for cannot pile up. */
const MAX_FREED_MARKS = 1000;

interface AgentClocks {
  lastStatusWrite: number;
  lastPositionsWrite: number;
  /** When slots freed (ms), oldest first, not yet claimed by an admission. */
  freed: number[];
}

/** A Task as far as admission memory cares: its key (namespace/name) and uid. */
export interface TaskIdentity {
  readonly key: string;
  readonly uid?: string;
}

export class AdmissionState {
  private readonly checked = new Map<string, string>();
  private readonly agents = new Map<string, AgentClocks>();

  constructor(private readonly now: () => number = Date.now) {}

  // --- 1. Checked new Tasks -------------------------------------------------------------

  /** A new Task passed its checks in its own reconcile: it waits for its Agent's admission. */
  public taskChecked(task: TaskIdentity): void {
    if (task.uid) this.checked.set(task.key, task.uid);
  }

  /** A reconcile of the Task starts (it is checked afresh), it got its first phase, or it is gone. */
  public forgetTask(key: string): void {
    this.checked.delete(key);
  }

  /** Whether this very Task (same uid: not a new one of the same name) was checked. */
  public isChecked(task: TaskIdentity): boolean {
    return task.uid !== undefined && this.checked.get(task.key) === task.uid;
  }

  // --- 2. Write clocks ---------------------------------------------------------------------

  /** How long until the Agent's status may be written again (0: now). */
  public statusWriteWait(agent: string, intervalMs: number): number {
    const clocks = this.agents.get(agent);
    return clocks ? Math.max(0, clocks.lastStatusWrite + intervalMs - this.now()) : 0;
  }

  public statusWritten(agent: string): void {
    this.clocks(agent).lastStatusWrite = this.now();
  }

  /** Whether queue positions of Tasks already in line are due for a refresh. */
  public positionsRefreshDue(agent: string, intervalMs: number): boolean {
    return this.positionsRefreshWait(agent, intervalMs) === 0;
  }

  /** How long until queue positions may be refreshed again (0: now). */
  public positionsRefreshWait(agent: string, intervalMs: number): number {
    const clocks = this.agents.get(agent);
    return clocks ? Math.max(0, clocks.lastPositionsWrite + intervalMs - this.now()) : 0;
  }

  public positionsRefreshed(agent: string): void {
    this.clocks(agent).lastPositionsWrite = this.now();
  }

  // --- 3. Freed slots ------------------------------------------------------------------------

  /** A Task of `agent` stopped holding a slot. */
  public slotFreed(agent: string): void {
    const freed = this.clocks(agent).freed;
    freed.push(this.now());
    if (freed.length > MAX_FREED_MARKS) freed.shift();
  }

  /** A Task of `agent` was admitted: claims the oldest freed slot; seconds since it freed, if any. */
  public slotClaimed(agent: string): number | undefined {
    const at = this.agents.get(agent)?.freed.shift();
    return at === undefined ? undefined : (this.now() - at) / 1000;
  }

  /** Nothing waits for `agent` any more: earlier freed slots no longer describe a wait. */
  public queueEmptied(agent: string): void {
    const clocks = this.agents.get(agent);
    if (clocks) clocks.freed = [];
  }

  /** The Agent is gone: forget its clocks. */
  public agentGone(agent: string): void {
    this.agents.delete(agent);
  }

  /** How many Tasks and Agents are remembered (for tests and leak checks). */
  public get size(): { checkedTasks: number; agents: number } {
    return { checkedTasks: this.checked.size, agents: this.agents.size };
  }

  private clocks(agent: string): AgentClocks {
    let clocks = this.agents.get(agent);
    if (!clocks) this.agents.set(agent, clocks = { lastStatusWrite: 0, lastPositionsWrite: 0, freed: [] });
    return clocks;
  }
}
