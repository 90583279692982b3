import { ApiObjectMetadata, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, nonEmpty } from './agent.js';
import { McpServer } from './mcp-config.js';
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
  private readonly mcpServers: McpServer[];

  constructor(scope: Construct, id: string, private readonly props: TaskConstructProps) {
    super(scope, id);
    this.contexts = [...(props.contexts ?? [])];
    this.outputParameters = [...(props.outputs?.parameters ?? [])];
    this.mcpServers = [...(props.mcpServers ?? [])];
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

  /** Adds an MCP server to the Agent's; it replaces the Agent's server of the same name. */
  public addMcpServer(server: McpServer): this {
    this.mcpServers.push(server);
    return this;
  }

  private spec(): koc.TaskSpec {
    const spec = taskSpecOf(this.props, this.resource.metadata.namespace, this.contexts, this.outputParameters);
    return { ...spec, mcpServers: nonEmpty(this.mcpServers) };
  }
}

/** How a Task names its Agent: an AgentConstruct of another namespace is referred to across namespaces. */
function agentRefOf(agent: AgentConstruct | AgentRef | undefined, ownNamespace: string | undefined): AgentRef | undefined {
  if (!(agent instanceof AgentConstruct)) return agent;
  return { name: agent.name, namespace: agent.namespace !== ownNamespace ? agent.namespace : undefined };
}

/** The spec of a Task (or of a CronTask's template) from construct props. */
export function taskSpecOf(
  props: Omit<TaskConstructProps, 'metadata'>, ownNamespace: string | undefined, contexts: ContextItem[], outputs: OutputParameter[],
): koc.TaskSpec {
  const { agent, ...spec } = props as TaskConstructProps;
  delete (spec as { metadata?: unknown }).metadata;
  return {
    ...spec,
    agentRef: agentRefOf(agent, ownNamespace),
    contexts: nonEmpty(contexts.map(toL1Context)),
    outputs: outputs.length ? { parameters: outputs } : undefined,
  } as koc.TaskSpec;
}
