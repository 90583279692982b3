/**
 * The JSON Schema of the chart's values (values.schema.json), with a description on every
 * setting. The same descriptions become the comments of values.yaml and the table of the
 * chart's README. Its shape mirrors `OperatorValues`; test/chart checks that the two agree
 * key for key and that the defaults are valid.
 */
import { DEFAULT_OPERATOR_VALUES } from '../../src/constructs/operator/kubeopencode-operator.js';

export interface ValuesSchema {
  readonly $schema?: string;
  readonly title?: string;
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, ValuesSchema>>;
  readonly additionalProperties?: boolean | ValuesSchema;
  readonly required?: readonly string[];
  readonly items?: ValuesSchema;
  readonly enum?: readonly (string | number | boolean)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly oneOf?: readonly ValuesSchema[];
  /** An example for the README (not a default). */
  readonly examples?: readonly unknown[];
}

type Extra = Omit<ValuesSchema, 'type' | 'description'>;

const str = (description: string, extra: Extra = {}): ValuesSchema => ({ type: 'string', description, ...extra });
const int = (description: string, extra: Extra = {}): ValuesSchema => ({ type: 'integer', description, ...extra });
const bool = (description: string): ValuesSchema => ({ type: 'boolean', description });
/** An object whose keys are settings: unknown keys are typos and refused. */
const settings = (description: string, properties: Record<string, ValuesSchema>, extra: Extra = {}): ValuesSchema =>
  ({ type: 'object', description, properties, additionalProperties: false, ...extra });
/** A map whose keys are data (labels, annotations, node labels). */
const stringMap = (description: string): ValuesSchema => ({ type: 'object', description, additionalProperties: { type: 'string' } });
/** A Kubernetes structure passed through as it is. */
const kube = (description: string, extra: Extra = {}): ValuesSchema => ({ type: 'object', description, additionalProperties: true, ...extra });
const port = (description: string): ValuesSchema => int(description, { minimum: 1, maximum: 65535 });
const quantities = (description: string): ValuesSchema => ({
  type: 'object', description, additionalProperties: { type: ['string', 'number'] },
});

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A container port's name (with maxLength 15; a letter first, which keeps it from looking like a number). */
const PORT_NAME = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
const kubeList = (description: string, item: string): ValuesSchema => ({ type: 'array', description, items: kube(item) });

