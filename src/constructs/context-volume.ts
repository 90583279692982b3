import { ApiObjectMetadata, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ContextPlan, fetchedFile, planContexts, ResolvedContext } from './context-plan.js';
import { Credential, OutputParameter } from './types.js';
import { Defaults, PodPaths } from '../api/constants.js';

/** Names of the volumes that ContextVolume contributes to the Pod. */
export const ContextVolumeNames = {
  configMap: 'context',
  workspace: 'workspace',
  home: 'home',
  git: (i: number) => `git-${i}`,
  gitSecret: (i: number) => `git-${i}-secret`,
  url: (i: number) => `url-${i}`,
  urlSecret: (i: number) => `url-${i}-secret`,
  file: (i: number) => `context-file-${i}`,
  dir: (i: number) => `context-dir-${i}`,
} as const;

export const OUTPUTS_KEY = 'outputs.json';

/** Where helper containers see each Git or URL context's volume and Secret. */
export const gitFetchDir = (i: number): string => `${PodPaths.fetched}/git-${i}`;
export const urlFetchDir = (i: number): string => `${PodPaths.fetched}/url-${i}`;
export const secretDir = (volume: string): string => `/kubeopencode/secrets/${volume}`;

export interface ContextVolumeProps {
  /** Name, namespace, labels and owner of the ConfigMap. */
  readonly metadata: ApiObjectMetadata;
  /** The Task's description: the start of task.md. */
  readonly description: string;
  /**
   * The agent's working directory.
   * @default /workspace
   */
  readonly workspaceDir?: string;
  /**
   * The contexts, in order (the Agent's, then the Task's), with ConfigMap contents read.
   * @default - none; more can be added with addContext()
   */
  readonly contexts?: readonly ResolvedContext[];
  /**
   * The Agent's credentials; their mountPaths are checked against the contexts' paths.
   * @default - none
   */
  readonly credentials?: readonly Credential[];
  /**
   * The home directory, when it is a volume of its own: parents of mount points inside it
   * are created by context-init.
   * @default - home is not a separate volume
   */
  readonly homeDir?: string;
  /**
   * Output parameters, stored in the ConfigMap for the outputs collector.
   * @default - none
   */
  readonly outputs?: readonly OutputParameter[];
}

/**
 * The contexts of one Task as Kubernetes objects: the context ConfigMap (task.md, the
 * files to write and the plan that the context-init helper follows) and the volumes
 * and mounts the Pod needs for them.
 */
export class ContextVolume extends Construct {
  public readonly configMap: k8s.KubeConfigMap;
  public readonly workspaceDir: string;
  private readonly contexts: ResolvedContext[];
  /** The plan of the current contexts, made on first use; addContext() drops it. */
  private planned?: ContextPlan;

  constructor(scope: Construct, id: string, private readonly props: ContextVolumeProps) {
    super(scope, id);
    this.workspaceDir = props.workspaceDir ?? Defaults.workspaceDir;
    this.contexts = [...(props.contexts ?? [])];
    this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: props.metadata,
      // The Pod reads it once at start; immutable spares the kubelet a watch.
      immutable: true,
      data: Lazy.any({ produce: () => this.data() }),
    });
  }

  public addContext(context: ResolvedContext): this {
    this.contexts.push(context);
    this.planned = undefined;
    return this;
  }

  /**
   * The plan for the current contexts, computed once (the volumes, mounts, containers and the
   * ConfigMap all read it). Throws ContextError for contexts that cannot work.
   */
  public get plan(): ContextPlan {
    this.planned ??= planContexts({
      description: this.props.description,
      workspaceDir: this.workspaceDir,
      contexts: this.contexts,
      credentials: this.props.credentials,
      homeDir: this.props.homeDir,
    });
    return this.planned;
  }

  /**
   * Checks the contexts now: throws the ContextError at once, where synthesis would only
   * throw it later, wrapped in its own error.
   */
  public validate(): this {
    void this.plan;
    return this;
  }

  public get hasOutputs(): boolean {
    return (this.props.outputs ?? []).length > 0;
  }

  private data(): Record<string, string> {
    const outputs = this.props.outputs ?? [];
    return { ...this.plan.data, ...(outputs.length ? { [OUTPUTS_KEY]: JSON.stringify(outputs, null, 2) } : {}) };
  }

  /** The volumes these contexts need (the workspace itself is TaskPod's). */
  public volumes(): k8s.Volume[] {
    const plan = this.plan;
    const name = this.props.metadata.name!;
    const volumes: k8s.Volume[] = [{ name: ContextVolumeNames.configMap, configMap: { name, defaultMode: 0o444 } }];
    const secretVolume = (volume: string, secretName: string): k8s.Volume => ({ name: volume, secret: { secretName, defaultMode: 0o400 } });
    for (const git of plan.gitClones) {
      if (!git.intoWorkspace) volumes.push({ name: ContextVolumeNames.git(git.index), emptyDir: {} });
      if (git.secretName) volumes.push(secretVolume(ContextVolumeNames.gitSecret(git.index), git.secretName));
    }
    for (const url of plan.urlFetches) {
      volumes.push({ name: ContextVolumeNames.url(url.index), emptyDir: {} });
      if (url.secretName) volumes.push(secretVolume(ContextVolumeNames.urlSecret(url.index), url.secretName));
    }
    plan.mountedFiles.forEach((f, i) => volumes.push({
      name: ContextVolumeNames.file(i),
      configMap: { name, items: [{ key: f.key, path: 'content', mode: f.mode }] },
    }));
    plan.mountedDirs.forEach((d, i) => volumes.push({
      name: ContextVolumeNames.dir(i),
      configMap: { name, items: d.entries.map((e) => ({ key: e.key, path: e.name, mode: d.mode })) },
    }));
    return volumes;
  }

  /** What the agent container mounts for these contexts (besides the workspace). */
  public agentMounts(): k8s.VolumeMount[] {
    const plan = this.plan;
    const mounts: k8s.VolumeMount[] = [];
    for (const git of plan.gitClones.filter((g) => !g.intoWorkspace)) {
      mounts.push({ name: ContextVolumeNames.git(git.index), mountPath: git.mountPath, subPath: 'repo' });
    }
    for (const url of plan.urlFetches.filter((u) => u.mountPath !== undefined)) {
      mounts.push({ name: ContextVolumeNames.url(url.index), mountPath: url.mountPath!, subPath: 'content' });
    }
    plan.mountedFiles.forEach((f, i) => mounts.push({ name: ContextVolumeNames.file(i), mountPath: f.path, subPath: 'content', readOnly: true }));
    plan.mountedDirs.forEach((d, i) => mounts.push({ name: ContextVolumeNames.dir(i), mountPath: d.path, readOnly: true }));
    return mounts;
  }

  /** What the context-init helper mounts: the ConfigMap, the workspace, and fetched URLs it inlines. */
  public contextInitMounts(): k8s.VolumeMount[] {
    const inlined = this.plan.urlFetches.filter((u) => u.mountPath === undefined);
    return [
      { name: ContextVolumeNames.configMap, mountPath: PodPaths.contextConfigMap, readOnly: true },
      { name: ContextVolumeNames.workspace, mountPath: this.workspaceDir },
      ...(this.props.homeDir ? [{ name: ContextVolumeNames.home, mountPath: this.props.homeDir }] : []),
      ...inlined.map((u) => ({ name: ContextVolumeNames.url(u.index), mountPath: urlFetchDir(u.index), readOnly: true })),
    ];
  }
}

export { fetchedFile };
