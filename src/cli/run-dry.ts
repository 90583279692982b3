/**
 * `kubeopencode run --dry-run`: the Task, and the Pod and context ConfigMap the operator
 * would make of it, through renderTask (the code path of `kubeopencode render` and of the
 * operator). With a reachable cluster the API server checks and defaults the Task (a
 * server-side dry run, nothing stored) and the Agent, its ConfigMaps and the
 * KubeOpenCodeConfig come from there; without one the Task is checked offline and shown alone.
 */
import { KubeContext } from './kube/command.js';
import { kubectlMessage } from './kube/errors.js';
import { KubeObject, withoutManagedFields } from './kube/output.js';
import { AGENTS, resourcePath, TASKS } from './kube/resources.js';
import { Log, PlainError } from './lib/cli.js';
import { toYaml } from './manifests.js';
import { RunRequest, withFilesConfigMap } from './run-spec.js';
import { CLUSTER_CONFIG_NAME, GROUP, Kinds, VERSION } from '../api/constants.js';
import { applyDefaults, formatFieldErrors, validateObject } from '../api/validate.js';
import { ContextError } from '../constructs/context-plan.js';
import { isNamespaceAllowed } from '../reconciler/namespaces.js';
import { AgentObject, agentKeyOf, ConfigObject, TaskObject } from '../reconciler/objects.js';
import { configMapsNeeded, renderTask } from '../reconciler/render.js';
import { ApiError, NetworkError } from '../reconciler/runtime/api-errors.js';
import type { RestClient } from '../reconciler/runtime/rest-client.js';
import { corePath } from '../reconciler/runtime/rest-client.js';

type Doc = Record<string, unknown>;

function filesConfigMap(req: RunRequest, namespace: string, name?: string): Doc | undefined {
  if (!req.files.length) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...(name ? { name } : { generateName: req.filesPrefix }), namespace },
    data: Object.fromEntries(req.files.map((f) => [f.key, f.content])),
  };
}

async function getOrUndefined<T>(client: RestClient, path: string): Promise<T | undefined> {
  try {
    return await client.get<T>(path);
  } catch (e) {
    if (e instanceof ApiError && (e.code === 404 || e.code === 403)) return undefined;
    throw e;
  }
}

/** Offline: the schema the CRD carries checks the Task (a problem is bad input, exit 2). */
function offline(req: RunRequest, why: string, log: Log): Doc[] {
  const errors = validateObject('Task', req.task);
  if (errors.length) throw new PlainError(`The Task is invalid:\n${formatFieldErrors(errors).replace(/^/gm, '* ')}`, 2);
  log.warn(`${why}: the Task was checked offline; its Pod is not shown, because that needs its Agent from the cluster`);
  const cm = filesConfigMap(req, req.task.metadata.namespace);
  return [applyDefaults('Task', req.task), ...(cm ? [cm] : [])];
}

/** The documents to print: Task, the files' ConfigMap, then the context ConfigMap and Pod when the Agent is known. */
export async function dryRun(req: RunRequest, ctx: KubeContext | { noCluster: string }, log: Log): Promise<Doc[]> {
  if ('noCluster' in ctx) return offline(req, `no cluster (${ctx.noCluster})`, log);
  const { client } = ctx;
  const ns = req.task.metadata.namespace as string;
  let cm = filesConfigMap(req, ns);
  let task: TaskObject;
  try {
    if (cm) cm = await client.request<Doc>('POST', corePath('configmaps', ns), { body: cm, query: { dryRun: 'All' } });
    const named = cm ? withFilesConfigMap(req.task, (cm.metadata as { name: string }).name) : req.task;
    task = await client.request<TaskObject>('POST', resourcePath(TASKS, ns), { body: named, query: { dryRun: 'All' } });
  } catch (e) {
    if (e instanceof NetworkError) return offline(req, `the cluster is not reachable (${kubectlMessage(e)})`, log);
    throw e;
  }
  const docs: Doc[] = [task as unknown as Doc, ...(cm ? [cm] : [])];
  const ref = agentKeyOf(task);
  const agent = await getOrUndefined<AgentObject>(client, resourcePath(AGENTS, ref.namespace, ref.name));
  if (!agent) {
    log.warn(`Agent ${ref.namespace}/${ref.name} not found (or not readable): the Task would stay Pending until it exists; no Pod shown`);
    return docs;
  }
  if (!isNamespaceAllowed(agent, ns)) throw new PlainError(`error: Agent ${ref.namespace}/${ref.name} does not allow Tasks from namespace ${ns}: the Task would fail (NamespaceNotAllowed)`);
  const configMaps: Record<string, Record<string, string>> = {};
  for (const key of configMapsNeeded(task, agent)) {
    const [cmNs, cmName] = key.split('/');
    const found = cm && cmName === (cm.metadata as { name: string }).name ? cm : await getOrUndefined<Doc>(client, corePath('configmaps', cmNs, cmName));
    if (found) configMaps[key] = (found.data ?? {}) as Record<string, string>;
  }
  const config = await getOrUndefined<ConfigObject>(client, `/apis/${GROUP}/${VERSION}/${Kinds.config.plural}/${CLUSTER_CONFIG_NAME}`);
  try {
    const { configMap, pod } = renderTask({ task, agent, configMaps, config: config?.spec });
    return [...docs, configMap, pod];
  } catch (e) {
    if (e instanceof ContextError) throw new PlainError(`error: Task ${ns}/${task.metadata.name}: ${e.message}`);
    throw e;
  }
}

export function printDocs(docs: readonly Doc[], format: string): void {
  const shown = docs.map((d) => withoutManagedFields(d as KubeObject));
  process.stdout.write(format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : toYaml(shown));
}