export const valuesSchema: ValuesSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Values of the kubeopencode chart',
  ...settings('Settings of the KubeOpenCode operator.', {
    nameOverride: str('Replaces the chart name ("kubeopencode") in object names and the app.kubernetes.io/name label.', { pattern: `^$|${DNS_LABEL}` }),
    fullnameOverride: str('Replaces the name prefix of every object (by default the release name, plus "-kubeopencode" unless it contains it).', { pattern: `^$|${DNS_LABEL}` }),
    commonLabels: stringMap('Labels added to every object.'),
    commonAnnotations: stringMap('Annotations added to every object.'),
    controller: settings('The controller Deployment.', {
      image: settings('The controller image, which is also the system image of Task Pods unless config.systemImage.image says otherwise.', {
        repository: str('Image repository.', { minLength: 1 }),
        tag: str('Image tag; empty means the chart\'s appVersion. Pin a version (and use pullPolicy IfNotPresent) in production.'),
        pullPolicy: str('When the kubelet pulls the image.', { enum: ['Always', 'IfNotPresent', 'Never'] }),
      }),
      imagePullSecrets: {
        type: 'array',
        description: 'Secrets for pulling the image from a private registry, e.g. [{name: regcred}].',
        items: settings('A Secret in the release namespace.', { name: str('Name of the Secret.', { minLength: 1 }) }, { required: ['name'] }),
      },
      replicas: int('Replicas of the controller. With leader election one leads and the others stand by; without it, keep 1.', { minimum: 0 }),
      resources: kube('CPU and memory of the controller container (requests and limits).', {
        properties: {
          limits: quantities('Limits, e.g. {cpu: 500m, memory: 512Mi}.'),
          requests: quantities('Requests, e.g. {cpu: 100m, memory: 128Mi}.'),
        },
      }),
      logLevel: str('Log level.', { enum: ['error', 'warn', 'info', 'debug'] }),
      logFormat: str('Log format: one JSON object a line (for log collectors) or readable text.', { enum: ['json', 'text'] }),
      workers: int('Reconciles run at the same time (of different objects).', { minimum: 1 }),
      shards: int('Split the work into this many shards, each owned by one replica through a Lease; an Agent and its Tasks stay in one shard. 1: one leader does everything. Needs leader election; set replicas >= shards.', { minimum: 1, maximum: 64 }),
      nodeOptions: str('Flags for the controller\'s Node.js (NODE_OPTIONS). The default caps V8\'s young generation, which otherwise holds 50-70 MiB of memory after bursts of API traffic; Node sizes the old generation from the memory limit by itself. "" keeps Node\'s defaults.'),
      watchNamespaces: {
        type: 'array',
        description: 'Only handle Tasks and Agents in namespaces matching these glob patterns (e.g. ["team-*"]); empty means every namespace. Give each release of a cluster its own namespaces.',
        items: str('A glob pattern.', { minLength: 1 }),
      },
      leaderElection: settings('Leader election on a coordination.k8s.io Lease in the release namespace, so that only one replica acts.', {
        enabled: bool('Elect a leader (needed with more than one replica).'),
        leaseDurationSeconds: int('How long a Lease that is not renewed blocks a standby, in seconds.', { minimum: 5 }),
      }),
      metrics: settings('Prometheus metrics (/metrics).', { port: port('Container port of /metrics.') }),
      health: settings('Health probes (/healthz, /readyz).', { port: port('Container port of /healthz and /readyz.') }),
      podLabels: stringMap('Labels added to the controller Pod.'),
      podAnnotations: stringMap('Annotations added to the controller Pod.'),
      podSecurityContext: kube('Security context of the controller Pod (defaults: the restricted Pod Security Standard, uid 65532).'),
      securityContext: kube('Security context of the controller container (defaults: no privilege escalation, no capabilities, read-only root filesystem).'),
      nodeSelector: stringMap('Node labels the controller Pod must run on.'),
      tolerations: { type: 'array', description: 'Tolerations of the controller Pod.', items: kube('A toleration.') },
      affinity: kube('Affinity of the controller Pod.'),
      priorityClassName: str('PriorityClass of the controller Pod; empty means none.'),
    }),
    serviceAccount: settings('The ServiceAccount the controller runs as.', {
      create: bool('Create it (else it must exist).'),
      name: str('Its name; empty means "<fullname>-controller" when created, else "default".', { pattern: `^$|${DNS_LABEL}` }),
      annotations: stringMap('Annotations of the ServiceAccount, e.g. for workload identity.'),
    }),
    rbac: settings('RBAC of the controller.', {
      create: bool('Create the ClusterRole (exactly what the reconciler calls; no Secrets), the leader-election Role, and their bindings.'),
    }),
    config: settings('The cluster-wide KubeOpenCodeConfig (named "cluster"). Only one release per cluster can create it.', {
      create: bool('Create the KubeOpenCodeConfig.'),
      systemImage: settings('The image of the helper containers of Task Pods (context, git clone, URL fetch, outputs).', {
        image: str('Image reference; empty means the controller image.'),
        imagePullPolicy: str('When the kubelet pulls it.', { enum: ['Always', 'IfNotPresent', 'Never'] }),
      }),
      cleanup: settings('When finished Tasks are deleted; empty keeps every Task. E.g. {ttlSecondsAfterFinished: 86400, maxRetainedTasks: 100}.', {
        ttlSecondsAfterFinished: int('Delete a Task this many seconds after it finished.', { minimum: 0 }),
        maxRetainedTasks: int('Keep at most this many finished Tasks per namespace (the oldest go first).', { minimum: 0 }),
      }),
    }),
    ui: settings('The Web UI (kubeopencode ui --auth bearer, the controller image). Every API call is made with the bearer token of the request, which an authenticating proxy in front puts there (OIDC; docs/ui.md): its ServiceAccount has no rights and its Pod no token.', {
      enabled: bool('Deploy the Web UI: a Deployment, a Service and a ServiceAccount with no rights.'),
      replicas: int('Replicas of the UI. Each has its own sessions and CSRF secret: with more than one, make the Ingress sticky (cookie affinity), or a change sent to another replica than the one that served the page is refused.', { minimum: 0 }),
      port: port('The UI\'s port (container port "http").'),
      listenOnLoopback: bool('Listen on 127.0.0.1 only, for an authenticating proxy in the same Pod (ui.extraContainers; point ui.service.targetPort at its port). false: every address (--allow-remote), for a proxy in another Pod.'),
      namespaces: {
        type: 'array',
        description: 'Namespaces to watch for people who may not list Tasks in every namespace (--namespace); the page can name others.',
        items: str('A namespace.', { pattern: DNS_LABEL }),
      },
      allowedOrigins: {
        type: 'array',
        description: 'Origins allowed to send changes besides the request\'s Host, when the proxy rewrites the Host header, e.g. ["https://ui.example.com"] (--allowed-origin).',
        items: str('An origin: scheme, host and port, no path.', { pattern: '^https?://[^/\\s]+$' }),
      },
      logLevel: str('Log level (debug: one line per request with method, path and status; never a token).', { enum: ['error', 'warn', 'info', 'debug'] }),
      health: settings('The health port: GET /healthz only, on every address (even with listenOnLoopback), for the kubelet\'s probes.', {
        port: port('Container port "health".'),
      }),
      resources: kube('CPU and memory of the UI container (requests and limits). At rest it holds about 130 MiB; each signed-in user adds the Tasks and Agents their watches hold.', {
        properties: {
          limits: quantities('Limits, e.g. {cpu: 500m, memory: 384Mi}.'),
          requests: quantities('Requests, e.g. {cpu: 50m, memory: 160Mi}.'),
        },
      }),
      extraContainers: kubeList('More containers in the UI Pod, e.g. an oauth2-proxy sidecar with ui.listenOnLoopback.', 'A container.'),
      extraVolumes: kubeList('More volumes of the UI Pod, for ui.extraContainers (e.g. the proxy\'s Secret).', 'A volume.'),
      service: settings('The UI\'s Service.', {
        type: str('Service type; expose the UI through an Ingress and the proxy rather than a LoadBalancer of its own.', { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }),
        port: port('Service port.'),
        targetPort: {
          type: ['string', 'integer'],
          description: 'Target port: a container port\'s name or number. "http" is the UI\'s own port; with a sidecar proxy, the proxy\'s.',
          oneOf: [str('A port name.', { pattern: PORT_NAME, maxLength: 15 }), int('A port number.', { minimum: 1, maximum: 65535 })],
        },
      }),
      networkPolicy: settings('A NetworkPolicy for the UI Pods.', {
        from: kubeList('NetworkPolicy peers (podSelector, namespaceSelector, ipBlock) that alone may reach the UI Pods, on ui.service.targetPort. Empty: no NetworkPolicy. Set it to your proxy when the UI listens beyond loopback.', 'A NetworkPolicyPeer.'),
      }),
      podLabels: stringMap('Labels added to the UI Pods.'),
      podAnnotations: stringMap('Annotations added to the UI Pods.'),
      nodeSelector: stringMap('Node labels the UI Pods must run on.'),
      tolerations: kubeList('Tolerations of the UI Pods.', 'A toleration.'),
      affinity: kube('Affinity of the UI Pods.'),
    }),
  }),
};

/** The defaults, as values.yaml holds them. */
export const defaultValues = DEFAULT_OPERATOR_VALUES;

/** One line of the README's table: every setting that is not inside a pass-through map. */
export interface ValueRow {
  readonly path: string;
  readonly type: string;
  readonly default: unknown;
  readonly description: string;
}

/** Flattens the schema into rows (settings objects are walked, maps and lists are leaves). */
export function valueRows(schema: ValuesSchema = valuesSchema, values: unknown = defaultValues, prefix = ''): ValueRow[] {
  const rows: ValueRow[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const value = (values as Record<string, unknown> | undefined)?.[key];
    if (child.additionalProperties === false && child.properties && !isEmptyObject(value)) {
      rows.push(...valueRows(child, value, path));
    } else {
      rows.push({ path, type: Array.isArray(child.type) ? child.type.join(' | ') : String(child.type), default: value, description: child.description ?? '' });
    }
  }
  return rows;
}

const isEmptyObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
