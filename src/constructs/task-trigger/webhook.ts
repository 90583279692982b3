/**
 * The webhook side of a TaskTrigger: the endpoint with its defaults, the EventSource that
 * serves it, and the Sensor's dependency on it (with the filters on the event).
 */
import { ArgoDataFilter, ArgoEventDependency, ArgoEventSourceSpec } from './argo-events.js';
import { EventFilter, WebhookEndpoint } from './props.js';

/** A webhook endpoint with every default applied. */
export type ResolvedWebhook = Required<Omit<WebhookEndpoint, 'authSecret'>> & Pick<WebhookEndpoint, 'authSecret'>;

/** The endpoint with its defaults: port 12000, path '/' + the construct id, POST, event `webhook`, a Service. */
export function resolveWebhook(webhook: WebhookEndpoint | undefined, id: string): ResolvedWebhook {
  return {
    port: webhook?.port ?? 12000,
    endpoint: webhook?.endpoint ?? `/${encodeURIComponent(id)}`,
    method: webhook?.method ?? 'POST',
    eventName: webhook?.eventName ?? 'webhook',
    createService: webhook?.createService ?? true,
    authSecret: webhook?.authSecret,
  };
}

/** The EventSource's spec: the one webhook endpoint, and a Service for it unless turned off. */
export function eventSourceSpec(webhook: ResolvedWebhook, eventBusName: string | undefined): ArgoEventSourceSpec {
  const { port, endpoint, method, eventName, authSecret, createService } = webhook;
  return {
    eventBusName,
    service: createService ? { ports: [{ port, targetPort: port }] } : undefined,
    webhook: { [eventName]: { port: String(port), endpoint, method, ...(authSecret ? { authSecret } : {}) } },
  };
}

/** The Sensor's dependency `name` on the event `eventName` of the EventSource, passing only events that pass every filter. */
export function webhookDependency(name: string, eventSourceName: string, eventName: string, filters: readonly EventFilter[]): ArgoEventDependency {
  return {
    name,
    eventSourceName,
    eventName,
    ...(filters.length ? { filters: { data: filters.map(dataFilter) } } : {}),
  };
}

/** An EventFilter as Argo Events takes it. */
function dataFilter(f: EventFilter): ArgoDataFilter {
  return {
    path: f.path,
    type: f.type ?? 'string',
    value: [...f.values],
    ...(f.comparator ? { comparator: f.comparator } : {}),
  };
}
