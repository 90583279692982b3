/** Names that the API, the constructs, the reconciler and the in-Pod helpers share. */

export const GROUP = 'kubeopencode.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const Kinds = {
  task: { kind: 'Task', plural: 'tasks', singular: 'task', shortName: 'tk' },
  agent: { kind: 'Agent', plural: 'agents', singular: 'agent', shortName: 'ag' },
  config: { kind: 'KubeOpenCodeConfig', plural: 'kubeopencodeconfigs', singular: 'kubeopencodeconfig', shortName: 'koc' },
  cronTask: { kind: 'CronTask', plural: 'crontasks', singular: 'crontask', shortName: 'ct' },
} as const;

/** The one KubeOpenCodeConfig the reconciler reads. */
export const CLUSTER_CONFIG_NAME = 'cluster';

export const Labels = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  task: `${GROUP}/task`,
  taskNamespace: `${GROUP}/task-namespace`,
  taskUid: `${GROUP}/task-uid`,
  agent: `${GROUP}/agent`,
  /** On Tasks a CronTask made: the CronTask's name. */
  cronTask: `${GROUP}/crontask`,
} as const;

/** Value of the managed-by label on every object the reconciler creates. */
export const MANAGED_BY = 'kubeopencode';

export const Annotations = {
  /** `kubeopencode.io/stop: "true"` stops a Task (the seed's contract). */
  stop: `${GROUP}/stop`,
  /** On a CronTask: each new value makes one Task now (`kubectl annotate crontask x kubeopencode.io/run-now="$(date +%s)" --overwrite`). */
  runNow: `${GROUP}/run-now`,
  /** On Tasks a CronTask made: the time they were due (RFC 3339), or `manual`. */
  scheduledAt: `${GROUP}/scheduled-at`,
} as const;

/** Finalizer on cross-namespace Tasks, whose children cannot carry an ownerReference. */
export const TASK_CLEANUP_FINALIZER = `${GROUP}/task-cleanup`;

/** Field manager name for server-side apply and status writes. */
export const FIELD_MANAGER = 'kubeopencode';

export const Phase = {
  pending: 'Pending',
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
} as const;
export type TaskPhase = (typeof Phase)[keyof typeof Phase];
export const TASK_PHASES: readonly TaskPhase[] = Object.values(Phase);
export const FINISHED_PHASES: readonly TaskPhase[] = [Phase.completed, Phase.failed];

export const ConditionType = {
  ready: 'Ready',
  queued: 'Queued',
  stopped: 'Stopped',
  outputsTruncated: 'OutputsTruncated',
  /** True while a failed attempt waits to be tried again. */
  retrying: 'Retrying',
} as const;

export const Reason = {
  accepted: 'Accepted',
  agentNotFound: 'AgentNotFound',
  agentInvalid: 'AgentInvalid',
  namespaceNotAllowed: 'NamespaceNotAllowed',
  agentAtCapacity: 'AgentAtCapacity',
  admitted: 'Admitted',
  contextError: 'ContextError',
  podCreationError: 'PodCreationError',
  podRunning: 'PodRunning',
  succeeded: 'Succeeded',
  podFailed: 'PodFailed',
  podLost: 'PodLost',
  timeout: 'Timeout',
  userStopped: 'UserStopped',
  outputsTruncated: 'OutputsTruncated',
  outputsUnreadable: 'OutputsUnreadable',
  invalidSchedule: 'InvalidSchedule',
  retryScheduled: 'RetryScheduled',
  retryStarted: 'RetryStarted',
  scheduled: 'Scheduled',
  suspended: 'Suspended',
} as const;

/** Agent types of ContextItem. */
export const ContextType = {
  text: 'Text',
  configMap: 'ConfigMap',
  git: 'Git',
  runtime: 'Runtime',
  url: 'URL',
} as const;
export type ContextTypeName = (typeof ContextType)[keyof typeof ContextType];

/** Defaults the seed documents. */
export const Defaults = {
  agentName: 'default',
  agentImage: 'quay.io/kubeopencode/kubeopencode-agent-opencode:latest',
  executorImage: 'quay.io/kubeopencode/kubeopencode-agent-devbox:latest',
  systemImage: 'quay.io/kubeopencode/kubeopencode:latest',
  workspaceDir: '/workspace',
  command: ['sh', '-c', '/tools/opencode run "$(cat ${WORKSPACE_DIR}/task.md)"'],
  contextFileMode: 0o644,
  credentialFileMode: 0o600,
  gitDepth: 1,
  urlTimeoutSeconds: 30,
} as const;

/** Where things live inside the Task's Pod. */
export const PodPaths = {
  tools: '/tools',
  home: '/home/agent',
  contextConfigMap: '/kubeopencode/context',
  fetched: '/kubeopencode/fetched',
  terminationLog: '/dev/termination-log',
} as const;

/** Kubernetes caps a container's termination message at this many bytes. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

/** Size caps that keep objects well under etcd's 1.5 MiB request limit. */
export const Limits = {
  descriptionBytes: 128 * 1024,
  textContextBytes: 256 * 1024,
  contextConfigMapBytes: 1000 * 1024,
  contexts: 32,
  outputs: 32,
  credentials: 32,
  mcpServers: 16,
} as const;
