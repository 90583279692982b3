import { ApiObjectMetadata, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ContextError, GitClone, ResolvedContext, UrlFetch } from './context-plan.js';
import { ContextVolume, ContextVolumeNames, gitFetchDir, OUTPUTS_KEY, secretDir, urlFetchDir } from './context-volume.js';
import { credentialEnv, credentialEnvFrom, credentialMounts, credentialVolumes } from './credential-mounts.js';
import { McpRendering, mergeMcpServers, renderMcpServers, usesSecrets } from './mcp-config.js';
import { defaultPullPolicy, labelValue, restrictedContainer, restrictedPod, systemResources, toK8sResources } from './pod-defaults.js';
import { AgentSpec, ObjectMeta, OutputParameter, TaskSpec } from './types.js';

export { defaultPullPolicy, labelValue } from './pod-defaults.js';
import { API_VERSION, Defaults, Kinds, Labels, MANAGED_BY, PodPaths } from '../api/constants.js';
import { taskResourceName } from '../api/names.js';
import { terminationMessageLimit } from '../api/outputs-format.js';

/** The Task, as the reconciler reads it from the API server. */
export interface TaskInput {
  readonly metadata: ObjectMeta & { readonly namespace: string };
  readonly spec: TaskSpec;
}

/** The Agent, with the CRD defaults applied. */
export interface AgentInput {
  readonly metadata: ObjectMeta & { readonly namespace: string };
  readonly spec: AgentSpec;
}

export interface SystemImage {
  readonly image?: string;
  readonly imagePullPolicy?: string;
}

export interface TaskPodProps {
  readonly task: TaskInput;
  readonly agent: AgentInput;
  /**
   * Contents of the ConfigMaps that ConfigMap contexts name, keyed `namespace/name`. A
   * ConfigMap missing from the map does not exist. The Agent's contexts are looked up in
   * the Agent's namespace, the Task's in the Task's: Pods never mount across namespaces.
   * @default - no ConfigMaps
   */
  readonly configMaps?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * The image of the helper containers (KubeOpenCodeConfig spec.systemImage).
   * @default quay.io/kubeopencode/kubeopencode:latest, IfNotPresent
   */
  readonly systemImage?: SystemImage;
  /**
   * Which attempt of the Task this Pod runs (retries get Pods and ConfigMaps of their own).
   * @default 1
   */
  readonly attempt?: number;
}

const SYSTEM_CLI = 'kubeopencode';
const SYSTEM_TMP = 'system-tmp';
const OUTPUTS_READY_FILE = '/tmp/collect-outputs.ready';
/** Output parameters of the Agent and the Task, merged by name; the Task's win. */
export function mergeOutputs(agent: AgentSpec, task: TaskSpec): OutputParameter[] {
  const byName = new Map<string, OutputParameter>();
  for (const p of [...(agent.outputs?.parameters ?? []), ...(task.outputs?.parameters ?? [])]) byName.set(p.name, p);
  return [...byName.values()];
}

/**
 * Everything one Task runs as: its Pod and its context ConfigMap, both in the Agent's
 * namespace, named deterministically from the Task's namespace and name.
 *
 * Init containers, in order: `tools` (copies the agent binary into /tools), `git-N`
 * (clones), `url-N` (fetches), `context` (writes task.md and the context files), then the
 * `outputs` sidecar when outputs are declared; the main container `agent` runs the
 * Agent's command in the workspace. Every container meets the `restricted` Pod Security
 * Standard. Pure: it reads nothing and writes nothing.
 */
export class TaskPod extends Construct {
  public readonly pod: k8s.KubePod;
  public readonly contextVolume: ContextVolume;
  /** Name of the Pod and of the ConfigMap. */
  public readonly resourceName: string;
  public readonly namespace: string;

  private readonly system: Required<SystemImage>;
  private readonly workspaceDir: string;
  private readonly mcp: McpRendering;

  constructor(scope: Construct, id: string, private readonly props: TaskPodProps) {
    super(scope, id);
    const { task, agent } = props;
    this.namespace = agent.metadata.namespace;
    this.resourceName = taskResourceName(task.metadata.namespace, task.metadata.name, props.attempt ?? 1);
    this.workspaceDir = agent.spec.workspaceDir ?? Defaults.workspaceDir;
    const image = props.systemImage?.image ?? Defaults.systemImage;
    this.system = { image, imagePullPolicy: props.systemImage?.imagePullPolicy ?? 'IfNotPresent' };

    this.checkCrossNamespaceSecrets();
    this.mcp = renderMcpServers(mergeMcpServers(agent.spec.mcpServers, task.spec.mcpServers), this.workspaceDir,
      `Task ${task.metadata.namespace}/${task.metadata.name} and its Agent: spec.mcpServers`);
    const outputs = mergeOutputs(agent.spec, task.spec);
    this.contextVolume = new ContextVolume(this, 'context', {
      metadata: this.metadata(),
      description: task.spec.description,
      workspaceDir: this.workspaceDir,
      homeDir: this.homeIsWorkspace() ? undefined : PodPaths.home,
      contexts: [...this.resolveContexts(), ...(this.mcp.context ? [this.mcp.context] : [])],
      credentials: agent.spec.credentials,
      outputs,
    });
    this.checkOutputPaths(outputs);

    this.pod = new k8s.KubePod(this, 'Resource', {
      metadata: this.metadata(),
      spec: Lazy.any({ produce: () => this.podSpec() }),
    });
  }

