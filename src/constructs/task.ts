import { ApiObjectMetadata, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, nonEmpty } from './agent.js';
import { AgentRef, ContextItem, OutputParameter, TaskSpec, toL1Context } from './types.js';
import { SchemaValidation } from './validation.js';
import * as koc from '../../imports/kubeopencode.io.js';

export interface TaskConstructProps extends Omit<TaskSpec, 'agentRef'> {
  /**
   * Name, namespace, labels and annotations of the Task.
   * @default - name generated from the construct path; namespace of the chart
   */
  readonly metadata?: ApiObjectMetadata;
  /**
   * The Agent that runs the Task: an AgentConstruct of this app, or a reference by name
   * (and namespace, for an Agent in another namespace).
   * @default - the Agent named "default" in the Task's namespace
   */
  readonly agent?: AgentConstruct | AgentRef;
}

/**
 * A Task: one run of an agent. Validated at synth time against the CRD schema and its
 * rules; a Task that names an AgentConstruct of another namespace refers to it across
 * namespaces, as the seed's platform/dev-team split does.
 */
export class TaskConstruct extends Construct {
  public readonly resource: koc.Task;
  private readonly contexts: ContextItem[];
  private readonly outputParameters: OutputParameter[];

  constructor(scope: Construct, id: string, private readonly props: TaskConstructProps) {
    super(scope, id);
    this.contexts = [...(props.contexts ?? [])];
    this.outputParameters = [...(props.outputs?.parameters ?? [])];
    this.resource = new koc.Task(this, 'Resource', {
      metadata: props.metadata,
      spec: Lazy.any({ produce: () => this.spec() }),
    });
    this.node.addValidation(new SchemaValidation('Task', this.resource));
  }

  public get name(): string {
    return this.resource.name;
  }

  /** Adds a context after the Agent's contexts and the ones given before. */
  public addContext(context: ContextItem): this {
    this.contexts.push(context);
    return this;
  }

  /** Adds an output parameter; it overrides the Agent's parameter of the same name. */
  public addOutputParameter(parameter: OutputParameter): this {
    this.outputParameters.push(parameter);
    return this;
  }

  private agentRef(): AgentRef | undefined {
    const agent = this.props.agent;
    if (!(agent instanceof AgentConstruct)) return agent;
    const ownNamespace = this.resource.metadata.namespace;
    return { name: agent.name, namespace: agent.namespace !== ownNamespace ? agent.namespace : undefined };
  }

  private spec(): koc.TaskSpec {
    const { metadata: _metadata, agent: _agent, ...spec } = this.props;
    return {
      ...spec,
      agentRef: this.agentRef(),
      contexts: nonEmpty(this.contexts.map(toL1Context)),
      outputs: this.outputParameters.length ? { parameters: this.outputParameters } : undefined,
    } as koc.TaskSpec;
  }
}
