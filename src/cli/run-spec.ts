/**
 * `kubeopencode run`'s flags -> the Task to create, and the files whose content goes into a
 * ConfigMap beside it. Pure (files are read through `readFile`), so every flag's meaning is
 * unit-testable; the API server does the validation of what comes out.
 */
import { basename } from 'node:path';
import { parseDuration } from './kube/duration.js';
import { list, OptionValues, str, UsageError } from './lib/cli.js';
import { API_VERSION, ContextType, Kinds } from '../api/constants.js';

/** One file of --file: its ConfigMap key and content. */
export interface RunFile {
  readonly key: string;
  readonly content: string;
}

export interface RunRequest {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly task: { apiVersion: string; kind: string; metadata: Record<string, any>; spec: Record<string, any> };
  readonly files: readonly RunFile[];
  /** The generateName of the files' ConfigMap. */
  readonly filesPrefix: string;
}

/** Name of the files' ConfigMap in the contexts until the real (generated) one is known. */
export const FILES_CONFIGMAP_PLACEHOLDER = '<files>';

type ReadFile = (path: string) => string;

function description(values: OptionValues, readFile: ReadFile): string {
  const arg = str(values.description);
  const file = str(values.filename);
  if (arg !== undefined && file !== undefined) throw new UsageError('give the description either as an argument or with -f, not both');
  const text = file !== undefined ? readFile(file) : arg;
  if (text === undefined) throw new UsageError('a description is required: as an argument, or -f FILE (-f - reads stdin)');
  if (!text.trim()) throw new UsageError('the description is empty');
  return text;
}

function agentRef(value: string | undefined): { name: string; namespace?: string } | undefined {
  if (value === undefined) return undefined;
  const parts = value.split('/');
  if (parts.length > 2 || parts.some((p) => !p)) throw new UsageError(`--agent must be NAME or NAMESPACE/NAME, got "${value}"`);
  return parts.length === 2 ? { namespace: parts[0], name: parts[1] } : { name: parts[0] };
}

function labels(values: string[]): Record<string, string> | undefined {
  if (!values.length) return undefined;
  return Object.fromEntries(values.map((l) => {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label must be KEY=VALUE, got "${l}"`);
    return [l.slice(0, eq), l.slice(eq + 1)];
  }));
}

function timeoutSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration('timeout', value);
  if (ms < 1000) throw new UsageError(`--timeout must be at least 1s, got "${value}"`);
  return Math.ceil(ms / 1000);
}

/**
 * `REPO[@REF]:MOUNTPATH`. The mount path follows the last colon (a ref has none); the ref
 * follows an `@` in the repository's path part, so `git@host:org/repo.git` keeps its user.
 */
export function parseGit(value: string): { repository: string; ref?: string; mountPath: string } {
  const colon = value.lastIndexOf(':');
  const mountPath = value.slice(colon + 1);
  const repo = value.slice(0, Math.max(colon, 0));
  const scheme = repo.indexOf('://');
  const pathStart = scheme >= 0 ? repo.indexOf('/', scheme + 3) : repo.indexOf(':');
  const at = repo.lastIndexOf('@');
  const hasRef = pathStart >= 0 && at > pathStart;
  const repository = hasRef ? repo.slice(0, at) : repo;
  if (colon <= 0 || !mountPath || mountPath.startsWith('//') || !repository) {
    throw new UsageError(`--git must be REPOSITORY[@REF]:MOUNTPATH, got "${value}"`);
  }
  return { repository, ...(hasRef ? { ref: repo.slice(at + 1) } : {}), mountPath };
}

/** `PATH[:MOUNTPATH]`; a path that exists as given wins over a split at its last colon. */
function parseFileFlag(value: string, exists: (p: string) => boolean): { path: string; mountPath?: string } {
  const colon = value.lastIndexOf(':');
  if (colon <= 0 || exists(value)) return { path: value };
  return { path: value.slice(0, colon), mountPath: value.slice(colon + 1) || undefined };
}

/** A ConfigMap key from a file name, unique among the keys so far. */
function keyFor(path: string, taken: Set<string>): string {
  const stem = basename(path).replace(/[^-._a-zA-Z0-9]/g, '_').replace(/^\.+$/, '') || 'file';
  let key = stem;
  for (let i = 2; taken.has(key); i++) key = `${stem}-${i}`;
  taken.add(key);
  return key;
}

export interface BuildOptions {
  readonly readFile: ReadFile;
  readonly exists: (path: string) => boolean;
}

export function buildRun(values: OptionValues, options: BuildOptions): RunRequest {
  const name = str(values.name);
  const generateName = str(values['generate-name']);
  if (name && generateName) throw new UsageError('give --name or --generate-name, not both');
  const taken = new Set<string>();
  const files: RunFile[] = [];
  const fileContexts = list(values.file).map((flag) => {
    const { path, mountPath } = parseFileFlag(flag, options.exists);
    const key = keyFor(path, taken);
    files.push({ key, content: options.readFile(path) });
    const configMap = { name: FILES_CONFIGMAP_PLACEHOLDER, key };
    return { type: ContextType.configMap, name: basename(path), configMap, ...(mountPath ? { mountPath } : {}) };
  });
  const contexts = [
    ...list(values.text).map((text) => ({ type: ContextType.text, text })),
    ...fileContexts,
    ...list(values.git).map((g) => {
      const { mountPath, ...git } = parseGit(g);
      return { type: ContextType.git, git, mountPath };
    }),
    ...list(values.url).map((source) => ({ type: ContextType.url, url: { source } })),
  ];
  const ref = agentRef(str(values.agent));
  const timeout = timeoutSeconds(str(values.timeout));
  const taskLabels = labels(list(values.label));
  const prefix = (name ?? generateName ?? 'task-').replace(/-+$/, '');
  return {
    task: {
      apiVersion: API_VERSION,
      kind: Kinds.task.kind,
      metadata: { ...(name ? { name } : { generateName: generateName ?? 'task-' }), ...(taskLabels ? { labels: taskLabels } : {}) },
      spec: {
        description: description(values, options.readFile),
        ...(ref ? { agentRef: ref } : {}),
        ...(contexts.length ? { contexts } : {}),
        ...(timeout ? { timeoutSeconds: timeout } : {}),
      },
    },
    files,
    filesPrefix: `${prefix.slice(0, 200)}-files-`,
  };
}

/** The Task in its namespace. */
export function inNamespace(task: RunRequest['task'], namespace: string): RunRequest['task'] {
  return { ...task, metadata: { ...task.metadata, namespace } };
}

/** The Task with the files' ConfigMap's real name in its contexts. */
export function withFilesConfigMap(task: RunRequest['task'], configMapName: string): RunRequest['task'] {
  const contexts = (task.spec.contexts as { configMap?: { name: string } }[] | undefined)?.map((c) => (
    c.configMap?.name === FILES_CONFIGMAP_PLACEHOLDER ? { ...c, configMap: { ...c.configMap, name: configMapName } } : c));
  return { ...task, spec: { ...task.spec, ...(contexts ? { contexts } : {}) } };
}