  /** The ConfigMap holding task.md and the context files. */
  public get configMap(): k8s.KubeConfigMap {
    return this.contextVolume.configMap;
  }

  private metadata(): ApiObjectMetadata {
    const { task, agent } = this.props;
    const sameNamespace = task.metadata.namespace === agent.metadata.namespace;
    return {
      name: this.resourceName,
      namespace: this.namespace,
      labels: {
        ...(agent.spec.podSpec?.labels ?? {}),
        [Labels.managedBy]: MANAGED_BY,
        [Labels.component]: 'task',
        [Labels.task]: labelValue(task.metadata.name),
        [Labels.taskNamespace]: task.metadata.namespace,
        [Labels.agent]: labelValue(agent.metadata.name),
        ...(task.metadata.uid ? { [Labels.taskUid]: task.metadata.uid } : {}),
      },
      annotations: {
        [Labels.task]: task.metadata.name,
        [Labels.taskNamespace]: task.metadata.namespace,
      },
      // Owner references cannot cross namespaces; cross-namespace Tasks use a finalizer instead.
      ownerReferences: sameNamespace && task.metadata.uid ? [{
        apiVersion: API_VERSION,
        kind: Kinds.task.kind,
        name: task.metadata.name,
        uid: task.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      }] : undefined,
    };
  }

  /**
   * The outputs collector sees the workspace, the home directory and the mounted contexts;
   * an absolute output path anywhere else could never be read.
   */
  private checkOutputPaths(outputs: readonly OutputParameter[]): void {
    const visible = [this.workspaceDir, PodPaths.home, ...this.contextVolume.agentMounts().map((m) => m.mountPath)];
    for (const o of outputs.filter((p) => p.path.startsWith('/'))) {
      if (!visible.some((root) => o.path === root || o.path.startsWith(`${root}/`))) {
        throw new ContextError(`output ${o.name}: path ${o.path} is outside the workspace, the home directory and the mounted contexts, ` +
          'where the outputs collector cannot read it');
      }
    }
  }

  /**
   * A Task from another namespace runs in the Agent's namespace, where a secretRef of its own
   * would name one of the platform team's Secrets and send it to a repository or URL of the
   * Task's choosing. Only the Agent decides which Secrets its Pods get.
   */
  private checkCrossNamespaceSecrets(): void {
    const { task, agent } = this.props;
    if (task.metadata.namespace === agent.metadata.namespace) return;
    (task.spec.contexts ?? []).forEach((item, i) => {
      const ref = item.git?.secretRef ?? item.url?.secretRef;
      if (!ref) return;
      const field = item.git ? 'git.secretRef' : 'url.secretRef';
      throw new ContextError(`Task ${task.metadata.namespace}/${task.metadata.name} spec.contexts[${i}].${field}: a Task from namespace `
        + `${task.metadata.namespace} cannot use Secrets of the Agent's namespace ${agent.metadata.namespace} (${ref.name}); `
        + 'the Agent names the Secrets its Pods may use (in its own contexts or credentials)');
    });
    if (usesSecrets(task.spec.mcpServers)) {
      throw new ContextError(`Task ${task.metadata.namespace}/${task.metadata.name} spec.mcpServers: a Task from namespace `
        + `${task.metadata.namespace} cannot use Secrets of the Agent's namespace ${agent.metadata.namespace} in an MCP server's headers or env; `
        + 'the Agent names the Secrets its Pods may use (in its own mcpServers or credentials)');
    }
  }

  private resolveContexts(): ResolvedContext[] {
    const { task, agent, configMaps = {} } = this.props;
    const resolve = (owner: TaskInput | AgentInput, kind: string) => (owner.spec.contexts ?? []).map((item, i): ResolvedContext => ({
      item,
      origin: `${kind} ${owner.metadata.namespace}/${owner.metadata.name} spec.contexts[${i}]`,
      configMapData: item.configMap ? configMaps[`${owner.metadata.namespace}/${item.configMap.name}`] : undefined,
    }));
    return [...resolve(agent, 'Agent'), ...resolve(task, 'Task')];
  }

