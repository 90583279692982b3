/**
 * Event-driven Tasks: what Argo Events needs to turn a webhook call into a Task.
 *
 * KubeOpenCode has no webhook server of its own (the seed delegates triggers to Argo
 * Events), so a TaskTrigger synthesizes the Argo Events objects that do the work:
 *
 * - an `EventSource` with one webhook endpoint (port, path, method);
 * - a `Sensor` with one dependency on that endpoint and one Kubernetes trigger that
 *   creates a Task from a template (`operation: create`, `metadata.generateName`), filling
 *   fields of the template from the event with Argo Events' parameters
 *   (`src.dependencyName` + `src.dataKey` | `src.dataTemplate` -> `dest`);
 * - a ServiceAccount for the Sensor, and a Role + RoleBinding that let it create Tasks in
 *   its own namespace and do nothing else.
 *
 * The Task template is validated at synth time against the Task CRD schema and its rules,
 * and every parameter destination must be a string field of the Task schema that the
 * template has room for, so a mistake fails `cdk8s synth` instead of every webhook call.
 */
import { ApiObject, Chart, Lazy, Names } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AgentConstruct } from './agent.js';
import { AgentRef, ContextItem, OutputParameter, Outputs } from './types.js';
import { API_VERSION, GROUP, Kinds } from '../api/constants.js';
import { taskCrd } from '../api/crds.js';
import { JSONSchema, patterns } from '../api/schema.js';
import { validateObject } from '../api/validate.js';

// ---------------------------------------------------------------------------------------
// Argo Events wire types (argoproj.io/v1alpha1): only the fields a TaskTrigger writes.
// ---------------------------------------------------------------------------------------

/** A key of a Secret (Argo Events' SecretKeySelector). */
export interface ArgoSecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** One webhook endpoint of an EventSource (`spec.webhook.<eventName>`). */
export interface ArgoWebhookContext {
  /** The port, as a string (the Argo Events API takes a string). */
  readonly port: string;
  readonly endpoint: string;
  readonly method: string;
  readonly authSecret?: ArgoSecretKeyRef;
}

export interface ArgoEventSourceSpec {
  readonly eventBusName?: string;
  readonly service?: { readonly ports: readonly { readonly port: number; readonly targetPort: number }[] };
  readonly webhook: Readonly<Record<string, ArgoWebhookContext>>;
}

/** A data filter of a Sensor dependency. */
export interface ArgoDataFilter {
  readonly path: string;
  readonly type: string;
  readonly value: readonly string[];
  readonly comparator?: string;
}

export interface ArgoEventDependency {
  readonly name: string;
  readonly eventSourceName: string;
  readonly eventName: string;
  readonly filters?: { readonly data: readonly ArgoDataFilter[] };
}

/** Where a parameter's value comes from (Argo Events' TriggerParameterSource). */
export interface ArgoTriggerParameterSource {
  readonly dependencyName: string;
  /** A gjson path into the event data. */
  readonly dataKey?: string;
  /** A Go template (with sprig functions) over the event data as `.Input`. */
  readonly dataTemplate?: string;
  /** The value used when the key is missing or the template fails or yields nothing. */
  readonly value?: string;
}

/** A parameter of a trigger (Argo Events' TriggerParameter). */
export interface ArgoTriggerParameter {
  readonly src: ArgoTriggerParameterSource;
  /** An sjson path into the resource (`spec.contexts.0.git.ref`; `\.` escapes a dot in a key). */
  readonly dest: string;
  readonly operation?: 'overwrite' | 'append' | 'prepend';
}

export interface ArgoK8sTrigger {
  readonly operation: 'create';
  readonly source: { readonly resource: TriggerTaskTemplate };
  readonly parameters?: readonly ArgoTriggerParameter[];
}

export interface ArgoTrigger {
  readonly template: { readonly name: string; readonly k8s: ArgoK8sTrigger };
}

export interface ArgoSensorSpec {
  readonly eventBusName?: string;
  readonly template: { readonly serviceAccountName: string };
  readonly dependencies: readonly ArgoEventDependency[];
  readonly triggers: readonly ArgoTrigger[];
}

