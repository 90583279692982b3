/**
 * The operator's settings: one typed shape for the KubeOpenCodeOperator's props and the Helm
 * chart's values.yaml, its defaults, Helm's merge, and reading a setting by its dotted path.
 */
import { Toleration } from '../types.js';

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
  /**
   * Split the work into this many shards, each owned by one replica through a Lease (an
   * Agent and all its Tasks stay in one shard). 1: one leader does everything. Give it
   * `replicas` >= `shards` for the shards to spread; more replicas stand by.
   * @default 1
   */
  readonly shards: number;
  /**
   * Flags for the controller's Node.js, as `NODE_OPTIONS`. Node sizes the old generation from
   * the container's memory limit by itself; the default caps the young generation, which
   * otherwise keeps ~50-70 MiB of RSS after every burst of list and watch traffic
   * (docs/benchmarks.md, "Memory"). `""` leaves Node's defaults.
   * @default --max-semi-space-size=4
   */
  readonly nodeOptions: string;
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

/** A Kubernetes object passed through as it is (a container, a volume, a NetworkPolicy peer). */
export type KubeObject = { readonly [key: string]: JsonValue };

/**
 * The Web UI (`kubeopencode ui --auth bearer`) as a Deployment: every API call is made with
 * the bearer token of the request, which an authenticating proxy in front puts there, so its
 * own ServiceAccount has no token and no rights (docs/ui.md).
 */
export interface OperatorUiValues {
  /** @default false */
  readonly enabled: boolean;
  /**
   * Each replica has its own sessions and CSRF secret: more than one needs a sticky Ingress.
   * @default 1
   */
  readonly replicas: number;
  /** The UI's port (the container port `http`). @default 8090 */
  readonly port: number;
  /**
   * Listen on 127.0.0.1 only, for an authenticating proxy in the same Pod (`extraContainers`);
   * false: on every address (`--allow-remote`), for a proxy in another Pod.
   * @default false
   */
  readonly listenOnLoopback: boolean;
  /** Namespaces to watch for users who may not list Tasks cluster-wide (`--namespace`). @default [] */
  readonly namespaces: readonly string[];
  /** Origins allowed to send changes besides the Host's, when a proxy rewrites Host (`--allowed-origin`). @default [] */
  readonly allowedOrigins: readonly string[];
  /** @default info */
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Port of /healthz alone, on every address, for the kubelet's probes. @default 8091 */
  readonly health: { readonly port: number };
  /**
   * Measured in the real Pod: 128-132 MiB of RSS at rest and after serving a user, most of it
   * the Kubernetes client's modules (a bare Node is 42 MiB); each signed-in user adds the
   * Tasks and Agents their watches hold.
   * @default requests 50m CPU / 160Mi, limits 500m CPU / 384Mi
   */
  readonly resources: OperatorResources;
  /** More containers in the UI Pod, e.g. an oauth2-proxy sidecar. @default [] */
  readonly extraContainers: readonly KubeObject[];
  /** More volumes of the UI Pod, for `extraContainers`. @default [] */
  readonly extraVolumes: readonly KubeObject[];
  readonly service: {
    /** @default ClusterIP */
    readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
    /** @default 80 */
    readonly port: number;
    /** A container port's name or number: `http` (the UI), or the sidecar proxy's port. @default http */
    readonly targetPort: string | number;
  };
  readonly networkPolicy: {
    /** NetworkPolicy peers allowed to reach the Service's target port; empty: no NetworkPolicy. @default [] */
    readonly from: readonly KubeObject[];
  };
  /** @default {} */
  readonly podLabels: Readonly<Record<string, string>>;
  /** @default {} */
  readonly podAnnotations: Readonly<Record<string, string>>;
  /** @default {} */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** @default [] */
  readonly tolerations: readonly Toleration[];
  /** @default {} */
  readonly affinity: KubeObject;
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
  readonly ui: OperatorUiValues;
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
    shards: 1,
    nodeOptions: '--max-semi-space-size=4',
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
  ui: {
    enabled: false,
    replicas: 1,
    port: 8090,
    listenOnLoopback: false,
    namespaces: [],
    allowedOrigins: [],
    logLevel: 'info',
    health: { port: 8091 },
    resources: {
      requests: { cpu: '50m', memory: '160Mi' },
      limits: { cpu: '500m', memory: '384Mi' },
    },
    extraContainers: [],
    extraVolumes: [],
    service: { type: 'ClusterIP', port: 80, targetPort: 'http' },
    networkPolicy: { from: [] },
    podLabels: {},
    podAnnotations: {},
    nodeSelector: {},
    tolerations: [],
    affinity: {},
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
export const jsonClone = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)) as T);

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The setting at a dotted path (`controller.image.tag`), or undefined. */
export function valueAt(values: OperatorValues, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], values);
}