  private podSpec(): k8s.PodSpec {
    const { task, agent } = this.props;
    const podSpec = agent.spec.podSpec;
    const scheduling = podSpec?.scheduling;
    return {
      restartPolicy: 'Never',
      serviceAccountName: agent.spec.serviceAccountName,
      // Only a ServiceAccount the platform team chose gets its token mounted.
      automountServiceAccountToken: agent.spec.serviceAccountName !== undefined,
      enableServiceLinks: false,
      activeDeadlineSeconds: task.spec.timeoutSeconds,
      runtimeClassName: podSpec?.runtimeClassName,
      nodeSelector: scheduling?.nodeSelector,
      tolerations: scheduling?.tolerations?.map((t) => ({ ...t })),
      affinity: scheduling?.affinity,
      securityContext: restrictedPod,
      volumes: this.volumes(),
      initContainers: this.initContainers(),
      containers: [this.agentContainer()],
    };
  }

  private volumes(): k8s.Volume[] {
    const needsHome = !this.homeIsWorkspace();
    return [
      { name: 'tools', emptyDir: {} },
      { name: ContextVolumeNames.workspace, emptyDir: {} },
      ...(needsHome ? [{ name: ContextVolumeNames.home, emptyDir: {} }] : []),
      { name: 'tmp', emptyDir: {} },
      { name: SYSTEM_TMP, emptyDir: {} },
      ...this.contextVolume.volumes(),
      ...credentialVolumes(this.props.agent.spec.credentials ?? []),
    ];
  }

  private homeIsWorkspace(): boolean {
    return this.workspaceDir === PodPaths.home || this.workspaceDir.startsWith(`${PodPaths.home}/`) || PodPaths.home.startsWith(`${this.workspaceDir}/`);
  }

