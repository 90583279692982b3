import type {
  V1ClusterRole, V1ClusterRoleBinding, V1Container, V1Deployment, V1Namespace, V1ObjectMeta, V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount,
} from '@kubernetes/client-node';
import { ApiObject, ApiObjectMetadata, JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { KubeOpenCodeCrds } from './kubeopencode-crds.js';
import { Toleration } from './types.js';
import { API_VERSION, CLUSTER_CONFIG_NAME, GROUP, Kinds } from '../api/constants.js';

// ---------------------------------------------------------------------------------------
// The settings: one typed shape for the construct's props and the Helm chart's values.yaml
// ---------------------------------------------------------------------------------------

/** A JSON value as it appears in values.yaml. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface OperatorImage {
  /** @default quay.io/kubeopencode/kubeopencode */
  readonly repository: string;
  /** Empty means the chart's appVersion. @default latest */
  readonly tag: string;
  /** @default Always (the default tag moves) */
  readonly pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
}

export interface OperatorResources {
  readonly limits?: Readonly<Record<string, string | number>>;
  readonly requests?: Readonly<Record<string, string | number>>;
}

/** The subset of a container SecurityContext people set; anything else passes through. */
export interface OperatorSecurityContext {
  readonly allowPrivilegeEscalation?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly privileged?: boolean;
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  readonly seccompProfile?: { readonly type: string; readonly localhostProfile?: string };
  readonly [other: string]: JsonValue | undefined;
}

/** The subset of a PodSecurityContext people set; anything else passes through. */
export interface OperatorPodSecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly seccompProfile?: { readonly type: string; readonly localhostProfile?: string };
  readonly [other: string]: JsonValue | undefined;
}

export interface OperatorControllerValues {
  readonly image: OperatorImage;
  /** Secrets for pulling the image, e.g. `[{ name: regcred }]`. @default [] */
  readonly imagePullSecrets: readonly { readonly name: string }[];
  /** Replicas of the controller; with leader election, one leads and the others stand by. @default 1 */
  readonly replicas: number;
  /** @default requests 100m CPU / 128Mi, limits 500m CPU / 512Mi (the seed's) */
  readonly resources: OperatorResources;
  /** @default info */
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** @default json */
  readonly logFormat: 'json' | 'text';
  /** Concurrent reconciles. @default 4 */
  readonly workers: number;
  /** Only handle Tasks and Agents in namespaces matching these globs. @default [] (all namespaces) */
  readonly watchNamespaces: readonly string[];
  readonly leaderElection: {
    /** @default true */
    readonly enabled: boolean;
    /** @default 15 */
    readonly leaseDurationSeconds: number;
  };
  /** Port of /metrics (Prometheus text format). @default 8080 */
  readonly metrics: { readonly port: number };
  /** Port of /healthz and /readyz. @default 8081 */
  readonly health: { readonly port: number };
  /** @default {} */
  readonly podLabels: Readonly<Record<string, string>>;
  /** @default {} */
  readonly podAnnotations: Readonly<Record<string, string>>;
  /** @default the restricted Pod Security Standard, uid/gid 65532 */
  readonly podSecurityContext: OperatorPodSecurityContext;
  /** @default the restricted Pod Security Standard with a read-only root filesystem */
  readonly securityContext: OperatorSecurityContext;
  /** @default {} */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** @default [] */
  readonly tolerations: readonly Toleration[];
  /** @default {} */
  readonly affinity: { readonly [key: string]: JsonValue };
  /** @default "" (none) */
  readonly priorityClassName: string;
}

