/** The page: a header with the navigation and the stream's state, and the page of the route. */
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import './app.css';
import { listStore, useListStore } from './list-store.js';
import { AgentsPage } from './pages/agents.js';
import { NewTaskPage } from './pages/new-task.js';
import { TaskPage } from './pages/task.js';
import { TasksPage } from './pages/tasks.js';
import { Route, useRoute } from './router.js';

function ConnectionState() {
  useListStore();
  const s = listStore.state;
  const text = typeof s === 'object' ? `Not connected: ${s.message}` : s === 'live' ? 'Live' : s === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return <span class={`conn conn-${typeof s === 'object' ? 'failed' : s}`} role="status">{text}</span>;
}

function User() {
  useListStore();
  const user = listStore.session?.user;
  return user ? <span class="user">Signed in as {user}</span> : null;
}

function Nav({ route }: { route: Route }) {
  const link = (href: string, label: string, current: boolean) => (
    <li><a href={href} aria-current={current ? 'page' : undefined}>{label}</a></li>
  );
  return (
    <nav aria-label="Main">
      <ul>
        {link('#/tasks', 'Tasks', route.page === 'tasks' || route.page === 'task')}
        {link('#/agents', 'Agents', route.page === 'agents')}
        {link('#/new', 'New Task', route.page === 'new')}
      </ul>
    </nav>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'task': return <TaskPage key={`${route.namespace}/${route.name}`} namespace={route.namespace} name={route.name} />;
    case 'agents': return <AgentsPage />;
    case 'new': return <NewTaskPage />;
    default: return <TasksPage />;
  }
}

function App() {
  const route = useRoute();
  useEffect(() => listStore.connect(), []);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}>Skip to content</a>
      <header>
        <span class="brand">KubeOpenCode</span>
        <Nav route={route} />
        <User />
        <ConnectionState />
      </header>
      <main id="main" tabIndex={-1}><Page route={route} /></main>
    </>
  );
}

const root = document.getElementById('app')!;
root.replaceChildren(); // the "Loading…" of the HTML shell
render(<App />, root);
