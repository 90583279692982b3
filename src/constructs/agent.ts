import { ApiObjectMetadata, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { McpServer } from './mcp-config.js';
import { AgentPodSpec, AgentSpec, ContextItem, Credential, OutputParameter, toL1Context } from './types.js';
import { SchemaValidation } from './validation.js';
import * as koc from '../../imports/kubeopencode.io.js';

export interface AgentConstructProps extends AgentSpec {
  /**
   * Name, namespace, labels and annotations of the Agent.
   * @default - name generated from the construct path; namespace of the chart
   */
  readonly metadata?: ApiObjectMetadata;
}

/**
 * An Agent: how Tasks run (images, command, contexts, credentials, limits).
 *
 * Validated at synth time against the CRD schema and its rules, so a mistake fails
 * `cdk8s synth` with the construct path and field instead of failing at apply time.
 */
export class AgentConstruct extends Construct {
  /** The Agent resource. */
  public readonly resource: koc.Agent;
  private readonly contexts: ContextItem[];
  private readonly credentials: Credential[];
  private readonly outputParameters: OutputParameter[];
  private readonly allowedNamespaces: string[];
  private readonly mcpServers: McpServer[];

  constructor(scope: Construct, id: string, private readonly props: AgentConstructProps = {}) {
    super(scope, id);
    this.contexts = [...(props.contexts ?? [])];
    this.credentials = [...(props.credentials ?? [])];
    this.outputParameters = [...(props.outputs?.parameters ?? [])];
    this.allowedNamespaces = [...(props.allowedNamespaces ?? [])];
    this.mcpServers = [...(props.mcpServers ?? [])];
    this.resource = new koc.Agent(this, 'Resource', {
      metadata: props.metadata,
      spec: Lazy.any({ produce: () => this.spec() }),
    });
    this.node.addValidation(new SchemaValidation('Agent', this.resource));
  }

  /** The Agent's name. */
  public get name(): string {
    return this.resource.name;
  }

  /** The Agent's namespace, if it has one. */
  public get namespace(): string | undefined {
    return this.resource.metadata.namespace;
  }

  /** Adds a context that every Task using this Agent gets, before the Task's own. */
  public addContext(context: ContextItem): this {
    this.contexts.push(context);
    return this;
  }

  /** Gives a Secret (or one key of it) to the agent container. */
  public addCredential(credential: Credential): this {
    this.credentials.push(credential);
    return this;
  }

  /** Adds an output parameter that every Task captures. */
  public addOutputParameter(parameter: OutputParameter): this {
    this.outputParameters.push(parameter);
    return this;
  }

  /** Gives every Task of this Agent an MCP server (remote: a URL; local: a command in the executor image). */
  public addMcpServer(server: McpServer): this {
    this.mcpServers.push(server);
    return this;
  }

  /** Lets Tasks from namespaces matching the glob use this Agent. */
  public allowNamespace(glob: string): this {
    this.allowedNamespaces.push(glob);
    return this;
  }

  private spec(): koc.AgentSpec {
    const { metadata: _metadata, ...spec } = this.props;
    return {
      ...spec,
      contexts: nonEmpty(this.contexts.map(toL1Context)),
      credentials: nonEmpty(this.credentials),
      outputs: this.outputParameters.length ? { parameters: this.outputParameters } : undefined,
      allowedNamespaces: nonEmpty(this.allowedNamespaces),
      mcpServers: nonEmpty(this.mcpServers),
      podSpec: toL1PodSpec(spec.podSpec),
    } as koc.AgentSpec;
  }
}

/** The generated L1 takes quantities as instances of its int-or-string classes. */
function toL1PodSpec(podSpec: AgentPodSpec | undefined): koc.AgentSpecPodSpec | undefined {
  if (!podSpec?.resources) return podSpec as koc.AgentSpecPodSpec | undefined;
  const { limits, requests } = podSpec.resources;
  const quantities = <T>(list: Readonly<Record<string, string | number>> | undefined, make: (v: string | number) => T) =>
    list && Object.fromEntries(Object.entries(list).map(([k, v]) => [k, make(v)]));
  return {
    ...(podSpec as koc.AgentSpecPodSpec),
    resources: {
      limits: quantities(limits, (v) => typeof v === 'number' ? koc.AgentSpecPodSpecResourcesLimits.fromNumber(v) : koc.AgentSpecPodSpecResourcesLimits.fromString(v)),
      requests: quantities(requests, (v) => typeof v === 'number' ? koc.AgentSpecPodSpecResourcesRequests.fromNumber(v) : koc.AgentSpecPodSpecResourcesRequests.fromString(v)),
    },
  };
}

export function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length ? list : undefined;
}