export interface OperatorValues {
  /** Replaces the chart name in object names (Helm only). @default "" */
  readonly nameOverride: string;
  /** Replaces the whole name prefix (Helm only). @default "" */
  readonly fullnameOverride: string;
  /** Labels added to every object. @default {} */
  readonly commonLabels: Readonly<Record<string, string>>;
  /** Annotations added to every object. @default {} */
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly controller: OperatorControllerValues;
  readonly serviceAccount: {
    /** @default true */
    readonly create: boolean;
    /** @default "" (the controller's name when created, else `default`) */
    readonly name: string;
    /** e.g. for workload identity. @default {} */
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly rbac: {
    /** ClusterRole, Role and their bindings. @default true */
    readonly create: boolean;
  };
  /** The cluster-wide KubeOpenCodeConfig singleton named `cluster`. */
  readonly config: {
    /** Only one release per cluster may create it. @default false */
    readonly create: boolean;
    readonly systemImage: {
      /** Empty means the controller image. @default "" */
      readonly image: string;
      /** @default IfNotPresent */
      readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
    };
    /** ttlSecondsAfterFinished and maxRetainedTasks. @default {} (keep every Task) */
    readonly cleanup: { readonly ttlSecondsAfterFinished?: number; readonly maxRetainedTasks?: number };
  };
}

/** The defaults: what `values.yaml` holds and what a construct without props gets. */
export const DEFAULT_OPERATOR_VALUES: OperatorValues = {
  nameOverride: '',
  fullnameOverride: '',
  commonLabels: {},
  commonAnnotations: {},
  controller: {
    image: { repository: 'quay.io/kubeopencode/kubeopencode', tag: 'latest', pullPolicy: 'Always' },
    imagePullSecrets: [],
    replicas: 1,
    resources: {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    },
    logLevel: 'info',
    logFormat: 'json',
    workers: 4,
    watchNamespaces: [],
    leaderElection: { enabled: true, leaseDurationSeconds: 15 },
    metrics: { port: 8080 },
    health: { port: 8081 },
    podLabels: {},
    podAnnotations: {},
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    },
    nodeSelector: {},
    tolerations: [],
    affinity: {},
    priorityClassName: '',
  },
  serviceAccount: { create: true, name: '', annotations: {} },
  rbac: { create: true },
  config: {
    create: false,
    systemImage: { image: '', imagePullPolicy: 'IfNotPresent' },
    cleanup: {},
  },
};

/** Every field optional, at every depth (arrays are replaced whole, as Helm does). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Dotted paths into the values, e.g. `controller.image.tag`. */
export type ValuesPath<T = OperatorValues, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends readonly unknown[]
    ? `${P}${K}`
    : string extends keyof T[K]
      ? `${P}${K}` // a map: its keys are data, not settings
      : T[K] extends object ? `${P}${K}` | ValuesPath<T[K], `${P}${K}.`> : `${P}${K}`
}[keyof T & string];

/** Helm's merge: objects merge key by key, anything else (arrays included) replaces. */
export function mergeValues<T>(base: T, override: DeepPartial<T> | undefined): T {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    out[key] = key in out ? mergeValues(out[key], value as never) : value;
  }
  return out as T;
}

/**
 * A deep copy made of this realm's plain objects. (structuredClone may build them in another
 * realm, e.g. under Jest, where cdk8s's resolver then takes `{ key, value }` maps, like a
 * toleration, for an int-or-string and keeps only `value`.)
 */
const jsonClone = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)) as T);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(values: OperatorValues, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], values);
}

// ---------------------------------------------------------------------------------------
// RBAC: exactly the calls of src/reconciler, and nothing else
// ---------------------------------------------------------------------------------------

/** A PolicyRule with the reason it exists. */
export interface OperatorRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
  /** Which reconciler call needs it. */
  readonly why: string;
}

/**
 * The controller's cluster-wide rules. Every verb maps to a call in src/reconciler (see
 * `why`); Secrets are absent on purpose: Task Pods mount them, the controller never reads them.
 */
export const CONTROLLER_CLUSTER_RULES: readonly OperatorRule[] = [
  {
    apiGroups: [GROUP],
    resources: [Kinds.task.plural],
    verbs: ['get', 'list', 'watch', 'patch', 'delete'],
    why: 'informer (list, watch); re-read after a 409 (get); the finalizer of cross-namespace Tasks (patch); cleanup by TTL and maxRetainedTasks (delete)',
  },
  { apiGroups: [GROUP], resources: [`${Kinds.task.plural}/status`], verbs: ['patch'], why: 'every phase transition is a merge patch of the status subresource' },
  {
    apiGroups: [GROUP],
    resources: [`${Kinds.task.plural}/finalizers`],
    verbs: ['update'],
    why: 'Pods and ConfigMaps carry an ownerReference with blockOwnerDeletion to their Task, which the OwnerReferencesPermissionEnforcement admission plugin allows only with this',
  },
  { apiGroups: [GROUP], resources: [Kinds.agent.plural], verbs: ['list', 'watch'], why: 'informer (Agents are only read from the cache)' },
  { apiGroups: [GROUP], resources: [`${Kinds.agent.plural}/status`], verbs: ['patch'], why: 'runningTasks, queuedTasks and conditions' },
  {
    apiGroups: [GROUP],
    resources: [Kinds.config.plural],
    verbs: ['list', 'watch'],
    resourceNames: [CLUSTER_CONFIG_NAME],
    why: `informer on the singleton (fieldSelector metadata.name=${CLUSTER_CONFIG_NAME}, which lets RBAC restrict it by name)`,
  },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'], why: 'informer on Task Pods; read when not cached yet; create; delete on stop, timeout, stale Pods and finalization' },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'delete'], why: 'read ConfigMap contexts; create and delete the context ConfigMap of a Task' },
  { apiGroups: [''], resources: ['events'], verbs: ['create'], why: 'an Event on every Task transition' },
];

