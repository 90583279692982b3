/**
 * The Task objects the UI creates: one from the New Task form, and "Run again" (a new Task
 * with the same spec). The API server validates them; this only puts the form's fields where
 * the schema has them and drops what the form did not fill in.
 */
import { problem } from './problems.js';
import { API_VERSION, Kinds, Labels } from '../../api/constants.js';
import { TaskObject } from '../../reconciler/objects.js';
import type { ContextInput, NewTaskRequest } from '../shared/types.js';

type Doc = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Keeps the fields of a context its type uses, as the schema names them. */
function contextItem(c: ContextInput): Doc {
  const base: Doc = { type: c.type };
  if (str(c.name)) base.name = c.name;
  if (str(c.mountPath)) base.mountPath = c.mountPath;
  switch (c.type) {
    case 'Text': return { ...base, text: c.text ?? '' };
    case 'ConfigMap': return { ...base, configMap: { name: c.configMap?.name ?? '', ...(str(c.configMap?.key) ? { key: c.configMap!.key } : {}) } };
    case 'Git': return { ...base, git: { repository: c.git?.repository ?? '', ...(str(c.git?.ref) ? { ref: c.git!.ref } : {}) } };
    case 'URL': return { ...base, url: { source: c.url?.source ?? '' } };
    default: return { ...base, runtime: {} };
  }
}

const CONTEXT_TYPES = new Set(['Text', 'ConfigMap', 'Git', 'URL', 'Runtime']);

/** The Task the form describes; a request that is not even the form's shape is a 400. */
export function taskFromForm(body: NewTaskRequest): Doc {
  if (typeof body !== 'object' || body === null) throw problem(400, 'BadRequest', 'The request is not a New Task form');
  const namespace = str(body.namespace);
  if (!namespace) throw problem(422, 'Invalid', 'The Task is invalid: 1 field to fix', { namespace: ['Choose a namespace'] });
  const contexts = Array.isArray(body.contexts) ? body.contexts : [];
  const bad = contexts.findIndex((c) => !c || !CONTEXT_TYPES.has(c.type));
  if (bad >= 0) throw problem(422, 'Invalid', 'The Task is invalid: 1 field to fix', { [`contexts[${bad}]`]: ['Choose a context type'] });
  const agentName = str(body.agent?.name);
  const agentNs = str(body.agent?.namespace);
  const spec: Doc = {
    description: typeof body.description === 'string' ? body.description : '',
    ...(agentName ? { agentRef: { name: agentName, ...(agentNs && agentNs !== namespace ? { namespace: agentNs } : {}) } } : {}),
    ...(contexts.length ? { contexts: contexts.map(contextItem) } : {}),
    ...(typeof body.timeoutSeconds === 'number' || str(body.timeoutSeconds) ? { timeoutSeconds: body.timeoutSeconds } : {}),
  };
  const labels = body.labels && typeof body.labels === 'object' ? body.labels : undefined;
  const name = str(body.name);
  return {
    apiVersion: API_VERSION,
    kind: Kinds.task.kind,
    metadata: { ...(name ? { name } : { generateName: 'task-' }), namespace, ...(labels && Object.keys(labels).length ? { labels } : {}) },
    spec,
  };
}

/**
 * "Run again": the same spec and labels under a new generated name. The CronTask label is
 * left off: the copy is the user's, not the CronTask's, and must not count in its history.
 */
export function rerunOf(task: TaskObject): Doc {
  const { [Labels.cronTask]: _cron, ...labels } = task.metadata.labels ?? {};
  const stem = task.metadata.name.replace(/-r[a-z0-9]{5}$/, '').slice(0, 50);
  return {
    apiVersion: API_VERSION,
    kind: Kinds.task.kind,
    metadata: { generateName: `${stem}-r`, namespace: task.metadata.namespace, ...(Object.keys(labels).length ? { labels } : {}) },
    spec: task.spec,
  };
}
