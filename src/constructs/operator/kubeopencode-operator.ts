/**
 * The KubeOpenCode operator construct. Its parts live in ./operator/: the settings and their
 * defaults (values.ts), the RBAC rule tables (rbac.ts), the controller Deployment
 * (controller.ts), the optional Web UI (ui.ts), concrete-or-Helm settings (sources.ts) and
 * the Helm markers (helm-markers.ts), re-exported here.
 */
import type { V1Deployment, V1Namespace, V1ObjectMeta, V1ServiceAccount } from '@kubernetes/client-node';
import { ApiObject, ApiObjectMetadata, JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { KubeOpenCodeCrds } from '../kubeopencode-crds.js';
import { controllerArgs, controllerContainer, controllerDeployment } from './controller.js';
import { helmExpr, METADATA_KEY } from './helm-markers.js';
import {
  controllerClusterRole, controllerClusterRoleBinding, leaderElectionRole, leaderElectionRoleBinding, RbacServiceAccount, shardRole,
} from './rbac.js';
import { Component, ConcreteSource, DEFAULT_NAME, DEFAULT_NAMESPACE, HelmHelpers, HelmSource, Source } from './sources.js';
import { uiContainer, uiDeployment, uiNetworkPolicy, uiService, uiServiceAccount } from './ui.js';
import { DEFAULT_OPERATOR_VALUES, DeepPartial, mergeValues, OperatorValues, ValuesPath } from './values.js';
import { API_VERSION, CLUSTER_CONFIG_NAME, Kinds } from '../../api/constants.js';

export type {
  DeepPartial, JsonValue, KubeObject, OperatorControllerValues, OperatorImage, OperatorPodSecurityContext, OperatorResources, OperatorSecurityContext,
  OperatorUiValues, OperatorValues, ValuesPath,
} from './values.js';
export { DEFAULT_OPERATOR_VALUES, mergeValues } from './values.js';
export type { OperatorRule } from './rbac.js';
export { CONTROLLER_CLUSTER_RULES, leaderElectionRules } from './rbac.js';
export { helmBlock, helmConditionOf, helmExpr, helmItems, helmSplice, helmWith, renderHelmMarkers } from './helm-markers.js';
export { HelmHelpers } from './sources.js';
export { uiArgsTemplate, uiPortsTemplate } from './ui.js';

export interface KubeOpenCodeOperatorProps extends DeepPartial<Omit<OperatorValues, 'nameOverride' | 'fullnameOverride'>> {
  /**
   * Namespace of the controller, its ServiceAccount, Role and Lease.
   * @default kubeopencode-system
   */
  readonly namespace?: string;
  /**
   * Prefix of every object's name (the Deployment is `<name>-controller`).
   * @default kubeopencode
   */
  readonly name?: string;
  /**
   * Also create the Namespace.
   * @default false
   */
  readonly createNamespace?: boolean;
  /**
   * Include the CustomResourceDefinitions (Task, Agent, CronTask, KubeOpenCodeConfig).
   * @default true (Helm templates: false, the chart keeps them in crds/)
   */
  readonly crds?: boolean;
  /**
   * Render Helm templates instead of manifests: every setting becomes an expression over
   * `.Values` (see OperatorValues), names and labels come from `_helpers.tpl`, optional
   * objects are wrapped in `{{- if }}`. Used by scripts/chart.ts; the other settings are
   * then ignored. Pass the synthesized YAML through `renderHelmMarkers`.
   * @default false
   */
  readonly helm?: boolean;
}

/**
 * The KubeOpenCode operator: the controller Deployment, its ServiceAccount, least-privilege
 * RBAC (a ClusterRole with exactly the reconciler's calls, a Role for the leader-election
 * Lease), the CRDs and optionally the cluster's KubeOpenCodeConfig.
 *
 * Every setting is deliberate: one replica with leader election, liveness on /healthz and
 * readiness on /readyz, the restricted Pod Security Standard with a read-only root
 * filesystem, resource requests and limits, an explicit imagePullPolicy, and a
 * ServiceAccount token mounted only into the controller Pod (the ServiceAccount itself
 * does not automount). With `ui.enabled`, the Web UI too, acting only with its users' bearer
 * tokens: its ServiceAccount has no rights and its Pod no token. Pure: it reads nothing and
 * writes nothing.
 *
 * With `helm: true` the same objects come out as Helm templates (see scripts/chart.ts).
 */
export class KubeOpenCodeOperator extends Construct {
  /** The controller Deployment. */
  public readonly deployment: ApiObject;
  public readonly serviceAccount?: ApiObject;
  public readonly clusterRole?: ApiObject;
  public readonly clusterRoleBinding?: ApiObject;
  public readonly role?: ApiObject;
  public readonly roleBinding?: ApiObject;
  /** Sharded mode's Role and RoleBinding (controller.shards > 1). */
  public readonly shardRole?: ApiObject;
  public readonly shardRoleBinding?: ApiObject;
  public readonly config?: ApiObject;
  public readonly crds?: KubeOpenCodeCrds;
  /** The Web UI (ui.enabled): its ServiceAccount (no rights, no token), Deployment and Service. */
  public readonly uiServiceAccount?: ApiObject;
  public readonly uiDeployment?: ApiObject;
  public readonly uiService?: ApiObject;
  /** Only when ui.networkPolicy.from names peers. */
  public readonly uiNetworkPolicy?: ApiObject;
  public readonly namespaceObject?: ApiObject;
  /** The settings in force (the defaults merged with the props); in Helm mode, the chart's defaults. */
  public readonly values: OperatorValues;
  /** The namespace of the controller (a Helm expression in Helm mode). */
  public readonly namespace: string;
  /** The ServiceAccount the controller runs as (a Helm expression in Helm mode). */
  public readonly serviceAccountName: string;

  private readonly source: Source;
  private readonly env: { name: string; value: string }[] = [];
  private readonly extraArgs: string[] = [];

  constructor(scope: Construct, id: string, props: KubeOpenCodeOperatorProps = {}) {
    super(scope, id);
    const { namespace, name, createNamespace, crds, helm, ...settings } = props;
    this.values = helm ? DEFAULT_OPERATOR_VALUES : mergeValues<OperatorValues>(DEFAULT_OPERATOR_VALUES, settings as DeepPartial<OperatorValues>);
    const s: Source = this.source = helm
      ? new HelmSource()
      : new ConcreteSource(this.values, name ?? DEFAULT_NAME, namespace ?? DEFAULT_NAMESPACE);
    this.namespace = s.namespace;
    this.serviceAccountName = s.serviceAccountName;

    if (createNamespace && !helm) this.namespaceObject = this.object('Namespace', this.namespaceManifest());
    if (crds ?? !helm) this.crds = new KubeOpenCodeCrds(this, 'Crds', { labels: helm ? undefined : { 'app.kubernetes.io/part-of': DEFAULT_NAME } });

    if (s.enabled('serviceAccount.create')) this.serviceAccount = this.object('ServiceAccount', this.serviceAccountManifest(), '.Values.serviceAccount.create');
    if (s.enabled('rbac.create')) {
      const subject: RbacServiceAccount = { name: s.serviceAccountName, namespace: s.namespace };
      this.clusterRole = this.object('ClusterRole', controllerClusterRole(this.metadata(s.controllerName, false)), '.Values.rbac.create');
      const clusterRoleBinding = controllerClusterRoleBinding(this.metadata(s.controllerName, false), s.controllerName, subject);
      this.clusterRoleBinding = this.object('ClusterRoleBinding', clusterRoleBinding, '.Values.rbac.create');
      if (s.enabled('controller.leaderElection.enabled')) {
        const condition = 'and .Values.rbac.create .Values.controller.leaderElection.enabled';
        this.role = this.object('Role', leaderElectionRole(this.metadata(s.leaderElectionName, true), s.controllerName), condition);
        const roleBinding = leaderElectionRoleBinding(this.metadata(s.leaderElectionName, true), s.leaderElectionName, subject);
        this.roleBinding = this.object('RoleBinding', roleBinding, condition);
        if (helm || this.values.controller.shards > 1) {
          const sharded = `${condition} (gt (int .Values.controller.shards) 1)`;
          this.shardRole = this.object('ShardRole', shardRole(this.metadata(s.shardsName, true)), sharded);
          this.shardRoleBinding = this.object('ShardRoleBinding', leaderElectionRoleBinding(this.metadata(s.shardsName, true), s.shardsName, subject), sharded);
        }
      }
    }
    this.deployment = this.object('Resource', () => this.deploymentManifest());
    if (s.enabled('config.create')) this.config = this.object('KubeOpenCodeConfig', this.configManifest(), '.Values.config.create');
    if (s.enabled('ui.enabled')) {
      const meta = () => this.metadata(s.uiName, true, undefined, 'ui');
      const ui = '.Values.ui.enabled';
      // Named Ui* so that their templates are ui*.yaml (scripts/chart.ts names files after construct ids).
      this.uiServiceAccount = this.object('UiServiceAccount', uiServiceAccount(meta()), ui);
      this.uiDeployment = this.object('UiDeployment', uiDeployment(s, meta(), uiContainer(s, this.values.ui)), ui);
      this.uiService = this.object('UiService', uiService(s, meta()), ui);
      if (helm || this.values.ui.networkPolicy.from.length) {
        this.uiNetworkPolicy = this.object('UiNetworkPolicy', uiNetworkPolicy(s, meta()), 'and .Values.ui.enabled .Values.ui.networkPolicy.from');
      }
    }
  }

  /** Adds an environment variable to the controller container. */
  public addEnv(name: string, value: string): this {
    this.env.push({ name, value });
    return this;
  }

  /** Adds command-line flags to the controller (see `kubeopencode controller --help`). */
  public addArgs(...args: string[]): this {
    this.extraArgs.push(...args);
    return this;
  }

  /** Every object of the operator except the CRDs (which Helm keeps in crds/). */
  public get objects(): ApiObject[] {
    return [
      this.namespaceObject, this.serviceAccount, this.clusterRole, this.clusterRoleBinding, this.role, this.roleBinding,
      this.shardRole, this.shardRoleBinding, this.deployment, this.config,
      this.uiServiceAccount, this.uiDeployment, this.uiService, this.uiNetworkPolicy,
    ]
      .filter((o): o is ApiObject => o !== undefined);
  }

  private object(id: string, manifest: object | (() => object), helmCondition?: string): ApiObject {
    const build = (typeof manifest === 'function' ? manifest : () => manifest) as () => Record<string, unknown>;
    const { apiVersion, kind, metadata, ...body } = build() as Record<string, unknown> & { apiVersion: string; kind: string; metadata: V1ObjectMeta };
    const { annotations, ...meta } = metadata;
    // The body is produced at synth time, so that addEnv() and addArgs() land in it.
    const lazyBody = Object.fromEntries(Object.keys(body).map((key) => [key, Lazy.any({ produce: () => build()[key] })]));
    const obj = new ApiObject(this, id, {
      apiVersion,
      kind,
      metadata: { ...meta, ...(typeof annotations === 'object' ? { annotations } : {}) } as ApiObjectMetadata,
      ...lazyBody,
    });
    // cdk8s copies metadata maps key by key: a Helm block goes in after synthesis.
    if (typeof annotations === 'string') obj.addJsonPatch(JsonPatch.add('/metadata/annotations', annotations));
    if (helmCondition && this.source.helm) obj.node.addMetadata(METADATA_KEY, helmCondition);
    return obj;
  }

  private metadata(name: string, namespaced: boolean, extraAnnotations?: ValuesPath, component: Component = 'controller'): V1ObjectMeta {
    const annotations = this.source.annotations(extraAnnotations);
    return {
      name,
      ...(namespaced ? { namespace: this.source.namespace } : {}),
      labels: this.source.labels(component),
      ...(annotations !== undefined ? { annotations: annotations as Record<string, string> } : {}),
    };
  }

  private serviceAccountManifest(): V1ServiceAccount {
    return {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: this.metadata(this.source.serviceAccountName, true, 'serviceAccount.annotations'),
      // Only the controller Pod, which asks for it, gets a token.
      automountServiceAccountToken: false,
    };
  }

  private namespaceManifest(): V1Namespace {
    return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.source.namespace, labels: this.source.labels() } };
  }

  private deploymentManifest(): V1Deployment {
    const s = this.source;
    const container = controllerContainer(s, controllerArgs(s, this.values.controller, this.extraArgs), this.env);
    return controllerDeployment(s, this.metadata(s.controllerName, true), container);
  }

  private configManifest(): object {
    const s = this.source;
    const systemImage = s.helm
      ? helmExpr(`{{ .Values.config.systemImage.image | default (include "${HelmHelpers.image}" .) | quote }}`)
      : this.values.config.systemImage.image || s.image;
    return {
      apiVersion: API_VERSION,
      kind: Kinds.config.kind,
      metadata: this.metadata(CLUSTER_CONFIG_NAME, false),
      spec: {
        systemImage: { image: systemImage, imagePullPolicy: s.scalar('config.systemImage.imagePullPolicy') },
        cleanup: s.optional('config.cleanup'),
      },
    };
  }
}
