/**
 * Turns the contexts of a Task (the Agent's first, then the Task's) into a plan: the text
 * of task.md, the files and directories to write or mount, the repositories to clone and
 * the URLs to fetch. Pure: ConfigMap contents arrive already read.
 */
import { posix } from 'node:path';
import { RUNTIME_PROMPT } from './runtime-prompt.js';
import { ContextItem, Credential } from './types.js';
import { ContextType, Defaults, Limits, PodPaths } from '../api/constants.js';

/** A problem with a Task's contexts. `retryable` ones may go away (a ConfigMap appears). */
export class ContextError extends Error {
  constructor(message: string, public readonly retryable = false) {
    super(message);
    this.name = 'ContextError';
  }
}

export interface ResolvedContext {
  readonly item: ContextItem;
  /** Where the item was declared, for messages, e.g. `Task dev/fix-bug spec.contexts[1]`. */
  readonly origin: string;
  /** For ConfigMap contexts: the ConfigMap's data; undefined when it does not exist. */
  readonly configMapData?: Readonly<Record<string, string>>;
}

export interface FileTarget {
  /** ConfigMap key holding the content. */
  readonly key: string;
  readonly path: string;
  readonly mode: number;
}

export interface DirTarget {
  readonly path: string;
  readonly mode: number;
  readonly entries: readonly { readonly key: string; readonly name: string }[];
}

export interface GitClone {
  readonly index: number;
  readonly origin: string;
  readonly repository: string;
  readonly ref?: string;
  readonly depth: number;
  readonly subdir?: string;
  readonly secretName?: string;
  /** Absolute path where the agent sees the clone. */
  readonly mountPath: string;
  /** The clone is the workspace itself (mountPath equals workspaceDir). */
  readonly intoWorkspace: boolean;
}

export interface UrlFetch {
  readonly index: number;
  readonly origin: string;
  readonly source: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly secretName?: string;
  readonly insecureSkipTLSVerify: boolean;
  readonly timeoutSeconds: number;
  /** Absolute path of the file the agent sees; undefined when the content goes into task.md. */
  readonly mountPath?: string;
  /** Permission bits of the fetched file. */
  readonly mode: number;
}

/** What the context-init helper does in the Pod; it is stored as plan.json in the ConfigMap. */
export interface ContextInitPlan {
  readonly workspaceDir: string;
  /** task.md is the ConfigMap key `task.md`, with fetched URL contents inserted at these offsets. */
  readonly taskMdInserts: readonly { readonly offset: number; readonly file: string }[];
  readonly files: readonly FileTarget[];
  readonly dirs: readonly DirTarget[];
  /**
   * The home directory, when it is a volume of its own (else undefined): `directories` may
   * lie inside it too.
   */
  readonly homeDir?: string;
  /**
   * Directories to create, as the agent's user, before anything is mounted inside them:
   * the parents of mount points within the workspace or home. Left to the container
   * runtime, they would be created root-owned, and the agent could not write there.
   */
  readonly directories?: readonly string[];
}

export interface ContextPlan {
  /** The context ConfigMap's data. */
  readonly data: Readonly<Record<string, string>>;
  readonly init: ContextInitPlan;
  /** Files outside the workspace, mounted from the ConfigMap with subPath. */
  readonly mountedFiles: readonly FileTarget[];
  /** Directories outside the workspace, mounted from the ConfigMap. */
  readonly mountedDirs: readonly DirTarget[];
  readonly gitClones: readonly GitClone[];
  readonly urlFetches: readonly UrlFetch[];
}

export interface PlanInput {
  readonly description: string;
  readonly workspaceDir: string;
  readonly contexts: readonly ResolvedContext[];
  /** The Agent's credentials: their mountPaths take part in conflict checks. */
  readonly credentials?: readonly Credential[];
  /** The home directory when it is a volume of its own. */
  readonly homeDir?: string;
}

export const TASK_MD_KEY = 'task.md';
export const PLAN_KEY = 'plan.json';

/** Directory where a fetched URL's content lands in its emptyDir. */
export const fetchedFile = (index: number): string => `${PodPaths.fetched}/url-${index}/content`;

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const withNewline = (s: string): string => (s === '' || s.endsWith('\n') ? s : `${s}\n`);

function openTag(item: ContextItem, fallbackName: string): string {
  const attrs = [`name="${escapeAttr(item.name ?? fallbackName)}"`, `type="${item.type}"`];
  if (item.description) attrs.push(`description="${escapeAttr(item.description)}"`);
  return `<context ${attrs.join(' ')}>\n`;
}

function defaultName(item: ContextItem, index: number): string {
  switch (item.type) {
    case ContextType.configMap: return item.configMap!.key ? `${item.configMap!.name}/${item.configMap!.key}` : item.configMap!.name;
    case ContextType.git: return item.git!.repository;
    case ContextType.url: return item.url!.source;
    case ContextType.runtime: return 'runtime';
    default: return `context-${index}`;
  }
}