/** The Task a trigger creates, as a plain object. */
export interface TriggerTaskTemplate {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly generateName: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------
// Props
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Helpers shared with tests and docs
// ---------------------------------------------------------------------------------------

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = new RegExp(patterns.dnsSubdomain);
const DNS_LABEL = new RegExp(patterns.dnsLabel);
const EVENT_PATH_SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_NAME = 47;

/** Whether `value` is a valid label value (at most 63 characters). */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** Whether `key` is a valid label or annotation key (`[prefix/]name`). */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/**
 * The Go template (Argo Events `dataTemplate`) that reads the event data at a dotted path
 * and makes it a valid label value: the value as JSON (so numbers keep their digits), '/'
 * replaced by '.', runs of other characters outside `[A-Za-z0-9_.-]` by '-', cut to 63
 * bytes, trimmed to start and end with a letter or digit. A missing or empty value renders
 * nothing, which Argo Events treats as a failure and replaces with the parameter's `value`.
 */
export function labelValueTemplate(from: string): string {
  const keys = from.split('.').map((s) => (/^\d+$/.test(s) ? s : JSON.stringify(s)));
  return `{{ with (index .Input ${keys.join(' ')}) }}`
    + '{{ regexReplaceAll "^[^A-Za-z0-9]+|[^A-Za-z0-9]+$" '
    + '(trunc 63 (regexReplaceAll "[^A-Za-z0-9_.-]+" (replace "/" "." (toJson .)) "-")) "" }}'
    + '{{ end }}';
}

/** An sjson path (Argo Events `dest`) from path segments: dots in keys escaped. */
export function sjsonPath(segments: readonly (string | number)[]): string {
  return segments.map((s) => String(s).replace(/\\/g, '\\\\').replace(/\./g, '\\.')).join('.');
}

type Segment = string | number;

/** Parses `contexts[0].git.ref` / `spec.contexts.0.git.ref` into segments; undefined if malformed. */
function parseFieldPath(path: string): Segment[] | undefined {
  const segments: Segment[] = [];
  let rest = path;
  let first = true;
  while (rest.length) {
    const m = (first ? /^([A-Za-z_][A-Za-z0-9_-]*)/ : /^(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\.(\d+))/).exec(rest);
    if (!m) return undefined;
    segments.push(m[1] ?? Number(m[2] ?? m[3]));
    rest = rest.slice(m[0].length);
    first = false;
  }
  return segments.length ? segments : undefined;
}

function describePath(segments: readonly Segment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
}

/** Names the properties of an object schema, for error messages. */
function fieldsOf(schema: JSONSchema): string {
  return Object.keys(schema.properties ?? {}).join(', ');
}

/**
 * Checks a parameter destination against the Task schema and the template: a string field,
 * whose parent exists in the template. Returns a problem, or undefined.
 */
function destinationProblem(segments: readonly Segment[], template: unknown): string | undefined {
  let schema: JSONSchema = taskCrd.schema;
  let value: unknown = template;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const here = describePath(segments.slice(0, i + 1));
    if (i > 0 && (value === undefined || value === null)) {
      return `${describePath(segments.slice(0, i))} is not in the Task template: a parameter fills a field of the template, it does not create one`;
    }
    if (schema.type === 'array') {
      if (typeof segment !== 'number') return `${describePath(segments.slice(0, i))} is a list: index it with [n]`;
      const length = Array.isArray(value) ? value.length : 0;
      if (segment >= length) {
        return `${here} is not in the Task template (it has ${length} item${length === 1 ? '' : 's'} there): a parameter fills a field of the template, it does not create one`;
      }
      schema = schema.items!;
    } else if (schema.type === 'object' && schema.properties) {
      if (typeof segment !== 'string' || !schema.properties[segment]) {
        const parent = describePath(segments.slice(0, i)) || 'Task';
        return `${here} is not a field of the Task schema (fields of ${parent}: ${fieldsOf(schema)})`;
      }
      schema = schema.properties[segment];
    } else if (typeof schema.additionalProperties === 'object') {
      if (typeof segment !== 'string') return `${describePath(segments.slice(0, i))} is a map: name a key`;
      schema = schema.additionalProperties;
    } else {
      return `${here} is not a field of the Task schema (${describePath(segments.slice(0, i))} has no fields)`;
    }
    value = (value as Record<string | number, unknown> | undefined)?.[segment as never];
  }
  if (schema.type !== 'string') {
    return `${describePath(segments)} is ${schema.type === 'integer' ? 'an integer' : `of type ${schema.type ?? 'unknown'}`}: `
      + 'Argo Events sets parameters as strings, so only string fields can be filled from the event';
  }
  return undefined;
}

