/**
 * The New Task page: a preview (the API server checks and defaults the Task in a dry run,
 * then the Pod is rendered by renderTask, the operator's own code path, with the Agent, its
 * ConfigMaps and the KubeOpenCodeConfig read as the user) and the create itself. Refusals
 * come back with the Status causes mapped to the form's fields.
 */
import { stringify } from 'yaml';
import { Route, RouteContext } from './context.js';
import { readJson, sendJson } from './http.js';
import { crdPath } from './kube.js';
import { toProblem } from './problems.js';
import type { Session } from './session.js';
import { taskFromForm } from './task-builder.js';
import { CLUSTER_CONFIG_NAME, GROUP, Kinds, VERSION } from '../../api/constants.js';
import { ContextError } from '../../constructs/context-plan.js';
import { isNamespaceAllowed } from '../../reconciler/namespaces.js';
import { AgentObject, agentKeyOf, ConfigObject, TaskObject } from '../../reconciler/objects.js';
import { configMapsNeeded, renderTask } from '../../reconciler/render.js';
import { ApiError } from '../../reconciler/runtime/api-errors.js';
import { corePath, RestClient } from '../../reconciler/runtime/rest-client.js';
import type { CreatedTask, NewTaskRequest, PreviewResult } from '../shared/types.js';

const TASKS = Kinds.task.plural;
const yaml = (docs: readonly unknown[]) => docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');

/** An object the user may read, or a note saying why it is missing. */
async function readOrNote<T>(client: RestClient, path: string, what: string, notes: string[], without = 'the preview goes without it'): Promise<T | undefined> {
  try {
    return await client.get<T>(path);
  } catch (e) {
    if (!(e instanceof ApiError) || (e.code !== 404 && e.code !== 403)) throw e;
    if (e.code === 403) notes.push(`You may not read ${what} (Forbidden): ${without}`);
    else if (what.startsWith('Agent')) notes.push(`${what} was not found: the Task would stay Pending until it exists`);
    return undefined;
  }
}

async function render(client: RestClient, task: TaskObject, notes: string[]): Promise<string | undefined> {
  const ref = agentKeyOf(task);
  const agent = await readOrNote<AgentObject>(client, crdPath(Kinds.agent.plural, ref.namespace, ref.name), `Agent ${ref.namespace}/${ref.name}`, notes);
  if (!agent) return undefined;
  if (!isNamespaceAllowed(agent, task.metadata.namespace)) {
    notes.push(`Agent ${ref.namespace}/${ref.name} does not allow Tasks from namespace ${task.metadata.namespace}: the Task would fail (NamespaceNotAllowed)`);
    return undefined;
  }
  const configMaps: Record<string, Record<string, string>> = {};
  for (const key of configMapsNeeded(task, agent)) {
    const [ns, name] = key.split('/');
    const cm = await readOrNote<{ data?: Record<string, string> }>(client, corePath('configmaps', ns, name), `ConfigMap ${key}`, notes);
    if (cm) configMaps[key] = cm.data ?? {};
  }
  const config = await readOrNote<ConfigObject>(client, `/apis/${GROUP}/${VERSION}/${Kinds.config.plural}/${CLUSTER_CONFIG_NAME}`, 'the KubeOpenCodeConfig', notes,
    'the preview uses the default system image');
  try {
    const { configMap, pod } = renderTask({ task, agent, configMaps, config: config?.spec });
    return yaml([pod, configMap]);
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
    notes.push(`The Task's contexts cannot work: ${e.message}`);
    return undefined;
  }
}

/** The form's Task, sent as the user: created, or with `dryRun` only checked and defaulted by the API server. */
async function postTask(ctx: RouteContext, dryRun: boolean): Promise<{ manifest: Record<string, unknown>; task: TaskObject; session: Session }> {
  const manifest = taskFromForm(await readJson<NewTaskRequest>(ctx.req));
  const ns = (manifest.metadata as { namespace: string }).namespace;
  const session = await ctx.session();
  try {
    const task = await session.client.request<TaskObject>('POST', crdPath(TASKS, ns), { body: manifest, query: { dryRun: dryRun ? 'All' : undefined } });
    return { manifest, task, session };
  } catch (e) {
    throw toProblem(e, { action: 'create Tasks', namespace: ns });
  }
}

async function preview(ctx: RouteContext): Promise<void> {
  const { manifest, task, session } = await postTask(ctx, true);
  const notes: string[] = [];
  if ((manifest.metadata as { generateName?: string }).generateName) {
    notes.push(`Without a name, the API server picks one when the Task is created; this preview uses ${task.metadata.name}`);
  }
  const { managedFields: _m, uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, ...metadata } = task.metadata as TaskObject['metadata'] & Record<string, unknown>;
  const shown = { ...task, metadata };
  const objects = await render(session.client, task, notes);
  const body: PreviewResult = { task: yaml([shown]), objects, notes };
  sendJson(ctx.res, 200, body);
}

async function create(ctx: RouteContext): Promise<void> {
  const { task } = await postTask(ctx, false);
  const body: CreatedTask = { namespace: task.metadata.namespace, name: task.metadata.name };
  sendJson(ctx.res, 201, body);
}

export const newTaskRoutes: Route[] = [
  { method: 'POST', pattern: /^\/api\/preview$/, handler: preview },
  { method: 'POST', pattern: /^\/api\/tasks$/, handler: create },
];