/** The Role in the controller's namespace: leader election on one Lease. */
export function leaderElectionRules(leaseName: string): OperatorRule[] {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'], why: 'the first candidate creates the Lease (create cannot be limited by name)' },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [leaseName], why: 'read, renew, take over and release the Lease' },
  ];
}

const toPolicyRule = ({ why: _why, ...rule }: OperatorRule): V1PolicyRule => ({
  apiGroups: [...rule.apiGroups],
  resources: [...rule.resources],
  verbs: [...rule.verbs],
  ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
});

// ---------------------------------------------------------------------------------------
// Helm expressions as marker strings (see renderHelmMarkers)
// ---------------------------------------------------------------------------------------

const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
const unhex = (code: string): string => Buffer.from(code, 'hex').toString('utf8');

/** A scalar replaced verbatim by `text`, e.g. `{{ .Values.replicas }}` (unquoted: ints and bools stay ints and bools). */
export const helmExpr = (text: string): string => `__HELMX_${hex(text)}__`;
/** As a map value: `key:` followed by `{{- text | nindent N }}`, e.g. `toYaml .Values.resources`. */
export const helmBlock = (text: string): string => `__HELMB_${hex(text)}__`;
/** As a map value: the key with `toYaml` of `text`, left out when `text` is empty (`{{- with text }}`). */
export const helmWith = (text: string): string => `__HELMW_${hex(text)}__`;
/** As a map key (with value ""): the lines of `text` spliced in at the key's indentation, e.g. `include "x.labels" .`. */
export const helmSplice = (text: string): string => `__HELMS_${hex(text)}__`;

const METADATA_KEY = 'kubeopencode.io/helm-if';

/** The Helm condition (e.g. `.Values.rbac.create`) that the object's template is wrapped in, if any. */
export function helmConditionOf(obj: ApiObject): string | undefined {
  return obj.node.metadata.find((m) => m.type === METADATA_KEY)?.data as string | undefined;
}

/**
 * Turns the markers in a YAML document (as `yaml` writes it, lineWidth 0) into Helm template
 * syntax. Throws if a marker is in a place it cannot be, or if the YAML holds a literal
 * `{{` that Helm would take for a template.
 */
