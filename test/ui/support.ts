/**
 * Helpers for the UI's tests: the bundle built from the current sources, a client that talks
 * to the UI server as a browser would (Origin, CSRF token, optional bearer token), and a
 * reader of its Server-Sent Event streams.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { waitFor } from '../../harness/wait.js';
import { buildAssets } from '../../scripts/ui-bundle.js';
import { CSRF_HEADER } from '../../src/ui/shared/types.js';

/** Builds the page's bundle into a fresh folder (esbuild, well under a second). */
export async function testAssets(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeopencode-ui-'));
  await buildAssets(dir);
  return dir;
}

export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** Reads one event stream into `events` until closed. */
export class SseReader {
  public readonly events: SseEvent[] = [];
  public status = 0;
  public ended = false;
  private readonly abort = new AbortController();
  public readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.opened = this.read(url, headers);
    this.opened.catch(() => undefined);
  }

  private async read(url: string, headers: Record<string, string>): Promise<void> {
    const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: this.abort.signal });
    this.status = res.status;
    if (!res.ok || !res.body) {
      this.events.push({ event: 'http-error', data: await res.json().catch(() => undefined) });
      this.ended = true;
      return;
    }
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of res.body!) {
          buf += decoder.decode(chunk as Uint8Array, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            this.parse(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        }
      } catch {
        // aborted
      }
      this.ended = true;
    })();
  }

  private parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length) this.events.push({ event, data: JSON.parse(data.join('\n')) });
  }

  /** The first event (from the start) that satisfies `check`, waiting for it. */
  public async next<T>(event: string, check: (data: T) => boolean = () => true, timeoutMs = 20_000): Promise<T> {
    const found = await waitFor(() => this.events.find((e) => e.event === event && check(e.data as T)), { timeoutMs, intervalMs: 50, description: `a "${event}" event that passes the check` });
    return found.data as T;
  }

  public close(): void {
    this.abort.abort();
  }
}

/** A user of the UI server: its bearer token (bearer mode) or none (kubeconfig mode). */
export class UiClient {
  private csrf?: string;

  constructor(public readonly base: string, private readonly token?: string) {}

  public get headers(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  /** Fetches the page once for its CSRF token, as the browser does. */
  public async csrfToken(): Promise<string> {
    if (!this.csrf) {
      const html = await (await fetch(this.base, { headers: this.headers })).text();
      this.csrf = /name="kubeopencode-csrf" content="([^"]+)"/.exec(html)?.[1] ?? '';
    }
    return this.csrf;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public async get(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(new URL(path, this.base), { headers: this.headers });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  }

  /** A state-changing request, with what a page of this server sends (unless `extra` overrides it). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public async send(method: 'POST' | 'DELETE', path: string, body?: unknown, extra: Record<string, string | undefined> = {}): Promise<{ status: number; body: any }> {
    const origin = new URL(this.base).origin;
    const headers: Record<string, string> = { ...this.headers, Origin: origin, [CSRF_HEADER]: await this.csrfToken(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    const res = await fetch(new URL(path, this.base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  public stream(path: string): SseReader {
    return new SseReader(new URL(path, this.base).toString(), this.headers);
  }
}

/** The bearer token of a kubeconfig made by `tokenKubeConfig`. */
export const tokenOf = (kc: KubeConfig): string => kc.getCurrentUser()!.token!;

export interface Grant {
  readonly group: string;
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** A ServiceAccount `sa` in `saNs` given `grants` in namespace `ns` (Role + RoleBinding). */
export async function grant(kc: KubeConfig, saNs: string, sa: string, ns: string, grants: readonly Grant[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace: saNs, body: { metadata: { name: sa } } }).catch((e: { code?: number }) => {
    if (e.code !== 409) throw e;
  });
  const name = `ui-${sa}-${saNs}`.slice(0, 63);
  const rules = grants.map((g) => ({ apiGroups: [g.group], resources: [...g.resources], verbs: [...g.verbs] }));
  await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: saNs }],
    },
  });
}

const ALL = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const READ = ['get', 'list', 'watch'];

/** What a team's developer may do in the team's namespace (Secrets included: the UI still shows none). */
export const TEAM_DEVELOPER: readonly Grant[] = [
  { group: 'kubeopencode.io', resources: ['tasks'], verbs: ALL },
  { group: 'kubeopencode.io', resources: ['agents'], verbs: READ },
  { group: '', resources: ['pods', 'events', 'configmaps', 'secrets'], verbs: READ },
  { group: '', resources: ['pods/log'], verbs: ['get'] },
];

/** Reading Tasks only. */
export const TASK_READER: readonly Grant[] = [{ group: 'kubeopencode.io', resources: ['tasks', 'agents'], verbs: READ }];
