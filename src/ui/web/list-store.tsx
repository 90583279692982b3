/**
 * The Tasks and Agents of the list stream, kept in Maps that the stream's snapshot fills and
 * its batches change. Pages read the Maps; re-rendering happens at most once per frame, so a
 * burst of changes to 5,000 Tasks is one render.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, openStream, Stream } from './api.js';
import type { AgentSummary, Changes, ProblemBody, SessionInfo, Snapshot, TaskSummary, WatchScope } from '../shared/types.js';

const NAMESPACES_KEY = 'kubeopencode.namespaces';

export class ListStore {
  public readonly tasks = new Map<string, TaskSummary>();
  public readonly agents = new Map<string, AgentSummary>();
  public scope: WatchScope = { clusterWide: false, namespaces: [], forbidden: [] };
  public state: 'connecting' | 'live' | 'reconnecting' | ProblemBody = 'connecting';
  public loaded = false;
  /** Who the server says the user is, and the namespaces it watches by default. */
  public session?: SessionInfo;
  /** Changes with every change: pages memoize on it. */
  public version = 0;
  private stream?: Stream;
  private readonly listeners = new Set<() => void>();
  private frame = 0;

  /** Namespaces the user named on the page (used when they may not list every namespace). */
  public get namedNamespaces(): string[] {
    return (localStorage.getItem(NAMESPACES_KEY) ?? '').split(',').filter(Boolean);
  }

  public setNamedNamespaces(namespaces: string[]): void {
    localStorage.setItem(NAMESPACES_KEY, namespaces.join(','));
    this.connect();
  }

  public connect(): void {
    this.stream?.close();
    if (!this.session) {
      void api<SessionInfo>('GET', 'api/session').then((info) => {
        this.session = info;
        this.changed();
      }, () => undefined);
    }
    const ns = this.namedNamespaces;
    this.stream = openStream(`api/stream${ns.length ? `?namespaces=${encodeURIComponent(ns.join(','))}` : ''}`, {
      snapshot: (s: Snapshot) => {
        this.tasks.clear();
        this.agents.clear();
        for (const t of s.tasks) this.tasks.set(`${t.namespace}/${t.name}`, t);
        for (const a of s.agents) this.agents.set(`${a.namespace}/${a.name}`, a);
        this.scope = s.scope;
        this.loaded = true;
        this.state = 'live';
        this.changed();
      },
      changes: (c: Changes) => {
        for (const { key, object } of c.tasks) object ? this.tasks.set(key, object) : this.tasks.delete(key);
        for (const { key, object } of c.agents) object ? this.agents.set(key, object) : this.agents.delete(key);
        this.changed();
      },
      scope: (s: WatchScope) => {
        this.scope = s;
        this.changed();
      },
    }, (state) => {
      this.state = state;
      this.changed();
    });
  }

  public subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.version++;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.listeners.forEach((l) => l());
    });
  }
}

export const listStore = new ListStore();

/** The namespace a new Task goes to unless the user picks one: the kubeconfig context's, else the first watched. */
export function defaultNamespace(): string {
  return listStore.session?.defaultNamespaces[0] ?? listStore.scope.namespaces[0] ?? '';
}

/** Re-renders the calling component when the store changes; returns its version. */
export function useListStore(): number {
  const [, setVersion] = useState(listStore.version);
  useEffect(() => listStore.subscribe(() => setVersion(listStore.version)), []);
  return listStore.version;
}
