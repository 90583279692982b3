/**
 * The props of a TaskTrigger: the webhook endpoint, the filters on the event, the Task
 * template, and how fields, labels and annotations of the Task are taken from the event.
 */
import { ArgoSecretKeyRef } from './argo-events.js';
import { AgentConstruct } from '../agent.js';
import { AgentRef, ContextItem, Outputs } from '../types.js';

export type WebhookMethod = 'POST' | 'PUT' | 'PATCH' | 'GET' | 'DELETE';

/** The webhook endpoint of the EventSource. */
export interface WebhookEndpoint {
  /**
   * Port the EventSource's HTTP server listens on.
   * @default 12000
   */
  readonly port?: number;
  /**
   * URL path of the endpoint; starts with '/'.
   * @default - '/' followed by the construct id
   */
  readonly endpoint?: string;
  /**
   * HTTP method the endpoint accepts.
   * @default 'POST'
   */
  readonly method?: WebhookMethod;
  /**
   * Name of the event inside the EventSource (the key under `spec.webhook`).
   * @default 'webhook'
   */
  readonly eventName?: string;
  /**
   * A Secret key holding a token that callers must send as `Authorization: Bearer <token>`.
   * (A generic webhook cannot check GitHub's HMAC signature; put the endpoint behind an
   * Ingress that does, or use a token-sending proxy.)
   * @default - no authentication
   */
  readonly authSecret?: ArgoSecretKeyRef;
  /**
   * Whether the EventSource creates a ClusterIP Service for the endpoint
   * (`<name>-eventsource-svc`), for an Ingress to route to.
   * @default true
   */
  readonly createService?: boolean;
}

/** A data filter on the event: only events that pass every filter create a Task. */
export interface EventFilter {
  /** gjson path into the event data, e.g. `body.action` or `header.X-Github-Event.0`. */
  readonly path: string;
  /**
   * Type of the value at the path.
   * @default 'string'
   */
  readonly type?: 'string' | 'number' | 'bool';
  /**
   * Accepted values. For strings each is a regular expression matched anywhere in the value
   * (as Argo Events does): anchor it (`^opened$`) for an exact match.
   */
  readonly values: readonly string[];
  /**
   * Comparator for numbers.
   * @default '='
   */
  readonly comparator?: '>=' | '>' | '=' | '!=' | '<' | '<=';
}

/** A value taken from the event, as Argo Events resolves a parameter source. */
export interface EventValue {
  /**
   * A gjson path into the event data (`src.dataKey`). A webhook event's data is
   * `{ header, body }`, so a JSON payload field is `body.<field>`, e.g.
   * `body.pull_request.head.sha`. Strings are taken as they are; numbers keep their digits.
   * @default - none; set `from` or `template`
   */
  readonly from?: string;
  /**
   * A Go template with sprig functions over the event data as `.Input` (`src.dataTemplate`),
   * e.g. `Review {{ .Input.body.pull_request.html_url }}`. Tried before `from`. Numbers print
   * as Go prints a float64 (1000000 prints as 1e+06): take big numbers with `from`.
   * @default - none; set `from` or `template`
   */
  readonly template?: string;
  /**
   * Value used when `from` is missing from the event, or the template fails or yields nothing.
   * @default - none: such an event fails the trigger and creates no Task
   */
  readonly default?: string;
}

/** How a value is written to its destination. */
export type ParameterOperation = 'overwrite' | 'append' | 'prepend';

/** A field of the Task filled from the event. */
export interface TaskParameter extends EventValue {
  /**
   * The Task field to fill: a path from the Task's root or from its spec, with `[n]` or `.n`
   * for list items: `description`, `spec.description`, `contexts[0].git.ref`,
   * `contexts[1].url.headers.X-Token`. It must be a string field of the Task schema and the
   * template must have its parent (parameters fill fields; they do not create contexts).
   * Refused, because they decide which credentials are used or where they go: the Agent
   * (`agentRef`), any `secretRef`, and the repository or URL of a context with a secretRef.
   * Labels and annotations are filled with `labelsFromEvent` and `annotationsFromEvent`.
   */
  readonly to: string;
  /**
   * Write the value over the template's (`overwrite`), or after (`append`) or before
   * (`prepend`) the template's value.
   * @default 'overwrite'
   */
  readonly operation?: ParameterOperation;
}

/** A label of the Task taken from the event and made a valid label value. */
export interface EventLabel {
  /** A dotted path into the event data (`body.repository.full_name`); segments are keys or list indexes. */
  readonly from: string;
  /**
   * Value when the event has nothing usable at the path; must be a valid label value.
   * @default 'unknown'
   */
  readonly default?: string;
}

/** The Task the trigger creates, before the event fills it. */
export interface TaskTemplateProps {
  /**
   * Prefix of the Tasks' names; the API server appends a random suffix.
   * @default - the trigger's name and '-'
   */
  readonly generateName?: string;
  /**
   * The instructions for the agent. When a parameter fills `spec.description` this is the
   * value it overwrites (or appends to).
   * @default - the `default`, else the `template`, of the first parameter that fills the description
   */
  readonly description?: string;
  /**
   * Contexts of every created Task (parameters may fill their string fields).
   * @default - none
   */
  readonly contexts?: readonly ContextItem[];
  /**
   * Output parameters of every created Task.
   * @default - none
   */
  readonly outputs?: Outputs;
  /**
   * Longest a created Task may run, in seconds.
   * @default - no limit
   */
  readonly timeoutSeconds?: number;
  /**
   * Fixed labels of every created Task.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Fixed annotations of every created Task.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface TaskTriggerProps {
  /**
   * Name of the EventSource and the Sensor; the ServiceAccount is `<name>-sensor`, the Role
   * and RoleBinding `<name>-create-tasks`. A DNS label of at most 47 characters (the
   * EventSource's Service is `<name>-eventsource-svc`).
   * @default - generated from the construct path
   */
  readonly name?: string;
  /**
   * Namespace of every object, and of the Tasks the trigger creates.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * The webhook endpoint.
   * @default - port 12000, POST, path '/' + construct id
   */
  readonly webhook?: WebhookEndpoint;
  /**
   * Filters on the event data; only events passing all of them create a Task.
   * @default - every event creates a Task
   */
  readonly filters?: readonly EventFilter[];
  /**
   * The Agent that runs the Tasks: an AgentConstruct of this app, or a reference by name
   * (and namespace, for an Agent in another namespace).
   * @default - the Agent named "default" in the Tasks' namespace
   */
  readonly agent?: AgentConstruct | AgentRef;
  /** The Task to create. */
  readonly task: TaskTemplateProps;
  /**
   * Task fields filled from the event.
   * @default - none
   */
  readonly parameters?: readonly TaskParameter[];
  /**
   * Labels taken from the event, for traceability (`kubectl get tasks -l example.com/pr=42`).
   * The value is made a valid label value by the Sensor: '/' becomes '.', every run of other
   * characters outside `[A-Za-z0-9_.-]` becomes '-', it is cut to 63 characters and trimmed to
   * start and end with a letter or digit. A string is the `from` path.
   * @default - none
   */
  readonly labelsFromEvent?: Readonly<Record<string, string | EventLabel>>;
  /**
   * Annotations taken from the event, unchanged (annotation values have no character limits).
   * A string is the `from` path. An annotation missing from the event is set to its `default`,
   * else to '' (it does not fail the trigger).
   * @default - none
   */
  readonly annotationsFromEvent?: Readonly<Record<string, string | EventValue>>;
  /**
   * The EventBus the EventSource and the Sensor use.
   * @default - the EventBus named "default"
   */
  readonly eventBusName?: string;
}