  private systemContainer(name: string, args: string[], volumeMounts: k8s.VolumeMount[]): k8s.Container {
    return {
      name,
      image: this.system.image,
      imagePullPolicy: this.system.imagePullPolicy,
      command: [SYSTEM_CLI, ...args],
      env: [{ name: 'HOME', value: '/tmp' }],
      // The helpers' own /tmp: the agent's /tmp is a separate volume it cannot reach into.
      volumeMounts: [{ name: SYSTEM_TMP, mountPath: '/tmp' }, ...volumeMounts],
      resources: systemResources,
      securityContext: restrictedContainer(true),
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
  }

  private initContainers(): k8s.Container[] {
    const plan = this.contextVolume.plan;
    const containers = [
      this.toolsContainer(),
      ...plan.gitClones.map((git) => this.gitContainer(git)),
      ...plan.urlFetches.map((url) => this.urlContainer(url)),
      this.systemContainer('context', ['context-init', '--config-dir', PodPaths.contextConfigMap], this.contextVolume.contextInitMounts()),
    ];
    // Kubernetes keeps 12 KiB of termination messages per Pod, shared by all its containers.
    if (this.contextVolume.hasOutputs) containers.push(this.outputsSidecar(terminationMessageLimit(containers.length + 2)));
    return containers;
  }

  /** The agent image copies its binary into /tools with its own entrypoint. */
  private toolsContainer(): k8s.Container {
    const image = this.props.agent.spec.agentImage ?? Defaults.agentImage;
    return {
      name: 'tools',
      image,
      imagePullPolicy: defaultPullPolicy(image),
      env: [{ name: 'TOOLS_DIR', value: PodPaths.tools }],
      volumeMounts: [{ name: 'tools', mountPath: PodPaths.tools }],
      resources: systemResources,
      securityContext: restrictedContainer(false),
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
  }

  private gitContainer(git: GitClone): k8s.Container {
    const volume = git.intoWorkspace ? this.workspaceMount() : { name: ContextVolumeNames.git(git.index), mountPath: gitFetchDir(git.index) };
    const secret = ContextVolumeNames.gitSecret(git.index);
    return this.systemContainer(`git-${git.index}`, [
      'git-init',
      '--repository', git.repository,
      '--target', git.intoWorkspace ? this.workspaceDir : `${gitFetchDir(git.index)}/repo`,
      '--depth', String(git.depth),
      ...(git.ref ? ['--ref', git.ref] : []),
      ...(git.subdir ? ['--subdir', git.subdir] : []),
      ...(git.secretName ? ['--secret-dir', secretDir(secret)] : []),
    ], [volume, ...(git.secretName ? [{ name: secret, mountPath: secretDir(secret), readOnly: true }] : [])]);
  }

  private urlContainer(url: UrlFetch): k8s.Container {
    const secret = ContextVolumeNames.urlSecret(url.index);
    const headers = Object.entries(url.headers).sort(([a], [b]) => a.localeCompare(b)).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
    return this.systemContainer(`url-${url.index}`, [
      'url-fetch',
      '--source', url.source,
      '--target', `${urlFetchDir(url.index)}/content`,
      '--timeout', String(url.timeoutSeconds),
      ...headers,
      ...(url.secretName ? ['--secret-dir', secretDir(secret)] : []),
      ...(url.insecureSkipTLSVerify ? ['--insecure-skip-tls-verify'] : []),
      '--mode', url.mode.toString(8),
    ], [
      { name: ContextVolumeNames.url(url.index), mountPath: urlFetchDir(url.index) },
      ...(url.secretName ? [{ name: secret, mountPath: secretDir(secret), readOnly: true }] : []),
    ]);
  }

  /**
   * A native sidecar: Kubernetes stops it after the agent exits, and it then reports the
   * outputs through its termination message, whether the agent succeeded or not.
   */
  private outputsSidecar(maxBytes: number): k8s.Container {
    return {
      ...this.systemContainer('outputs', [
        'collect-outputs', '--parameters', `${PodPaths.contextConfigMap}/${OUTPUTS_KEY}`, '--workspace', this.workspaceDir,
        '--max-bytes', String(maxBytes), '--ready-file', OUTPUTS_READY_FILE,
      ], [
        { name: ContextVolumeNames.configMap, mountPath: PodPaths.contextConfigMap, readOnly: true },
        // Whatever the agent sees: outputs may live in a mounted repository or in HOME. The workspace and
        // home stay writable because the runtime must create the mount points of what is mounted inside
        // them (the sidecar starts before the agent); the mounts themselves are read-only.
        this.workspaceMount(),
        ...this.homeMounts(),
        ...this.contextVolume.agentMounts().map((m) => ({ ...m, readOnly: true })),
      ]),
      restartPolicy: 'Always',
      terminationMessagePolicy: 'File',
      // The agent starts only once the collector waits for SIGTERM, so it cannot miss it.
      startupProbe: { exec: { command: ['test', '-e', OUTPUTS_READY_FILE] }, periodSeconds: 1, failureThreshold: 120 },
    };
  }

  private workspaceMount(): k8s.VolumeMount {
    return { name: ContextVolumeNames.workspace, mountPath: this.workspaceDir };
  }

  private homeMounts(): k8s.VolumeMount[] {
    return this.homeIsWorkspace() ? [] : [{ name: ContextVolumeNames.home, mountPath: PodPaths.home }];
  }

  private agentContainer(): k8s.Container {
    const { task, agent } = this.props;
    const credentials = agent.spec.credentials ?? [];
    const home = this.homeIsWorkspace() ? this.workspaceDir : PodPaths.home;
    return {
      name: 'agent',
      image: agent.spec.executorImage ?? Defaults.executorImage,
      imagePullPolicy: defaultPullPolicy(agent.spec.executorImage ?? Defaults.executorImage),
      command: [...(agent.spec.command ?? Defaults.command)],
      workingDir: this.workspaceDir,
      env: [
        { name: 'HOME', value: home },
        { name: 'TASK_NAME', value: task.metadata.name },
        { name: 'TASK_NAMESPACE', value: task.metadata.namespace },
        { name: 'WORKSPACE_DIR', value: this.workspaceDir },
        ...this.gitSafeDirectoryEnv(),
        ...credentialEnv(credentials),
        ...this.mcp.env,
      ],
      envFrom: credentialEnvFrom(credentials),
      volumeMounts: [
        { name: 'tools', mountPath: PodPaths.tools, readOnly: true },
        this.workspaceMount(),
        ...this.homeMounts(),
        { name: 'tmp', mountPath: '/tmp' },
        ...this.contextVolume.agentMounts(),
        ...credentialMounts(credentials),
      ],
      resources: toK8sResources(agent.spec.podSpec?.resources),
      securityContext: restrictedContainer(false),
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
  }

  /**
   * A repository cloned into the workspace root sits in a directory the agent's user does
   * not own (the volume's root), which git refuses as "dubious ownership" unless told.
   */
  private gitSafeDirectoryEnv(): k8s.EnvVar[] {
    if (!this.contextVolume.plan.gitClones.some((g) => g.intoWorkspace)) return [];
    return [
      { name: 'GIT_CONFIG_COUNT', value: '1' },
      { name: 'GIT_CONFIG_KEY_0', value: 'safe.directory' },
      { name: 'GIT_CONFIG_VALUE_0', value: this.workspaceDir },
    ];
  }
}