/**
 * The fields an event must not choose, because they decide which credentials are used or
 * where they are sent: the Agent, any secretRef, and the URL of a context that has a secretRef.
 */
function trustProblem(segments: readonly Segment[], template: TriggerTaskTemplate): string | undefined {
  const path = describePath(segments);
  if (segments[1] === 'agentRef') return `${path}: the event must not choose the Agent (the Agent decides images and credentials)`;
  if (segments.includes('secretRef')) return `${path}: the event must not choose which Secret is used`;
  const [, list, index, kind, field] = segments;
  if (list === 'contexts' && typeof index === 'number' && ((kind === 'git' && field === 'repository') || (kind === 'url' && field === 'source'))) {
    const context = (template.spec.contexts as ContextItem[] | undefined)?.[index];
    const secret = kind === 'git' ? context?.git?.secretRef : context?.url?.secretRef;
    if (secret) return `${path}: context ${index} sends the credentials of Secret ${secret.name} there; the event must not choose where`;
  }
  return undefined;
}

function sourceOf(dependencyName: string, value: EventValue): ArgoTriggerParameterSource {
  return { dependencyName, dataKey: value.from, dataTemplate: value.template, value: value.default };
}

function bracesBalanced(template: string): boolean {
  return template.split('{{').length === template.split('}}').length;
}

// ---------------------------------------------------------------------------------------
// The construct
// ---------------------------------------------------------------------------------------

/**
 * A webhook that creates Tasks, through Argo Events: an EventSource, a Sensor whose
 * Kubernetes trigger creates a Task from a template filled from the event, and the
 * ServiceAccount, Role and RoleBinding that let the Sensor create Tasks in its namespace
 * (and nothing else).
 *
 * The Sensor is the primary resource (`Resource`); the others are `EventSource`,
 * `ServiceAccount`, `Role` and `RoleBinding`.
 */
export class TaskTrigger extends Construct {
  /** The name of the dependency in the Sensor. */
  public static readonly DEPENDENCY_NAME = 'webhook';
  /** The name of the Sensor's trigger (Argo Events labels created Tasks with it). */
  public static readonly TRIGGER_NAME = 'create-task';
  /** What the Sensor's ServiceAccount may do: create Tasks, in its namespace. */
  public static readonly RULES: readonly k8s.PolicyRule[] = [{ apiGroups: [GROUP], resources: [Kinds.task.plural], verbs: ['create'] }];

  /** The Sensor (`argoproj.io/v1alpha1`). */
  public readonly sensor: ApiObject;
  /** The EventSource (`argoproj.io/v1alpha1`). */
  public readonly eventSource: ApiObject;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly role: k8s.KubeRole;
  public readonly roleBinding: k8s.KubeRoleBinding;
  /** Name of the EventSource and the Sensor. */
  public readonly name: string;
  /** Namespace of every object and of the created Tasks. */
  public readonly namespace?: string;

  private readonly contexts: ContextItem[];
  private readonly outputParameters: OutputParameter[];
  private readonly parameters: TaskParameter[];
  private readonly filters: EventFilter[];
  private readonly labels: Map<string, EventLabel>;
  private readonly annotations: Map<string, EventValue>;
  private readonly webhook: Required<Omit<WebhookEndpoint, 'authSecret'>> & Pick<WebhookEndpoint, 'authSecret'>;

