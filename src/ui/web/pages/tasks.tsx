/**
 * Tasks: every Task the user's watches hold, filtered by namespace, Agent, phase, labels and
 * text, newest first, 50 to a page (a real table: 5,000 Tasks never become 5,000 rows in the
 * document). Updates arrive live; the page the user is on stays where it is.
 */
import { useMemo, useState } from 'preact/hooks';
import { compareTasks, matchesTask, parseLabelSelector, type LabelRequirement } from '../../shared/filter.js';
import { Alert, PageTitle, PhaseBadge, Time, useNow } from '../components/common.js';
import { listStore, useListStore } from '../list-store.js';
import { taskHref } from '../router.js';

const PAGE_SIZE = 50;
const PHASES = ['Pending', 'Queued', 'Running', 'Completed', 'Failed'];

interface Filters {
  namespace: string;
  agent: string;
  phase: string;
  labels: string;
  text: string;
}

// Kept while the user visits a Task and comes back.
let saved: Filters = { namespace: '', agent: '', phase: '', labels: '', text: '' };

function NamespacesToWatch() {
  const [value, setValue] = useState(listStore.namedNamespaces.join(', '));
  const scope = listStore.scope;
  if (!listStore.loaded || scope.clusterWide) return null;
  return (
    <form class="watch-ns" onSubmit={(e) => {
      e.preventDefault();
      listStore.setNamedNamespaces(value.split(/[\s,]+/).filter(Boolean));
    }}>
      <p>You may not list Tasks in every namespace, so these are watched one by one: {scope.namespaces.length ? scope.namespaces.join(', ') : 'none yet'}.</p>
      {scope.forbidden.map((f) => <p class="warning" key={f.namespace}>{f.message}</p>)}
      <label for="watch-ns">More namespaces to watch (comma-separated)</label>
      <input id="watch-ns" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Watch</button>
    </form>
  );
}

interface FilterBarProps { f: Filters; set: (f: Filters) => void; agents: string[]; namespaces: string[]; labelError?: string }

function FilterBar({ f, set, agents, namespaces, labelError }: FilterBarProps) {
  const field = (key: keyof Filters) => ({
    value: f[key],
    onInput: (e: { currentTarget: { value: string } }) => set({ ...f, [key]: e.currentTarget.value }),
  });
  return (
    <form class="filters" role="search" aria-label="Filter Tasks" onSubmit={(e) => e.preventDefault()}>
      <div><label for="flt-ns">Namespace</label>
        <select id="flt-ns" {...field('namespace')}><option value="">All</option>{namespaces.map((n) => <option key={n} value={n}>{n}</option>)}</select></div>
      <div><label for="flt-agent">Agent</label>
        <select id="flt-agent" {...field('agent')}><option value="">All</option>{agents.map((a) => <option key={a} value={a}>{a}</option>)}</select></div>
      <div><label for="flt-phase">Phase</label>
        <select id="flt-phase" {...field('phase')}><option value="">All</option>{PHASES.map((p) => <option key={p} value={p}>{p}</option>)}</select></div>
      <div><label for="flt-labels">Labels</label>
        <input id="flt-labels" placeholder="app=web,tier!=db" aria-invalid={labelError ? 'true' : undefined} aria-describedby={labelError ? 'flt-labels-error' : undefined} {...field('labels')} />
        {labelError && <p id="flt-labels-error" class="field-error">{labelError}</p>}</div>
      <div><label for="flt-text">Name or description</label><input id="flt-text" type="search" {...field('text')} /></div>
    </form>
  );
}

export function TasksPage() {
  const version = useListStore();
  const now = useNow();
  const [f, setF] = useState(saved);
  const [page, setPage] = useState(0);
  const set = (next: Filters) => {
    saved = next;
    setF(next);
    setPage(0);
  };
  let labels: LabelRequirement[] = [];
  let labelError: string | undefined;
  try {
    labels = parseLabelSelector(f.labels);
  } catch (e) {
    labelError = (e as Error).message;
  }
  const all = useMemo(() => [...listStore.tasks.values()], [version]);
  const rows = useMemo(() => all.filter((t) => matchesTask(t, { ...f, labels })).sort(compareTasks),
    [all, f.namespace, f.agent, f.phase, f.labels, f.text]);
  const namespaces = useMemo(() => [...new Set([...all.map((t) => t.namespace), ...listStore.scope.namespaces])].sort(), [all]);
  const agents = useMemo(() => [...new Set([...all.map((t) => t.agent), ...[...listStore.agents.values()].map((a) => `${a.namespace}/${a.name}`)])].sort(), [all, version]);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const shown = rows.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  const state = listStore.state;

  return (
    <section aria-labelledby="tasks-title">
      <PageTitle title="Tasks"><span id="tasks-title">Tasks</span></PageTitle>
      <Alert message={typeof state === 'object' ? state.message : undefined} />
      <NamespacesToWatch />
      <FilterBar f={f} set={set} agents={agents} namespaces={namespaces} labelError={labelError} />
      <p class="count" id="tasks-count">{listStore.loaded ? `${rows.length} of ${all.length} Tasks` : 'Loading Tasks…'}</p>
      <table class="tasks" aria-describedby="tasks-count">
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Namespace</th><th scope="col">Phase</th><th scope="col">Agent</th>
          <th scope="col">Queue</th><th scope="col">Created</th><th scope="col">Description</th>
        </tr></thead>
        <tbody>
          {listStore.loaded && shown.length === 0 && <tr><td colSpan={7} class="muted">{all.length ? 'No Task matches the filters.' : 'No Tasks yet.'}</td></tr>}
          {shown.map((t) => (
            <tr key={`${t.namespace}/${t.name}`} data-task={`${t.namespace}/${t.name}`}>
              <th scope="row"><a href={taskHref(t.namespace, t.name)}>{t.name}</a></th>
              <td>{t.namespace}</td>
              <td><PhaseBadge phase={t.phase} />{t.reason && t.phase !== 'Running' && <span class="reason"> {t.reason}</span>}</td>
              <td>{t.agent}</td>
              <td>{t.queuePosition ?? ''}</td>
              <td><Time iso={t.created} now={now} /></td>
              <td class="title-cell">{t.title}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages > 1 && (
        <nav class="pager" aria-label="Pages of Tasks">
          <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>Previous page</button>
          <span aria-live="polite">Page {current + 1} of {pages}</span>
          <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>Next page</button>
        </nav>
      )}
    </section>
  );
}