/** Resolves a mountPath against the workspace. */
export function resolveMountPath(workspaceDir: string, mountPath: string): string {
  return posix.normalize(mountPath.startsWith('/') ? mountPath : posix.join(workspaceDir, mountPath)).replace(/\/$/, '') || '/';
}

const isInside = (path: string, dir: string): boolean => path.startsWith(dir === '/' ? '/' : `${dir}/`);

interface Target {
  readonly path: string;
  readonly what: string;
  /** Other targets may sit inside this one (it is written into, not mounted over). */
  readonly open: boolean;
}

/** Refuses two things at one path, or anything inside a mounted directory. */
function checkConflicts(targets: readonly Target[]): void {
  for (let i = 0; i < targets.length; i++) {
    for (let j = 0; j < targets.length; j++) {
      const a = targets[i];
      const b = targets[j];
      if (i < j && a.path === b.path) {
        throw new ContextError(`${a.what} and ${b.what} both use the path ${a.path}`);
      }
      if (i !== j && !b.open && isInside(a.path, b.path)) {
        throw new ContextError(`${a.what} at ${a.path} is inside ${b.what} at ${b.path}, which is mounted over it`);
      }
    }
  }
}

/** Reads a ConfigMap context's content, applying `optional`. */
function configMapContent(ctx: ResolvedContext): Readonly<Record<string, string>> {
  const ref = ctx.item.configMap!;
  if (ctx.configMapData === undefined) {
    if (ref.optional) return {};
    throw new ContextError(`${ctx.origin}: ConfigMap ${ref.name} not found`, true);
  }
  if (ref.key !== undefined && ctx.configMapData[ref.key] === undefined) {
    if (ref.optional) return { [ref.key]: '' };
    throw new ContextError(`${ctx.origin}: ConfigMap ${ref.name} has no key ${ref.key}`, true);
  }
  return ref.key !== undefined ? { [ref.key]: ctx.configMapData[ref.key] } : ctx.configMapData;
}

class PlanBuilder {
  private taskMd: string;
  private readonly inserts: { offset: number; file: string }[] = [];
  private readonly data: Record<string, string> = {};
  private readonly files: FileTarget[] = [];
  private readonly dirs: DirTarget[] = [];
  private readonly mountedFiles: FileTarget[] = [];
  private readonly mountedDirs: DirTarget[] = [];
  private readonly gitClones: GitClone[] = [];
  private readonly urlFetches: UrlFetch[] = [];
  private readonly targets: Target[];
  private fileCount = 0;
  private dirCount = 0;

  constructor(private readonly input: PlanInput) {
    this.taskMd = withNewline(input.description);
    this.targets = [
      { path: input.workspaceDir, what: 'the workspace', open: true },
      { path: PodPaths.tools, what: 'the tools volume', open: false },
      ...(isInside(input.workspaceDir, PodPaths.home) || input.workspaceDir === PodPaths.home ? [] : [{ path: PodPaths.home, what: 'the home directory', open: true }]),
      ...(input.credentials ?? []).filter((c) => c.mountPath).map((c) => ({
        path: posix.normalize(c.mountPath!),
        what: `credential ${c.name}`,
        open: false,
      })),
    ];
  }

  add(ctx: ResolvedContext, index: number): void {
    const { item } = ctx;
    const target = item.mountPath !== undefined ? resolveMountPath(this.input.workspaceDir, item.mountPath) : undefined;
    switch (item.type) {
      case ContextType.text: return this.addContent(ctx, index, item.text ?? '', target);
      case ContextType.runtime: return this.addContent(ctx, index, RUNTIME_PROMPT, target);
      case ContextType.configMap: return this.addConfigMap(ctx, index, target);
      case ContextType.git: return this.addGit(ctx, target!);
      case ContextType.url: return this.addUrl(ctx, index, target);
    }
  }

  private aggregate(item: ContextItem, index: number, body: string): void {
    this.taskMd += `\n${openTag(item, defaultName(item, index))}${withNewline(body)}</context>\n`;
  }

  private addContent(ctx: ResolvedContext, index: number, content: string, target: string | undefined): void {
    if (target === undefined) return this.aggregate(ctx.item, index, content);
    const key = `file-${this.fileCount++}`;
    this.data[key] = content;
    const file = { key, path: target, mode: ctx.item.fileMode ?? Defaults.contextFileMode };
    this.place(file, ctx.origin, this.files, this.mountedFiles, false);
  }

  private addConfigMap(ctx: ResolvedContext, index: number, target: string | undefined): void {
    const content = configMapContent(ctx);
    const ref = ctx.item.configMap!;
    if (ref.key !== undefined) return this.addContent(ctx, index, content[ref.key], target);
    const keys = Object.keys(content).sort();
    if (target === undefined) {
      return this.aggregate(ctx.item, index, keys.map((k) => `<file name="${escapeAttr(k)}">\n${withNewline(content[k])}</file>\n`).join(''));
    }
    const prefix = `dir-${this.dirCount++}`;
    const entries = keys.map((name) => ({ key: `${prefix}.${name}`, name }));
    for (const e of entries) this.data[e.key] = content[e.name];
    const dir = { path: target, mode: ctx.item.fileMode ?? Defaults.contextFileMode, entries };
    this.place(dir, ctx.origin, this.dirs, this.mountedDirs, true);
  }