  constructor(scope: Construct, id: string, private readonly props: TaskTriggerProps) {
    super(scope, id);
    this.name = props.name ?? Names.toDnsLabel(this, { maxLen: MAX_NAME });
    this.namespace = props.namespace ?? Chart.of(this).namespace;
    this.contexts = [...(props.task.contexts ?? [])];
    this.outputParameters = [...(props.task.outputs?.parameters ?? [])];
    this.parameters = [...(props.parameters ?? [])];
    this.filters = [...(props.filters ?? [])];
    this.labels = new Map(Object.entries(props.labelsFromEvent ?? {}).map(([k, v]) => [k, typeof v === 'string' ? { from: v } : v]));
    this.annotations = new Map(Object.entries(props.annotationsFromEvent ?? {}).map(([k, v]) => [k, typeof v === 'string' ? { from: v } : v]));
    this.webhook = {
      port: props.webhook?.port ?? 12000,
      endpoint: props.webhook?.endpoint ?? `/${encodeURIComponent(id)}`,
      method: props.webhook?.method ?? 'POST',
      eventName: props.webhook?.eventName ?? 'webhook',
      createService: props.webhook?.createService ?? true,
      authSecret: props.webhook?.authSecret,
    };
    const namespace = this.namespace;
    const rbacName = `${this.name}-create-tasks`;

    this.eventSource = new ApiObject(this, 'EventSource', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'EventSource',
      metadata: { name: this.name, namespace },
      spec: Lazy.any({ produce: () => this.eventSourceSpec() }),
    });
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: `${this.name}-sensor`, namespace },
    });
    this.role = new k8s.KubeRole(this, 'Role', {
      metadata: { name: rbacName, namespace },
      rules: TaskTrigger.RULES.map((r) => ({ ...r })),
    });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name: rbacName, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: rbacName },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace }],
    });
    this.sensor = new ApiObject(this, 'Resource', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Sensor',
      metadata: { name: this.name, namespace },
      spec: Lazy.any({ produce: () => this.sensorSpec() }),
    });
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** The URL path of the webhook endpoint. */
  public get endpoint(): string {
    return this.webhook.endpoint;
  }

  /** The port of the webhook endpoint. */
  public get port(): number {
    return this.webhook.port;
  }

  /** Adds a context to every created Task, after the Agent's and the ones given before. */
  public addContext(context: ContextItem): this {
    this.contexts.push(context);
    return this;
  }

  /** Adds an output parameter to every created Task. */
  public addOutputParameter(parameter: OutputParameter): this {
    this.outputParameters.push(parameter);
    return this;
  }

  /** Fills a Task field from the event. */
  public addParameter(parameter: TaskParameter): this {
    this.parameters.push(parameter);
    return this;
  }

  /** Only events whose data passes the filter create a Task. */
  public addFilter(filter: EventFilter): this {
    this.filters.push(filter);
    return this;
  }

  /** Labels every created Task with a value from the event, made a valid label value. */
  public addLabelFromEvent(key: string, label: string | EventLabel): this {
    this.labels.set(key, typeof label === 'string' ? { from: label } : label);
    return this;
  }

  /** Annotates every created Task with a value from the event. */
  public addAnnotationFromEvent(key: string, value: string | EventValue): this {
    this.annotations.set(key, typeof value === 'string' ? { from: value } : value);
    return this;
  }

  /** The Task the trigger creates before the event fills it (the trigger's `source.resource`). */
  public taskTemplate(): TriggerTaskTemplate {
    const task = this.props.task;
    const labels: Record<string, string> = { ...(task.labels ?? {}) };
    for (const [key, label] of this.labels) labels[key] = label.default ?? 'unknown';
    const annotations: Record<string, string> = { ...(task.annotations ?? {}) };
    for (const [key, value] of this.annotations) annotations[key] = value.default ?? '';
    const spec: Record<string, unknown> = { description: task.description ?? this.descriptionPlaceholder() };
    const agentRef = this.agentRef();
    if (agentRef) spec.agentRef = agentRef;
    if (this.contexts.length) spec.contexts = structuredClone(this.contexts);
    if (this.outputParameters.length) spec.outputs = { parameters: structuredClone(this.outputParameters) };
    if (task.timeoutSeconds !== undefined) spec.timeoutSeconds = task.timeoutSeconds;
    if (spec.description === undefined) delete spec.description;
    return {
      apiVersion: API_VERSION,
      kind: Kinds.task.kind,
      metadata: {
        generateName: task.generateName ?? `${this.name}-`,
        ...(this.namespace ? { namespace: this.namespace } : {}),
        ...(Object.keys(labels).length ? { labels } : {}),
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      spec,
    };
  }

  /**
   * The trigger's parameters as Argo Events takes them: labels first, then annotations,
   * then the Task fields in the order given.
   */
  public triggerParameters(): ArgoTriggerParameter[] {
    const dependencyName = TaskTrigger.DEPENDENCY_NAME;
    const labels = [...this.labels].map(([key, label]): ArgoTriggerParameter => ({
      src: { dependencyName, dataTemplate: labelValueTemplate(label.from), value: label.default ?? 'unknown' },
      dest: sjsonPath(['metadata', 'labels', key]),
    }));
    // An annotation missing from the event is left empty rather than failing the trigger.
    const annotations = [...this.annotations].map(([key, value]): ArgoTriggerParameter => ({
      src: sourceOf(dependencyName, { ...value, default: value.default ?? '' }),
      dest: sjsonPath(['metadata', 'annotations', key]),
    }));
    const fields = this.parameters.map((p): ArgoTriggerParameter => ({
      src: sourceOf(dependencyName, p),
      dest: sjsonPath(this.destination(p.to) ?? [p.to]),
      ...(p.operation && p.operation !== 'overwrite' ? { operation: p.operation } : {}),
    }));
    return [...labels, ...annotations, ...fields];
  }

  private descriptionPlaceholder(): string | undefined {
    const filler = this.parameters.find((p) => {
      const d = this.destination(p.to);
      return d?.length === 2 && d[1] === 'description';
    });
    return filler && (filler.default ?? filler.template ?? `(filled from the event: ${filler.from})`);
  }

  /** A `to` path as segments from the Task's root. */
  private destination(to: string): Segment[] | undefined {
    const segments = parseFieldPath(to);
    if (!segments) return undefined;
    return segments[0] === 'spec' || segments[0] === 'metadata' || segments[0] === 'status' ? segments : ['spec', ...segments];
  }

  private agentRef(): AgentRef | undefined {
    const agent = this.props.agent;
    if (!(agent instanceof AgentConstruct)) return agent && { ...agent };
    return { name: agent.name, ...(agent.namespace && agent.namespace !== this.namespace ? { namespace: agent.namespace } : {}) };
  }

  private eventSourceSpec(): ArgoEventSourceSpec {
    const { port, endpoint, method, eventName, authSecret, createService } = this.webhook;
    return {
      eventBusName: this.props.eventBusName,
      service: createService ? { ports: [{ port, targetPort: port }] } : undefined,
      webhook: { [eventName]: { port: String(port), endpoint, method, ...(authSecret ? { authSecret } : {}) } },
    };
  }

  private sensorSpec(): ArgoSensorSpec {
    const parameters = this.triggerParameters();
    return {
      eventBusName: this.props.eventBusName,
      template: { serviceAccountName: this.serviceAccount.name },
      dependencies: [{
        name: TaskTrigger.DEPENDENCY_NAME,
        eventSourceName: this.name,
        eventName: this.webhook.eventName,
        ...(this.filters.length ? {
          filters: {
            data: this.filters.map((f) => ({
              path: f.path,
              type: f.type ?? 'string',
              value: [...f.values],
              ...(f.comparator ? { comparator: f.comparator } : {}),
            })),
          },
        } : {}),
      }],
      triggers: [{
        template: {
          name: TaskTrigger.TRIGGER_NAME,
          k8s: {
            operation: 'create',
            source: { resource: this.taskTemplate() },
            ...(parameters.length ? { parameters } : {}),
          },
        },
      }],
    };
  }

  /** Everything wrong with the trigger, each naming the construct path and the field. */
  private problems(): string[] {
    const where = `TaskTrigger ${this.name} (${this.node.path})`;
    const errors: string[] = [];
    const problem = (field: string, message: string) => errors.push(`${where}: ${field}: ${message}`);

    if (!this.namespace) problem('namespace', 'required: set props.namespace or the chart\'s namespace (the Role, its binding and the Tasks live there)');
    else if (!DNS_LABEL.test(this.namespace) || this.namespace.length > 63) problem('namespace', `"${this.namespace}" is not a DNS label`);
    if (this.name.length > MAX_NAME || !DNS_LABEL.test(this.name)) {
      problem('name', `"${this.name}" must be a DNS label of at most ${MAX_NAME} characters (the EventSource's Service adds "-eventsource-svc")`);
    }

    const { port, endpoint, eventName } = this.webhook;
    if (!Number.isInteger(port) || port < 1 || port > 65535) problem('webhook.port', `${port} is not a port (1-65535)`);
    if (!/^\/[^\s?#]*$/.test(endpoint)) problem('webhook.endpoint', `"${endpoint}" must be a URL path starting with '/'`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(eventName)) problem('webhook.eventName', `"${eventName}" must be letters, digits, '_', '.' or '-'`);

    this.filters.forEach((f, i) => {
      if (!f.path) problem(`filters[${i}].path`, 'required');
      if (!f.values.length) problem(`filters[${i}].values`, 'at least one value is required');
    });

    const template = this.taskTemplate();
    const generateName = template.metadata.generateName;
    if (!/^[a-z0-9]([-a-z0-9]*)?$/.test(generateName) || generateName.length > 58) {
      problem('task.generateName', `"${generateName}" must be lower-case letters, digits and '-', start with a letter or digit, `
        + 'and leave room for the 5-character suffix the API server adds (at most 58 characters)');
    }
    for (const e of validateObject('Task', template)) problem(`task template ${e.field}`, e.message);

    const staticLabels = this.props.task.labels ?? {};
    for (const [key, value] of Object.entries(staticLabels)) {
      if (!isQualifiedName(key)) problem(`task.labels[${key}]`, 'not a valid label key');
      if (!isLabelValue(value)) problem(`task.labels[${key}]`, `"${value}" is not a valid label value`);
    }
    for (const key of Object.keys(this.props.task.annotations ?? {})) {
      if (!isQualifiedName(key)) problem(`task.annotations[${key}]`, 'not a valid annotation key');
    }
    for (const [key, label] of this.labels) {
      const field = `labelsFromEvent[${key}]`;
      if (!isQualifiedName(key)) problem(field, 'not a valid label key');
      if (/^\d+$/.test(key)) problem(field, 'an all-digit key would be taken as a list index by the Sensor');
      if (key in staticLabels) problem(field, 'also a fixed label in task.labels: keep one');
      if (!label.from || !label.from.split('.').every((s) => EVENT_PATH_SEGMENT.test(s))) {
        problem(`${field}.from`, `"${label.from}" must be a dotted path of keys and list indexes (letters, digits, '_', '-')`);
      }
      const fallback = label.default ?? 'unknown';
      if (!isLabelValue(fallback)) problem(`${field}.default`, `"${fallback}" is not a valid label value`);
    }
    for (const [key, value] of this.annotations) {
      const field = `annotationsFromEvent[${key}]`;
      if (!isQualifiedName(key)) problem(field, 'not a valid annotation key');
      if (/^\d+$/.test(key)) problem(field, 'an all-digit key would be taken as a list index by the Sensor');
      this.eventValueProblems(value, field, problem);
    }

    this.parameters.forEach((p, i) => {
      const field = `parameters[${i}]`;
      const segments = this.destination(p.to);
      if (!segments) {
        problem(`${field}.to`, `"${p.to}" is not a field path (write it like "description" or "contexts[0].git.ref")`);
      } else if (segments[0] === 'metadata') {
        problem(`${field}.to`, `"${p.to}": fill labels and annotations with labelsFromEvent and annotationsFromEvent; names come from task.generateName`);
      } else if (segments[0] === 'status') {
        problem(`${field}.to`, `"${p.to}": the status belongs to the reconciler`);
      } else {
        const why = destinationProblem(segments, template) ?? trustProblem(segments, template);
        if (why) problem(`${field}.to`, why);
      }
      if (p.operation !== undefined && !['overwrite', 'append', 'prepend'].includes(p.operation)) {
        problem(`${field}.operation`, `"${p.operation}" is not one of overwrite, append, prepend`);
      }
      this.eventValueProblems(p, field, problem);
    });
    return errors;
  }

  private eventValueProblems(value: EventValue, field: string, problem: (field: string, message: string) => void): void {
    if (value.from === undefined && value.template === undefined) problem(field, 'set `from` (a path into the event) or `template`');
    if (value.from !== undefined && !value.from.trim()) problem(`${field}.from`, 'must not be empty');
    if (value.template !== undefined && !bracesBalanced(value.template)) problem(`${field}.template`, 'unbalanced {{ and }}');
  }
}
