/** A container's log (pods/log), optionally followed, and waiting for the container to start first. */
import { setTimeout as sleep } from 'node:timers/promises';
import { isNotFound } from '../../reconciler/runtime/api-errors.js';
import { corePath } from '../../reconciler/runtime/rest-client.js';
import type { RestClient } from '../../reconciler/runtime/rest-client.js';

interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: object;
  readonly terminated?: object;
}

interface PodLike {
  readonly status?: {
    readonly phase?: string;
    readonly containerStatuses?: readonly { readonly name: string; readonly state?: ContainerState }[];
    readonly initContainerStatuses?: readonly { readonly name: string; readonly state?: ContainerState }[];
  };
}

/** Seconds a Pod named by its Task may take to appear. */
const POD_APPEAR_TRIES = 10;

export interface LogTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

/** The Pod's phase and the container's state (init containers too; undefined before the kubelet reports it). */
async function containerState(client: RestClient, t: LogTarget): Promise<{ podPhase?: string; state?: ContainerState }> {
  const pod = await client.get<PodLike>(corePath('pods', t.namespace, t.pod));
  const statuses = [...pod.status?.containerStatuses ?? [], ...pod.status?.initContainerStatuses ?? []];
  return { podPhase: pod.status?.phase, state: statuses.find((c) => c.name === t.container)?.state };
}

/**
 * Polls until the container runs or has run (a log request before that is refused with
 * "waiting to start"); false when the Pod ended without ever starting it. `onWait` hears
 * the waiting reason once per change.
 */
export async function waitForStart(client: RestClient, t: LogTarget, signal: AbortSignal, onWait?: (reason: string) => void): Promise<boolean> {
  let said = '';
  for (let tries = 1; ; tries++) {
    let found: Awaited<ReturnType<typeof containerState>>;
    try {
      found = await containerState(client, t);
    } catch (e) {
      // The Task names its Pod a moment before the Pod exists: give it a few seconds.
      if (!isNotFound(e) || tries >= POD_APPEAR_TRIES) throw e;
      await sleep(1000, undefined, { signal });
      continue;
    }
    const { podPhase, state } = found;
    if (state?.running || state?.terminated) return true;
    if (podPhase === 'Succeeded' || podPhase === 'Failed') return false;
    const reason = state?.waiting?.reason ?? 'ContainerCreating';
    if (reason !== said) onWait?.(reason);
    said = reason;
    await sleep(1000, undefined, { signal });
  }
}

/** Copies the log to `out` as it arrives; with `follow`, until the container ends (or `signal` aborts). */
export async function copyLog(
  client: RestClient, t: LogTarget, out: NodeJS.WritableStream, options: { follow: boolean; signal: AbortSignal; tail?: number },
): Promise<number> {
  const stream = await client.stream(corePath('pods', t.namespace, t.pod, 'log'), {
    container: t.container, follow: options.follow ? 'true' : undefined, tailLines: options.tail === undefined ? undefined : String(options.tail),
  }, options.signal);
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      bytes += chunk.length;
      out.write(chunk);
    }
  } catch (e) {
    if (!options.signal.aborted) throw e;
  }
  return bytes;
}
