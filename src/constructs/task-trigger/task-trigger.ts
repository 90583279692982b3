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
 *
 * The parts live in ./task-trigger/: the Argo Events wire types (argo-events.ts), the props
 * (props.ts), the webhook endpoint and its EventSource (webhook.ts), the trigger parameters
 * (parameters.ts), where a parameter may write (destinations.ts) and the synth-time checks
 * (validation.ts); the public ones are re-exported here.
 */
import { ApiObject, Chart, Lazy, Names } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AgentConstruct } from '../agent.js';
import { ArgoSensorSpec, ArgoTriggerParameter, TriggerTaskTemplate } from './argo-events.js';
import { taskFieldPath } from './destinations.js';
import { annotationParameter, fieldParameter, labelParameter } from './parameters.js';
import { EventFilter, EventLabel, EventValue, TaskParameter, TaskTriggerProps } from './props.js';
import { MAX_NAME, triggerProblems } from './validation.js';
import { eventSourceSpec, ResolvedWebhook, resolveWebhook, webhookDependency } from './webhook.js';
import { API_VERSION, GROUP, Kinds } from '../../api/constants.js';
import { AgentRef, ContextItem, OutputParameter } from '../types.js';

export * from './argo-events.js';
export * from './props.js';
export { labelValueTemplate, sjsonPath } from './parameters.js';
export { isLabelValue, isQualifiedName } from './validation.js';

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
  private readonly webhook: ResolvedWebhook;

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
    this.webhook = resolveWebhook(props.webhook, id);
    const namespace = this.namespace;
    const rbacName = `${this.name}-create-tasks`;

    this.eventSource = new ApiObject(this, 'EventSource', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'EventSource',
      metadata: { name: this.name, namespace },
      spec: Lazy.any({ produce: () => eventSourceSpec(this.webhook, this.props.eventBusName) }),
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
    const labels = this.templateLabels();
    const annotations = this.templateAnnotations();
    return {
      apiVersion: API_VERSION,
      kind: Kinds.task.kind,
      metadata: {
        generateName: this.props.task.generateName ?? `${this.name}-`,
        ...(this.namespace ? { namespace: this.namespace } : {}),
        ...(Object.keys(labels).length ? { labels } : {}),
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      spec: this.templateSpec(),
    };
  }

  /**
   * The trigger's parameters as Argo Events takes them: labels first, then annotations,
   * then the Task fields in the order given.
   */
  public triggerParameters(): ArgoTriggerParameter[] {
    const dependencyName = TaskTrigger.DEPENDENCY_NAME;
    return [
      ...[...this.labels].map(([key, label]) => labelParameter(dependencyName, key, label)),
      ...[...this.annotations].map(([key, value]) => annotationParameter(dependencyName, key, value)),
      ...this.parameters.map((p) => fieldParameter(dependencyName, p)),
    ];
  }

  /** The template's labels: the fixed ones, then each label from the event at its default. */
  private templateLabels(): Record<string, string> {
    const labels: Record<string, string> = { ...(this.props.task.labels ?? {}) };
    for (const [key, label] of this.labels) labels[key] = label.default ?? 'unknown';
    return labels;
  }

  /** The template's annotations: the fixed ones, then each annotation from the event at its default. */
  private templateAnnotations(): Record<string, string> {
    const annotations: Record<string, string> = { ...(this.props.task.annotations ?? {}) };
    for (const [key, value] of this.annotations) annotations[key] = value.default ?? '';
    return annotations;
  }

  private templateSpec(): Record<string, unknown> {
    const task = this.props.task;
    const spec: Record<string, unknown> = { description: task.description ?? this.descriptionPlaceholder() };
    const agentRef = this.agentRef();
    if (agentRef) spec.agentRef = agentRef;
    if (this.contexts.length) spec.contexts = structuredClone(this.contexts);
    if (this.outputParameters.length) spec.outputs = { parameters: structuredClone(this.outputParameters) };
    if (task.timeoutSeconds !== undefined) spec.timeoutSeconds = task.timeoutSeconds;
    if (spec.description === undefined) delete spec.description;
    return spec;
  }

  private descriptionPlaceholder(): string | undefined {
    const filler = this.parameters.find((p) => {
      const d = taskFieldPath(p.to);
      return d?.length === 2 && d[1] === 'description';
    });
    return filler && (filler.default ?? filler.template ?? `(filled from the event: ${filler.from})`);
  }

  private agentRef(): AgentRef | undefined {
    const agent = this.props.agent;
    if (!(agent instanceof AgentConstruct)) return agent && { ...agent };
    return { name: agent.name, ...(agent.namespace && agent.namespace !== this.namespace ? { namespace: agent.namespace } : {}) };
  }

  private sensorSpec(): ArgoSensorSpec {
    const parameters = this.triggerParameters();
    return {
      eventBusName: this.props.eventBusName,
      template: { serviceAccountName: this.serviceAccount.name },
      dependencies: [webhookDependency(TaskTrigger.DEPENDENCY_NAME, this.name, this.webhook.eventName, this.filters)],
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
    return triggerProblems({
      name: this.name,
      namespace: this.namespace,
      path: this.node.path,
      webhook: this.webhook,
      filters: this.filters,
      task: this.props.task,
      template: this.taskTemplate(),
      labels: this.labels,
      annotations: this.annotations,
      parameters: this.parameters,
    });
  }
}
