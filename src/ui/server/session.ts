/**
 * Everything the server holds for one set of credentials: an API client, the shared Task and
 * Agent watches, and the Pod/Event watches of open Task pages. A bearer session that no page
 * used for `idleMs` is closed (its watches stop); the kubeconfig session lives as long as the
 * server.
 */
import { Credentials } from './credentials.js';
import { whoAmI } from './kube.js';
import { ObjectWatches } from './object-watch.js';
import { problem } from './problems.js';
import { ResourceWatch } from './resource-watch.js';
import { GROUP, Kinds, VERSION } from '../../api/constants.js';
import { AgentObject, TaskObject } from '../../reconciler/objects.js';
import { ApiError } from '../../reconciler/runtime/api-errors.js';
import { Logger } from '../../reconciler/runtime/logger.js';
import { RestClient } from '../../reconciler/runtime/rest-client.js';

export class Session {
  public readonly client: RestClient;
  public readonly tasks: ResourceWatch<TaskObject>;
  public readonly agents: ResourceWatch<AgentObject>;
  public readonly objects: ObjectWatches;
  public user?: string;
  /** Open streams; the session is idle at 0. */
  public streams = 0;
  public lastUsed = Date.now();
  private readonly closers = new Set<() => void>();
  private expiry?: NodeJS.Timeout;

  constructor(public readonly credentials: Credentials, log: Logger) {
    this.client = new RestClient(credentials.kc);
    this.tasks = new ResourceWatch<TaskObject>(this.client, { group: GROUP, version: VERSION, plural: Kinds.task.plural, title: 'Tasks' }, log.child({ watch: 'tasks' }));
    this.agents = new ResourceWatch<AgentObject>(this.client, { group: GROUP, version: VERSION, plural: Kinds.agent.plural, title: 'Agents' }, log.child({ watch: 'agents' }));
    this.objects = new ObjectWatches(this.client, log.child({ watch: 'objects' }));
  }

  /** Starts the Task and Agent watches once (cluster-wide, or the `defaults` namespaces), then adds `namespaces`. */
  public async watch(defaults: readonly string[], namespaces: readonly string[] = []): Promise<void> {
    await Promise.all([this.tasks.start(defaults), this.agents.start(defaults)]);
    if (namespaces.length) await Promise.all([this.tasks.addNamespaces(namespaces), this.agents.addNamespaces(namespaces)]);
  }

  /** Ends `close` (an open stream) with the session: its page reconnects, with fresh credentials. */
  public track(close: () => void): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  /** Calls `fn` when the credentials expire. */
  public expireAt(at: number, fn: () => void): void {
    // setTimeout holds at most 2^31-1 ms (24.8 days); a longer-lived token is checked again then.
    const ms = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    this.expiry = setTimeout(() => (Date.now() >= at ? fn() : this.expireAt(at, fn)), ms);
    this.expiry.unref();
  }

  public async close(): Promise<void> {
    clearTimeout(this.expiry);
    for (const close of [...this.closers]) close();
    await Promise.allSettled([this.tasks.stop(), this.agents.stop(), this.objects.close()]);
    await this.client.close();
  }
}

export interface SessionRegistryOptions {
  readonly logger: Logger;
  /** Close a bearer session after this long without an open stream. @default 10 minutes */
  readonly idleMs?: number;
  /** At most this many sessions; the idlest goes first. @default 200 */
  readonly maxSessions?: number;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly verifying = new Map<string, Promise<Session>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionRegistryOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, this.idleMs / 2));
    this.sweeper.unref();
  }

  private get idleMs(): number {
    return this.options.idleMs ?? 10 * 60_000;
  }

  /**
   * The session of these credentials. A new one is made only once the API server accepted the
   * credentials (SelfSubjectReview), so that refused tokens leave nothing behind.
   */
  public async get(credentials: Credentials): Promise<Session> {
    const known = this.sessions.get(credentials.id);
    if (known) {
      known.lastUsed = Date.now();
      return known;
    }
    let p = this.verifying.get(credentials.id);
    if (!p) {
      p = this.open(credentials).finally(() => this.verifying.delete(credentials.id));
      this.verifying.set(credentials.id, p);
    }
    return p;
  }

  private async open(credentials: Credentials): Promise<Session> {
    const session = new Session(credentials, this.options.logger);
    try {
      session.user = await whoAmI(session.client);
    } catch (e) {
      await session.close();
      if (e instanceof ApiError && e.code === 401) throw problem(401, 'Unauthorized', 'The API server did not accept your credentials (Unauthorized): sign in again');
      throw e;
    }
    this.evictIfFull();
    this.sessions.set(credentials.id, session);
    if (credentials.expiresAt) session.expireAt(credentials.expiresAt, () => this.remove(session));
    return session;
  }

  private evictIfFull(): void {
    const max = this.options.maxSessions ?? 200;
    if (this.sessions.size < max) return;
    const idlest = [...this.sessions.values()].filter((s) => s.streams === 0).sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!idlest) throw problem(503, 'ServiceUnavailable', `The UI serves at most ${max} users at once; try again later`);
    this.remove(idlest);
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (s.credentials.id !== 'kubeconfig' && s.streams === 0 && now - s.lastUsed > this.idleMs) this.remove(s);
    }
  }

  private remove(s: Session): void {
    if (this.sessions.get(s.credentials.id) !== s) return;
    this.sessions.delete(s.credentials.id);
    void s.close();
  }

  public get size(): number {
    return this.sessions.size;
  }

  /** Watches open against the API server, over every session. */
  public get watchCount(): number {
    return [...this.sessions.values()].reduce((n, s) => n + s.tasks.watchCount + s.agents.watchCount + s.objects.watchCount, 0);
  }

  public async close(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
