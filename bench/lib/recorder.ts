/**
 * One watcher for every timing the bench reports: Task and Pod events of the scenario's
 * namespaces, each stamped when this process received it. Task and Pod times then come
 * from the same observer and the same clock, whatever the reconciler's own clock says.
 */
import { KubeConfig, V1Pod, Watch } from '@kubernetes/client-node';
import { now } from './stats.js';
import { TaskObject } from '../../src/reconciler/objects.js';

export interface Seen<T> {
  readonly type: string;
  /** When the event reached this process (ms since the epoch, sub-ms resolution). */
  readonly at: number;
  readonly obj: T;
}

export type Kind = 'tasks' | 'pods';
const PATHS: Record<Kind, (ns: string) => string> = {
  tasks: (ns) => `/apis/kubeopencode.io/v1alpha1/namespaces/${ns}/tasks`,
  pods: (ns) => `/api/v1/namespaces/${ns}/pods`,
};

export class Recorder {
  /**
   * Starts watching (namespaces are fresh, so nothing happened in them yet). `kinds`: only
   * these, e.g. Pods alone in a namespace full of Tasks, whose initial ADDED events would
   * otherwise compete with what is measured.
   */
  public static async start(kc: KubeConfig, namespaces: readonly string[],
    options: { keepPodEvents?: 'added' | 'all'; kinds?: readonly Kind[] } = {}): Promise<Recorder> {
    const recorder = new Recorder(kc, options.keepPodEvents ?? 'added');
    const kinds = options.kinds ?? ['tasks', 'pods'];
    await Promise.all(namespaces.flatMap((ns) => kinds.map((kind) => recorder.watch(kind, ns))));
    return recorder;
  }

  public readonly tasks: Seen<TaskObject>[] = [];
  public readonly pods: Seen<V1Pod>[] = [];
  /** Called on every Task event, in the order the API server sent them. */
  public onTask?: (event: Seen<TaskObject>) => void;
  public readonly errors: unknown[] = [];
  private readonly watcher: Watch;
  private readonly aborts: AbortController[] = [];
  private stopped = false;

  private constructor(kc: KubeConfig, private readonly keepPodEvents: 'added' | 'all') {
    this.watcher = new Watch(kc);
  }

  /** Watches one kind in one namespace; on a clean end (client timeout) watches again from the last resourceVersion. */
  private async watch(kind: Kind, namespace: string, resourceVersion?: string): Promise<void> {
    let rv = resourceVersion;
    const abort = await this.watcher.watch(PATHS[kind](namespace), { allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) },
      (type: string, obj: { metadata?: { resourceVersion?: string } }) => {
        const at = now();
        rv = obj?.metadata?.resourceVersion ?? rv;
        if (type === 'BOOKMARK' || type === 'ERROR') return;
        if (kind === 'tasks') {
          const event = { type, at, obj: obj as TaskObject };
          this.tasks.push(event);
          this.onTask?.(event);
        } else if (type === 'ADDED' || this.keepPodEvents === 'all') {
          this.pods.push({ type, at, obj: obj as V1Pod });
        }
      },
      (err) => {
        if (this.stopped) return;
        if (err && (err as Error).name !== 'TimeoutError' && (err as Error).name !== 'AbortError') this.errors.push(err);
        this.watch(kind, namespace, rv).catch((e) => this.errors.push(e));
      });
    this.aborts.push(abort);
  }

  /** Time each Task's Pod was first seen, by Task `namespace/name` (from the Pod's annotations). */
  public podAddedByTask(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { at, obj } of this.pods) {
      const a = obj.metadata?.annotations ?? {};
      const key = `${a['kubeopencode.io/task-namespace']}/${a['kubeopencode.io/task']}`;
      if (!out.has(key)) out.set(key, at);
    }
    return out;
  }

  /** Time each Task was first seen (its ADDED event), by `namespace/name`. */
  public taskAdded(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { type, at, obj } of this.tasks) {
      const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
      if (type === 'ADDED' && !out.has(key)) out.set(key, at);
    }
    return out;
  }

  public stop(): void {
    this.stopped = true;
    for (const a of this.aborts) a.abort();
  }
}
