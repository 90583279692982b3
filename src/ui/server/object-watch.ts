/**
 * Watches of a few objects that a Task page needs (its Pod, its Events), shared by every tab
 * of one user that shows the same Task and stopped when the last one closes. A first LIST
 * finds out whether the user may read them at all: a 403 becomes a message for the page
 * instead of an informer retrying forever.
 */
import { forbiddenMessage } from './problems.js';
import { apiMessage, httpStatusOf } from '../../reconciler/runtime/api-errors.js';
import { Informer } from '../../reconciler/runtime/informer.js';
import { listPage } from '../../reconciler/runtime/list-request.js';
import { Logger } from '../../reconciler/runtime/logger.js';
import { RestClient } from '../../reconciler/runtime/rest-client.js';
import { KubeObject } from '../../reconciler/runtime/store.js';

export interface ObjectWatchSpec {
  /** A core or CRD list path in one namespace. */
  readonly path: string;
  readonly fieldSelector: string;
  readonly namespace: string;
  /** For a 403: "read Pods". */
  readonly action: string;
}

export type Snapshot<T> = { readonly objects: readonly T[] } | { readonly problem: string };

interface Entry {
  readonly informer: Informer<KubeObject>;
  readonly listeners: Set<() => void>;
  readonly ready: Promise<void>;
  linger?: NodeJS.Timeout;
}

/** An unused watch stays this long: a page that reopens its stream (another container's log) finds it still open. */
const LINGER_MS = 15_000;

export class ObjectWatches {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly client: RestClient, private readonly log: Logger) {}

  /**
   * Calls `onChange` with the current objects now and after every change, until the returned
   * function is called. A refusal is reported once, as a problem.
   */
  public subscribe<T>(spec: ObjectWatchSpec, onChange: (s: Snapshot<T>) => void): () => void {
    const key = `${spec.path}?${spec.fieldSelector}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.open(spec);
      this.entries.set(key, entry);
    }
    const e = entry;
    clearTimeout(e.linger);
    let closed = false;
    const listener = () => {
      if (!closed) onChange({ objects: e.informer.store.list() as T[] });
    };
    e.listeners.add(listener);
    e.ready.then(listener, (err) => {
      if (!closed) onChange({ problem: messageOf(err, spec) });
    });
    return () => {
      closed = true;
      e.listeners.delete(listener);
      if (e.listeners.size > 0 || this.entries.get(key) !== e) return;
      e.linger = setTimeout(() => {
        if (e.listeners.size > 0 || this.entries.get(key) !== e) return;
        this.entries.delete(key);
        void e.informer.stop();
      }, LINGER_MS);
      e.linger.unref();
    };
  }

  private open(spec: ObjectWatchSpec): Entry {
    const listeners = new Set<() => void>();
    const informer = new Informer<KubeObject>({
      name: spec.path, kc: this.client.kc, listPath: spec.path, fieldSelector: spec.fieldSelector, logger: this.log,
    });
    const fire = () => listeners.forEach((l) => l());
    informer.onAdd(fire).onUpdate(fire).onDelete(fire);
    // Probe first: the informer itself would retry a 403 forever.
    const ready = listPage(this.client, spec.path, { fieldSelector: spec.fieldSelector, limit: 1 }).then(() => informer.start());
    ready.catch(() => undefined);
    return { informer, listeners, ready };
  }

  public get watchCount(): number {
    return this.entries.size;
  }

  public async close(): Promise<void> {
    const all = [...this.entries.values()];
    all.forEach((e) => clearTimeout(e.linger));
    this.entries.clear();
    await Promise.all(all.map((e) => e.informer.stop()));
  }
}

function messageOf(err: unknown, spec: ObjectWatchSpec): string {
  if (httpStatusOf(err) === 403) return forbiddenMessage({ action: spec.action, namespace: spec.namespace });
  return `Could not ${spec.action} in namespace ${spec.namespace}: ${apiMessage(err)}`;
}
