/**
 * New Task: Agent, description, contexts, labels. "Preview" shows the Pod the operator would
 * create (the server renders it with the operator's own code, the Agent read as the user);
 * "Create" creates it. The API server's refusals are shown at the fields they name, with a
 * summary that links to each and takes the focus.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ContextInput, CreatedTask, NewTaskRequest, PreviewResult } from '../../shared/types.js';
import { api, ApiProblem } from '../api.js';
import { PageTitle } from '../components/common.js';
import { ContextEditor, contextKeys } from '../components/context-editor.js';
import { Field, FieldErrors, fieldId, fieldLabel, placeErrors } from '../components/fields.js';
import { defaultNamespace, listStore, useListStore } from '../list-store.js';
import { navigate, taskHref } from '../router.js';

interface FormState {
  namespace: string;
  name: string;
  agent: string;
  description: string;
  contexts: ContextInput[];
  labels: string;
  timeout: string;
}

function toRequest(f: FormState): NewTaskRequest {
  const [agentNs, agentName] = f.agent ? f.agent.split('/') : [];
  const labels = Object.fromEntries(f.labels.split(/[\n,]+/).map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.indexOf('=');
    return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
  }));
  return {
    namespace: f.namespace.trim(),
    name: f.name.trim() || undefined,
    agent: agentName ? { namespace: agentNs, name: agentName } : undefined,
    description: f.description,
    contexts: f.contexts,
    labels,
    // Not a number: sent as typed, for the API server to say what is wrong with it.
    timeoutSeconds: !f.timeout.trim() ? undefined : /^\d+$/.test(f.timeout.trim()) ? Number(f.timeout) : f.timeout.trim(),
  };
}

function ErrorSummary({ errors, message }: { errors: Record<string, string[]>; message?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), [errors, message]);
  const entries = Object.entries(errors).filter(([k]) => k !== '');
  return (
    <div class="alert error-summary" role="alert" tabIndex={-1} ref={ref}>
      <p><strong>{message ?? 'The Task was refused.'}</strong></p>
      {(errors[''] ?? []).map((m, i) => <p key={i}>{m}</p>)}
      {entries.length > 0 && (
        <ul>{entries.map(([k, ms]) => (
          <li key={k}><a href={`#${fieldId(k)}`} onClick={(e) => {
            e.preventDefault(); // the hash is the route: move the focus instead
            const el = document.getElementById(fieldId(k));
            (el?.matches('fieldset') ? el.querySelector<HTMLElement>('select, input, textarea') : el)?.focus();
          }}>{fieldLabel(k)}: {ms.join(' ')}</a></li>
        ))}</ul>
      )}
    </div>
  );
}

export function NewTaskPage() {
  const version = useListStore();
  const agents = useMemo(() => [...listStore.agents.values()].map((a) => `${a.namespace}/${a.name}`).sort(), [version]);
  const namespaces = useMemo(() => {
    const seen = [
      ...listStore.scope.namespaces,
      ...[...listStore.tasks.values()].map((t) => t.namespace),
      ...[...listStore.agents.values()].map((a) => a.namespace),
    ];
    return [...new Set(seen)].sort();
  }, [version]);
  const [f, setF] = useState<FormState>({ namespace: '', name: '', agent: '', description: '', contexts: [], labels: '', timeout: '' });
  const [problem, setProblem] = useState<{ message: string; errors: FieldErrors }>();
  const [preview, setPreview] = useState<PreviewResult>();
  const [busy, setBusy] = useState<string>();
  const set = (patch: Partial<FormState>) => setF((old) => ({ ...old, ...patch }));
  // Until the user types one: the Agent's namespace, else the default one.
  const namespace = f.namespace || (f.agent ? f.agent.split('/')[0] : defaultNamespace());

  const known = new Set(['name', 'namespace', 'agent', 'description', 'labels', 'timeoutSeconds', 'contexts', ...f.contexts.flatMap((c, i) => contextKeys(i, c))]);
  const errors = problem ? placeErrors(problem.errors, known) : {};

  const submit = async (kind: 'preview' | 'create') => {
    setBusy(kind === 'preview' ? 'Rendering the preview…' : 'Creating the Task…');
    setProblem(undefined);
    try {
      const body = toRequest({ ...f, namespace });
      if (kind === 'preview') {setPreview(await api<PreviewResult>('POST', 'api/preview', body));} else {
        const created = await api<CreatedTask>('POST', 'api/tasks', body);
        navigate(taskHref(created.namespace, created.name));
      }
    } catch (e) {
      setPreview(undefined);
      setProblem(e instanceof ApiProblem ? { message: e.message, errors: e.body.fieldErrors ?? {} } : { message: String(e), errors: {} });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section>
      <PageTitle title="New Task">New Task</PageTitle>
      {problem && <ErrorSummary errors={errors} message={problem.message} />}
      <form class="new-task" noValidate onSubmit={(e) => {
        e.preventDefault();
        void submit('create');
      }}>
        <Field name="agent" label="Agent" errors={errors} hint="The Task's Pod runs in the Agent's namespace, with the Agent's image and credentials">
          {(a11y) => (
            <select {...a11y} value={f.agent} onChange={(e) => set({ agent: e.currentTarget.value })}>
              <option value="">"default" in the Task's namespace</option>
              {agents.map((a) => <option key={a} value={a}>{a}</option>)}
            </select>
          )}
        </Field>
        <Field name="namespace" label="Namespace" errors={errors} hint="Where the Task is created">
          {(a11y) => <input {...a11y} list="known-namespaces" aria-required="true" value={namespace} onInput={(e) => set({ namespace: e.currentTarget.value })} />}
        </Field>
        <datalist id="known-namespaces">{namespaces.map((n) => <option key={n} value={n} />)}</datalist>
        <Field name="name" label="Name" errors={errors} hint="Empty: one is generated">
          {(a11y) => <input {...a11y} value={f.name} onInput={(e) => set({ name: e.currentTarget.value })} />}
        </Field>
        <Field name="description" label="Description" errors={errors} hint="What the agent should do; it becomes task.md">
          {(a11y) => <textarea {...a11y} rows={6} aria-required="true" value={f.description} onInput={(e) => set({ description: e.currentTarget.value })} />}
        </Field>
        <fieldset class="contexts" id={fieldId('contexts')}>
          <legend>Contexts</legend>
          {(errors.contexts ?? []).length > 0 && <p class="field-error">{errors.contexts.join(' ')}</p>}
          {f.contexts.map((c, i) => (
            <ContextEditor key={i} index={i} value={c} errors={errors}
              onChange={(next) => set({ contexts: f.contexts.map((old, j) => (j === i ? next : old)) })}
              onRemove={() => set({ contexts: f.contexts.filter((_, j) => j !== i) })} />
          ))}
          <button type="button" onClick={() => set({ contexts: [...f.contexts, { type: 'Text', text: '' }] })}>Add a context</button>
        </fieldset>
        <Field name="labels" label="Labels" errors={errors} hint="key=value, one per line">
          {(a11y) => <textarea {...a11y} rows={2} value={f.labels} onInput={(e) => set({ labels: e.currentTarget.value })} />}
        </Field>
        <Field name="timeoutSeconds" label="Timeout in seconds" errors={errors} hint="Empty: no timeout">
          {(a11y) => <input {...a11y} inputMode="numeric" value={f.timeout} onInput={(e) => set({ timeout: e.currentTarget.value })} />}
        </Field>
        <div class="buttons">
          <button type="button" disabled={!!busy} onClick={() => void submit('preview')}>Preview the Pod</button>
          <button type="submit" class="primary" disabled={!!busy}>Create Task</button>
        </div>
        <p class="status" role="status">{busy ?? ''}</p>
      </form>
      {preview && (
        <section class="preview" aria-labelledby="h-preview">
          <h2 id="h-preview">What the operator would create</h2>
          {preview.notes.map((n, i) => <p class="warning" key={i}>{n}</p>)}
          {preview.objects && <pre class="yaml" tabIndex={0} aria-label="The Pod and the context ConfigMap, as YAML">{preview.objects}</pre>}
          <details><summary>The Task, as the API server would store it</summary><pre class="yaml">{preview.task}</pre></details>
        </section>
      )}
    </section>
  );
}
