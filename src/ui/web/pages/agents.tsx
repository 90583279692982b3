/**
 * Agents: each Agent's limit, running and queued counts, its queue in order (the Queued Tasks
 * the user can see, by queue position), the namespaces it serves, and its credentials by
 * name: which Secret, never what is in it.
 */
import { useMemo } from 'preact/hooks';
import { queueOf } from '../../shared/filter.js';
import type { AgentSummary } from '../../shared/types.js';
import { PageTitle } from '../components/common.js';
import { listStore, useListStore } from '../list-store.js';
import { taskHref } from '../router.js';

function Credentials({ agent }: { agent: AgentSummary }) {
  if (!agent.credentials.length) return <span class="muted">none</span>;
  return (
    <ul class="plain">
      {agent.credentials.map((c) => (
        <li key={c.name}>{c.name}: Secret <code>{c.secretName}</code>{c.key ? <> key <code>{c.key}</code></> : ' (all keys)'}
          {c.env ? <> as <code>${c.env}</code></> : c.mountPath ? <> at <code>{c.mountPath}</code></> : null}</li>
      ))}
    </ul>
  );
}

function Queue({ agent }: { agent: AgentSummary }) {
  const queue = queueOf(listStore.tasks.values(), `${agent.namespace}/${agent.name}`);
  if (!queue.length) return <span class="muted">empty</span>;
  return (
    <ol class="queue" aria-label={`Queue of Agent ${agent.name}`}>
      {queue.map((t) => <li key={`${t.namespace}/${t.name}`}><a href={taskHref(t.namespace, t.name)}>{t.namespace}/{t.name}</a></li>)}
    </ol>
  );
}

export function AgentsPage() {
  const version = useListStore();
  const agents = useMemo(() => [...listStore.agents.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)), [version]);
  return (
    <section>
      <PageTitle title="Agents">Agents</PageTitle>
      {listStore.loaded && agents.length === 0 && <p class="muted">No Agents you may see.</p>}
      {agents.length > 0 && (
        <table class="agents">
          <caption class="sr-only">Agents, with their limits, counts, queues and credentials</caption>
          <thead><tr>
            <th scope="col">Agent</th><th scope="col">Limit</th><th scope="col">Running</th><th scope="col">Queued</th>
            <th scope="col">Queue, next first</th><th scope="col">Allowed namespaces</th><th scope="col">Credentials</th><th scope="col">Ready</th>
          </tr></thead>
          <tbody>{agents.map((a) => {
            const ready = a.conditions.find((c) => c.type === 'Ready');
            return (
              <tr key={`${a.namespace}/${a.name}`} data-agent={`${a.namespace}/${a.name}`}>
                <th scope="row">{a.namespace}/{a.name}</th>
                <td>{a.maxConcurrentTasks || 'no limit'}</td>
                <td>{a.runningTasks}</td>
                <td>{a.queuedTasks}</td>
                <td><Queue agent={a} /></td>
                <td>{a.allowedNamespaces.length ? `${a.namespace}, ${a.allowedNamespaces.join(', ')}` : 'all'}</td>
                <td><Credentials agent={a} /></td>
                <td>{ready ? `${ready.status}${ready.reason ? ` (${ready.reason})` : ''}` : '-'}</td>
              </tr>
            );
          })}</tbody>
        </table>
      )}
    </section>
  );
}