export function renderHelmMarkers(yaml: string): string {
  if (yaml.includes('{{')) throw new Error('the manifest holds a literal "{{", which Helm would evaluate');
  const out: string[] = [];
  for (const line of yaml.split('\n')) {
    const indent = line.length - line.trimStart().length;
    const pad = ' '.repeat(indent);
    const keyed = /^(\s*)(- )?([^\s:]+): __HELM([BW])_([0-9a-f]+)__$/.exec(line);
    if (keyed) {
      const [, , dash, key, kind, code] = keyed;
      if (dash) throw new Error(`a block marker cannot start a list item: ${line}`);
      const text = unhex(code);
      if (kind === 'B') out.push(`${pad}${key}:`, `{{- ${text} | nindent ${indent + 2} }}`);
      else out.push(`{{- with ${text} }}`, `${pad}${key}:`, `{{- toYaml . | nindent ${indent + 2} }}`, '{{- end }}');
      continue;
    }
    const splice = /^\s*__HELMS_([0-9a-f]+)__: (""|'')$/.exec(line);
    if (splice) {
      out.push(`{{- ${unhex(splice[1])} | nindent ${indent} }}`);
      continue;
    }
    const replaced = line.replace(/__HELMX_([0-9a-f]+)__/g, (_m, code: string) => unhex(code));
    if (/__HELM[A-Z]_/.test(replaced)) throw new Error(`a Helm marker in a place it cannot be: ${line}`);
    out.push(replaced);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------
// The construct
// ---------------------------------------------------------------------------------------

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
   * Include the three CustomResourceDefinitions.
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

const DEFAULT_NAME = 'kubeopencode';
const DEFAULT_NAMESPACE = 'kubeopencode-system';

/** Helm template helpers (defined in the chart's _helpers.tpl) that the templates use. */
export const HelmHelpers = {
  fullname: 'kubeopencode.fullname',
  controllerName: 'kubeopencode.controllerName',
  leaderElectionName: 'kubeopencode.leaderElectionName',
  serviceAccountName: 'kubeopencode.serviceAccountName',
  image: 'kubeopencode.image',
  labels: 'kubeopencode.labels',
  selectorLabels: 'kubeopencode.selectorLabels',
  podLabels: 'kubeopencode.podLabels',
} as const;

/**
 * Where each setting comes from: concrete values (a cdk8s app) or Helm expressions (the
 * chart). The construct reads every setting through this, so both share one code path.
 */
interface Source {
  readonly helm: boolean;
  readonly namespace: string;
  readonly controllerName: string;
  readonly leaderElectionName: string;
  readonly serviceAccountName: string;
  readonly image: string;
  /** A scalar setting: its value, or `{{ .Values.path }}` (quoted for strings). */
  scalar<T>(path: ValuesPath): T;
  /** A map or list setting that is always present: its value, or a toYaml block. */
  block<T>(path: ValuesPath): T;
  /** A setting left out when empty: its value or undefined, or a `with` block. */
  optional<T>(path: ValuesPath): T | undefined;
  /** A boolean that decides whether something exists (in Helm: always true, plus a condition). */
  enabled(path: ValuesPath): boolean;
  /** The labels of every object. */
  labels(): Record<string, string>;
  selectorLabels(): Record<string, string>;
  podLabels(): Record<string, string>;
  /** Extra annotations, merged with commonAnnotations (the helm form is an expression). */
  annotations(extra?: ValuesPath): Record<string, string> | string | undefined;
}

class ConcreteSource implements Source {
  public readonly helm = false;
  public readonly controllerName: string;
  public readonly leaderElectionName: string;
  public readonly serviceAccountName: string;
  public readonly image: string;

  constructor(private readonly values: OperatorValues, private readonly name: string, public readonly namespace: string) {
    this.controllerName = `${name}-controller`;
    this.leaderElectionName = `${name}-leader-election`;
    this.serviceAccountName = values.serviceAccount.name || (values.serviceAccount.create ? this.controllerName : 'default');
    const image = values.controller.image;
    this.image = `${image.repository}:${image.tag || 'latest'}`;
  }

  public scalar<T>(path: ValuesPath): T {
    return valueAt(this.values, path) as T;
  }

  public block<T>(path: ValuesPath): T {
    return jsonClone(valueAt(this.values, path)) as T;
  }

  public optional<T>(path: ValuesPath): T | undefined {
    const value = valueAt(this.values, path);
    const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length) || (isPlainObject(value) && !Object.keys(value).length);
    return empty ? undefined : jsonClone(value) as T;
  }

  public enabled(path: ValuesPath): boolean {
    return valueAt(this.values, path) === true;
  }

  public selectorLabels(): Record<string, string> {
    return { 'app.kubernetes.io/name': DEFAULT_NAME, 'app.kubernetes.io/instance': this.name };
  }

  public labels(): Record<string, string> {
    return {
      ...this.values.commonLabels,
      ...this.selectorLabels(),
      'app.kubernetes.io/component': 'controller',
      'app.kubernetes.io/part-of': DEFAULT_NAME,
      // Not "kubeopencode": that value marks the Task Pods the reconciler watches.
      'app.kubernetes.io/managed-by': 'cdk8s',
    };
  }

  public podLabels(): Record<string, string> {
    return { ...this.values.commonLabels, ...this.values.controller.podLabels, ...this.labels() };
  }

  public annotations(extra?: ValuesPath): Record<string, string> | undefined {
    const merged = { ...this.values.commonAnnotations, ...(extra ? valueAt(this.values, extra) as Record<string, string> : {}) };
    return Object.keys(merged).length ? merged : undefined;
  }
}

class HelmSource implements Source {
  public readonly helm = true;
  public readonly namespace = helmExpr('{{ .Release.Namespace | quote }}');
  public readonly controllerName = helmExpr(`{{ include "${HelmHelpers.controllerName}" . | quote }}`);
  public readonly leaderElectionName = helmExpr(`{{ include "${HelmHelpers.leaderElectionName}" . | quote }}`);
  public readonly serviceAccountName = helmExpr(`{{ include "${HelmHelpers.serviceAccountName}" . | quote }}`);
  public readonly image = helmExpr(`{{ include "${HelmHelpers.image}" . | quote }}`);

  public scalar<T>(path: ValuesPath): T {
    const quote = typeof valueAt(DEFAULT_OPERATOR_VALUES, path) === 'string' ? ' | quote' : '';
    return helmExpr(`{{ .Values.${path}${quote} }}`) as T;
  }

  public block<T>(path: ValuesPath): T {
    return helmBlock(`toYaml .Values.${path}`) as T;
  }

  public optional<T>(path: ValuesPath): T {
    return helmWith(`.Values.${path}`) as T;
  }

  public enabled(): boolean {
    return true;
  }

  public labels(): Record<string, string> {
    return { [helmSplice(`include "${HelmHelpers.labels}" .`)]: '' };
  }

  public selectorLabels(): Record<string, string> {
    return { [helmSplice(`include "${HelmHelpers.selectorLabels}" .`)]: '' };
  }

  public podLabels(): Record<string, string> {
    return { [helmSplice(`include "${HelmHelpers.podLabels}" .`)]: '' };
  }

  public annotations(extra?: ValuesPath): string {
    return helmWith(extra ? `(merge (dict) .Values.${extra} .Values.commonAnnotations)` : '.Values.commonAnnotations');
  }
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
 * does not automount). Pure: it reads nothing and writes nothing.
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
  public readonly config?: ApiObject;
  public readonly crds?: KubeOpenCodeCrds;
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

    if (createNamespace && !helm) {
      this.namespaceObject = this.object('Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: s.namespace, labels: s.labels() } } satisfies V1Namespace);
    }
    if (crds ?? !helm) this.crds = new KubeOpenCodeCrds(this, 'Crds', { labels: helm ? undefined : { 'app.kubernetes.io/part-of': DEFAULT_NAME } });

    if (s.enabled('serviceAccount.create')) this.serviceAccount = this.object('ServiceAccount', this.serviceAccountManifest(), '.Values.serviceAccount.create');
    if (s.enabled('rbac.create')) {
      this.clusterRole = this.object('ClusterRole', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: this.metadata(s.controllerName, false),
        rules: CONTROLLER_CLUSTER_RULES.map(toPolicyRule),
      } satisfies V1ClusterRole, '.Values.rbac.create');
      this.clusterRoleBinding = this.object('ClusterRoleBinding', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: this.metadata(s.controllerName, false),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: s.controllerName },
        subjects: [{ kind: 'ServiceAccount', name: s.serviceAccountName, namespace: s.namespace }],
      } satisfies V1ClusterRoleBinding, '.Values.rbac.create');
      if (s.enabled('controller.leaderElection.enabled')) {
        const condition = 'and .Values.rbac.create .Values.controller.leaderElection.enabled';
        this.role = this.object('Role', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: this.metadata(s.leaderElectionName, true),
          rules: leaderElectionRules(s.controllerName).map(toPolicyRule),
        } satisfies V1Role, condition);
        this.roleBinding = this.object('RoleBinding', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: this.metadata(s.leaderElectionName, true),
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: s.leaderElectionName },
          subjects: [{ kind: 'ServiceAccount', name: s.serviceAccountName, namespace: s.namespace }],
        } satisfies V1RoleBinding, condition);
      }
    }
    this.deployment = this.object('Resource', () => this.deploymentManifest());
    if (s.enabled('config.create')) this.config = this.object('KubeOpenCodeConfig', this.configManifest(), '.Values.config.create');
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
      this.namespaceObject, this.serviceAccount, this.clusterRole, this.clusterRoleBinding, this.role, this.roleBinding, this.deployment, this.config,
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

  private metadata(name: string, namespaced: boolean, extraAnnotations?: ValuesPath): V1ObjectMeta {
    const annotations = this.source.annotations(extraAnnotations);
    return {
      name,
      ...(namespaced ? { namespace: this.source.namespace } : {}),
      labels: this.source.labels(),
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

  private args(): string[] {
    const s = this.source;
    if (s.helm) {
      return [
        'controller',
        helmExpr('{{ printf "--metrics-bind-address=:%v" .Values.controller.metrics.port | quote }}'),
        helmExpr('{{ printf "--health-probe-bind-address=:%v" .Values.controller.health.port | quote }}'),
        helmExpr('{{ ternary "--leader-elect" "--no-leader-elect" .Values.controller.leaderElection.enabled | quote }}'),
        helmExpr(`{{ printf "--leader-election-id=%s" (include "${HelmHelpers.controllerName}" .) | quote }}`),
        helmExpr('{{ printf "--lease-duration=%v" .Values.controller.leaderElection.leaseDurationSeconds | quote }}'),
        helmExpr('{{ printf "--log-format=%s" .Values.controller.logFormat | quote }}'),
        helmExpr('{{ printf "--log-level=%s" .Values.controller.logLevel | quote }}'),
        helmExpr('{{ printf "--workers=%v" .Values.controller.workers | quote }}'),
        helmExpr('{{ printf "--watch-namespaces=%s" (join "," .Values.controller.watchNamespaces) | quote }}'),
        ...this.extraArgs,
      ];
    }
    const c = this.values.controller;
    return [
      'controller',
      `--metrics-bind-address=:${c.metrics.port}`,
      `--health-probe-bind-address=:${c.health.port}`,
      c.leaderElection.enabled ? '--leader-elect' : '--no-leader-elect',
      `--leader-election-id=${s.controllerName}`,
      `--lease-duration=${c.leaderElection.leaseDurationSeconds}`,
      `--log-format=${c.logFormat}`,
      `--log-level=${c.logLevel}`,
      `--workers=${c.workers}`,
      ...(c.watchNamespaces.length ? [`--watch-namespaces=${c.watchNamespaces.join(',')}`] : []),
      ...this.extraArgs,
    ];
  }

  private deploymentManifest(): V1Deployment {
    const s = this.source;
    const container: V1Container = {
      name: 'controller',
      image: s.image,
      imagePullPolicy: s.scalar('controller.image.pullPolicy'),
      args: this.args(),
      env: [
        // The leader-election Lease lives in the controller's own namespace.
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        ...this.env,
      ],
      ports: [
        { name: 'metrics', containerPort: s.scalar('controller.metrics.port'), protocol: 'TCP' },
        { name: 'health', containerPort: s.scalar('controller.health.port'), protocol: 'TCP' },
      ],
      livenessProbe: {
        httpGet: { path: '/healthz', port: 'health' as never, scheme: 'HTTP' },
        initialDelaySeconds: 5,
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
        successThreshold: 1,
      },
      readinessProbe: {
        httpGet: { path: '/readyz', port: 'health' as never, scheme: 'HTTP' },
        initialDelaySeconds: 2,
        periodSeconds: 5,
        timeoutSeconds: 5,
        failureThreshold: 3,
        successThreshold: 1,
      },
      resources: s.block('controller.resources'),
      securityContext: s.block('controller.securityContext'),
      // Node needs a writable /tmp (nothing else) under the read-only root filesystem.
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
    const podAnnotations = s.annotations('controller.podAnnotations');
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: this.metadata(s.controllerName, true),
      spec: {
        replicas: s.scalar('controller.replicas'),
        revisionHistoryLimit: 10,
        // A new Pod stands by (ready) before the old one releases the Lease.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 as never, maxUnavailable: 0 as never } },
        selector: { matchLabels: s.selectorLabels() },
        template: {
          metadata: {
            labels: s.podLabels(),
            ...(podAnnotations !== undefined ? { annotations: podAnnotations as Record<string, string> } : {}),
          },
          spec: {
            serviceAccountName: s.serviceAccountName,
            // The controller talks to the API server with this token; nothing else in the Pod.
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 30,
            securityContext: s.block('controller.podSecurityContext'),
            imagePullSecrets: s.optional('controller.imagePullSecrets'),
            priorityClassName: s.optional('controller.priorityClassName'),
            nodeSelector: s.optional('controller.nodeSelector'),
            tolerations: s.optional('controller.tolerations'),
            affinity: s.optional('controller.affinity'),
            containers: [container],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    };
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