  /** Inside the workspace context-init writes it; elsewhere it is mounted from the ConfigMap. */
  private place<T extends { path: string }>(t: T, origin: string, written: T[], mounted: T[], isDir: boolean): void {
    const inWorkspace = isInside(t.path, this.input.workspaceDir) || t.path === this.input.workspaceDir;
    if (!isDir && t.path === this.input.workspaceDir) throw new ContextError(`${origin}: a file cannot be written at the workspace directory itself`);
    (inWorkspace ? written : mounted).push(t);
    if (t.path !== this.input.workspaceDir) this.targets.push({ path: t.path, what: origin, open: isDir && inWorkspace });
  }

  private addGit(ctx: ResolvedContext, target: string): void {
    const git = ctx.item.git!;
    const intoWorkspace = target === this.input.workspaceDir;
    this.gitClones.push({
      index: this.gitClones.length,
      origin: ctx.origin,
      repository: git.repository,
      ref: git.ref,
      depth: git.depth ?? Defaults.gitDepth,
      subdir: git.path,
      secretName: git.secretRef?.name,
      mountPath: target,
      intoWorkspace,
    });
    if (!intoWorkspace) this.targets.push({ path: target, what: ctx.origin, open: false });
  }

  private addUrl(ctx: ResolvedContext, index: number, target: string | undefined): void {
    const url = ctx.item.url!;
    const fetchIndex = this.urlFetches.length;
    this.urlFetches.push({
      index: fetchIndex,
      origin: ctx.origin,
      source: url.source,
      headers: url.headers ?? {},
      secretName: url.secretRef?.name,
      insecureSkipTLSVerify: url.insecureSkipTLSVerify ?? false,
      timeoutSeconds: url.timeoutSeconds ?? Defaults.urlTimeoutSeconds,
      mountPath: target,
      mode: ctx.item.fileMode ?? Defaults.contextFileMode,
    });
    if (target !== undefined) {
      this.targets.push({ path: target, what: ctx.origin, open: false });
      return;
    }
    this.taskMd += `\n${openTag(ctx.item, defaultName(ctx.item, index))}`;
    this.inserts.push({ offset: this.taskMd.length, file: fetchedFile(fetchIndex) });
    this.taskMd += '</context>\n';
  }

  /** Parents of mount points inside the workspace or home, outermost first. */
  private mountParents(): string[] {
    const roots = [this.input.workspaceDir, ...(this.input.homeDir ? [this.input.homeDir] : [])];
    const mountPoints = [
      ...this.gitClones.filter((g) => !g.intoWorkspace).map((g) => g.mountPath),
      ...this.urlFetches.flatMap((u) => (u.mountPath ? [u.mountPath] : [])),
      ...this.mountedFiles.map((f) => f.path),
      ...this.mountedDirs.map((d) => d.path),
      ...(this.input.credentials ?? []).flatMap((c) => (c.mountPath ? [posix.normalize(c.mountPath)] : [])),
    ];
    const parents = new Set<string>();
    for (const point of mountPoints) {
      const root = roots.find((r) => isInside(point, r));
      if (!root) continue;
      for (let dir = posix.dirname(point); dir !== root && isInside(dir, root); dir = posix.dirname(dir)) parents.add(dir);
    }
    return [...parents].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
  }

  build(): ContextPlan {
    checkConflicts(this.targets);
    const init: ContextInitPlan = {
      workspaceDir: this.input.workspaceDir,
      taskMdInserts: this.inserts,
      files: this.files,
      dirs: this.dirs,
      ...(this.input.homeDir ? { homeDir: this.input.homeDir } : {}),
      directories: this.mountParents(),
    };
    const data = { ...this.data, [TASK_MD_KEY]: this.taskMd, [PLAN_KEY]: JSON.stringify(init, null, 2) };
    const size = Object.entries(data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (size > Limits.contextConfigMapBytes) {
      throw new ContextError(`the contexts add up to ${size} bytes, more than the ${Limits.contextConfigMapBytes} bytes a ConfigMap can hold; ` +
        'mount large content from Git or a URL instead');
    }
    return { data, init, mountedFiles: this.mountedFiles, mountedDirs: this.mountedDirs, gitClones: this.gitClones, urlFetches: this.urlFetches };
  }
}

/** Plans the contexts of one Task. Throws ContextError for input that cannot work. */
export function planContexts(input: PlanInput): ContextPlan {
  const builder = new PlanBuilder(input);
  input.contexts.forEach((ctx, i) => builder.add(ctx, i));
  return builder.build();
}
