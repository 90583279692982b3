/** Kubernetes Events for transitions of our objects, sent without holding up the reconcile. */
import type { CoreV1Event } from '@kubernetes/client-node';
import type { KubeClient } from './kube.js';
import { TaskObject } from './objects.js';
import type { Logger } from './runtime/logger.js';
import { TaskEvent } from './status.js';
import { API_VERSION, Kinds } from '../api/constants.js';
import { ObjectMeta } from '../constructs/types.js';

/** One of our namespaced objects. */
interface Involved {
  readonly metadata: ObjectMeta & { readonly namespace: string };
}

export class EventRecorder {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly kube: Pick<KubeClient, 'createEvent'> | undefined, private readonly logger: Logger, private readonly identity: string) {}

  /** Records an Event on a Task; failures are logged, never thrown. */
  public taskEvent(task: TaskObject, event: TaskEvent, now: Date): void {
    this.record(Kinds.task.kind, task, event, now);
  }

  /** Records an Event on one of our objects of `kind`; failures are logged, never thrown. */
  public record(kind: string, object: Involved, event: TaskEvent, now: Date): void {
    if (!this.kube) return;
    const { metadata } = object;
    const body: CoreV1Event & { metadata: { namespace: string } } = {
      metadata: { generateName: `${metadata.name}.`, namespace: metadata.namespace },
      involvedObject: {
        apiVersion: API_VERSION,
        kind,
        name: metadata.name,
        namespace: metadata.namespace,
        uid: metadata.uid,
        resourceVersion: metadata.resourceVersion,
      },
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, 1024),
      source: { component: 'kubeopencode' },
      reportingComponent: 'kubeopencode.io/controller',
      reportingInstance: this.identity,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    const sent = this.kube.createEvent(body)
      .then(() => undefined, (e) => this.logger.warn('could not record event', { reason: event.reason, error: String(e) }));
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  /** Waits for the Events still being sent (on shutdown). */
  public async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}
