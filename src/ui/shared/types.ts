/**
 * What the UI server sends to the page and the page sends back: plain JSON shapes shared by
 * the server (src/ui/server) and the page (src/ui/web). Pure types and constants only, so
 * both the Node program and the browser bundle may import this file.
 */

/** One row of the Tasks page: what the list filters and shows, not the whole Task. */
export interface TaskSummary {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly phase: string;
  /** `namespace/name` of the Agent (agentRef with the CRD's defaults). */
  readonly agent: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly created: string;
  readonly started?: string;
  readonly completed?: string;
  readonly queuePosition?: number;
  readonly podName?: string;
  readonly podNamespace?: string;
  /** The reason of the Task's latest condition change, e.g. UserStopped or PodFailed. */
  readonly reason?: string;
  /** The description's first line, cut to 120 characters. */
  readonly title: string;
  readonly stopRequested: boolean;
  readonly deleting: boolean;
}

/** One Agent as the Agents page shows it: no images' secrets, Secret names only. */
export interface AgentSummary {
  readonly namespace: string;
  readonly name: string;
  /** 0: no limit. */
  readonly maxConcurrentTasks: number;
  readonly runningTasks: number;
  readonly queuedTasks: number;
  readonly allowedNamespaces: readonly string[];
  readonly serviceAccountName?: string;
  /** The names of the Secrets the Agent's Pods get, never their contents. */
  readonly credentials: readonly CredentialRef[];
  readonly conditions: readonly ConditionView[];
}

export interface CredentialRef {
  readonly name: string;
  readonly secretName: string;
  readonly key?: string;
  readonly env?: string;
  readonly mountPath?: string;
}

export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

/** What the session watches, and which namespaces it may not. */
export interface WatchScope {
  /** True when the user may list and watch Tasks in every namespace. */
  readonly clusterWide: boolean;
  /** The namespaces watched one by one when not cluster-wide. */
  readonly namespaces: readonly string[];
  /** Namespaces named but not listable, with the message to show. */
  readonly forbidden: readonly { readonly namespace: string; readonly message: string }[];
}

/** The list stream (`api/stream`): a snapshot, then batches of changes. */
export interface Snapshot {
  readonly tasks: readonly TaskSummary[];
  readonly agents: readonly AgentSummary[];
  readonly scope: WatchScope;
}

export interface Changes {
  readonly tasks: readonly Change<TaskSummary>[];
  readonly agents: readonly Change<AgentSummary>[];
}

/** `object` set: added or changed; unset: deleted. */
export interface Change<T> {
  readonly key: string;
  readonly object?: T;
}

/** A Task's Pod, reduced to what the Task page shows. */
export interface PodView {
  readonly namespace: string;
  readonly name: string;
  readonly phase?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly nodeName?: string;
  readonly created?: string;
  readonly containers: readonly ContainerView[];
}

export interface ContainerView {
  readonly name: string;
  readonly image?: string;
  /** init: runs before the others; sidecar: an init container that keeps running. */
  readonly kind: 'init' | 'sidecar' | 'main';
  /** waiting, running or terminated, with the reason the kubelet gave. */
  readonly state?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly exitCode?: number;
  readonly restartCount?: number;
}

export interface EventView {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly first?: string;
  readonly last?: string;
  readonly source?: string;
}

/** An error as the page shows it: one sentence, plus the fields it concerns for a form. */
export interface ProblemBody {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  /** Form field -> messages; `''` is the form as a whole. */
  readonly fieldErrors?: Readonly<Record<string, readonly string[]>>;
}

/** The New Task form as the page sends it (for preview and create). */
export interface NewTaskRequest {
  readonly namespace: string;
  /** Empty: a name is generated from `generateName`. */
  readonly name?: string;
  readonly agent?: { readonly namespace?: string; readonly name: string };
  readonly description: string;
  readonly contexts?: readonly ContextInput[];
  readonly labels?: Readonly<Record<string, string>>;
  /** A number; a string when the user typed something else (the API server refuses it at the field). */
  readonly timeoutSeconds?: number | string;
}

/** One context of the form, in the Task's own schema shape. */
export interface ContextInput {
  readonly type: 'Text' | 'ConfigMap' | 'Git' | 'URL' | 'Runtime';
  readonly name?: string;
  readonly mountPath?: string;
  readonly text?: string;
  readonly configMap?: { readonly name: string; readonly key?: string };
  readonly git?: { readonly repository: string; readonly ref?: string };
  readonly url?: { readonly source: string };
}

export interface PreviewResult {
  /** The Task as the API server would store it (defaults applied, nothing stored). */
  readonly task: string;
  /** The Pod and the context ConfigMap, as YAML, when the Agent could be read. */
  readonly objects?: string;
  readonly notes: readonly string[];
}

export interface CreatedTask {
  readonly namespace: string;
  readonly name: string;
}

export interface SessionInfo {
  readonly user?: string;
  readonly mode: 'kubeconfig' | 'bearer';
  /** Namespaces watched unless the page names others (flags, the kubeconfig context's). */
  readonly defaultNamespaces: readonly string[];
}

/** The header that carries the CSRF token on every state-changing request. */
export const CSRF_HEADER = 'x-kubeopencode-csrf';
/** The meta element of the page that holds the CSRF token. */
export const CSRF_META = 'kubeopencode-csrf';

export const taskKey = (t: { readonly namespace: string; readonly name: string }): string => `${t.namespace}/${t.name}`;
