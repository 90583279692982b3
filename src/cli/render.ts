import { Command, defineCommand, list, OptionValues, str, UsageError } from './lib/cli.js';
import { Doc, readManifestFile, toYaml } from './manifests.js';
import { API_VERSION, Kinds } from '../api/constants.js';
import { applyDefaults, formatFieldErrors, KubeOpenCodeKind, validateObject } from '../api/validate.js';
import { ContextError } from '../constructs/context-plan.js';
import { isNamespaceAllowed } from '../reconciler/namespaces.js';
import { AgentObject, agentKeyOf, ConfigObject, TaskObject } from '../reconciler/objects.js';
import { renderTask } from '../reconciler/render.js';


class RenderError extends Error {}

interface Inputs {
  tasks: TaskObject[];
  agents: AgentObject[];
  configMaps: Record<string, Record<string, string>>;
  config?: ConfigObject;
}

function checked<T>(kind: KubeOpenCodeKind, doc: Doc, namespace: string): T {
  const errors = validateObject(kind, doc);
  const name = `${kind} ${doc.metadata?.namespace ?? namespace}/${doc.metadata?.name ?? '<unnamed>'}`;
  if (errors.length) throw new RenderError(`${name} is invalid:\n${formatFieldErrors(errors).replace(/^/gm, '  ')}`);
  const withNs = kind === 'KubeOpenCodeConfig' ? doc : { ...doc, metadata: { ...doc.metadata, namespace: doc.metadata?.namespace ?? namespace } };
  return applyDefaults(kind, withNs) as T;
}

function collect(docs: Doc[], namespace: string): Inputs {
  const inputs: Inputs = { tasks: [], agents: [], configMaps: {} };
  for (const doc of docs) {
    const ours = doc.apiVersion === API_VERSION;
    if (ours && doc.kind === Kinds.task.kind) {inputs.tasks.push(checked<TaskObject>('Task', doc, namespace));} else if (ours && doc.kind === Kinds.agent.kind) {inputs.agents.push(checked<AgentObject>('Agent', doc, namespace));} else if (ours && doc.kind === Kinds.config.kind) {inputs.config = checked<ConfigObject>('KubeOpenCodeConfig', doc, namespace);} else if (doc.apiVersion === 'v1' && doc.kind === 'ConfigMap') {
      inputs.configMaps[`${doc.metadata?.namespace ?? namespace}/${doc.metadata?.name}`] = (doc.data ?? {}) as Record<string, string>;
    }
  }
  return inputs;
}

function renderOne(task: TaskObject, inputs: Inputs): object[] {
  const ref = agentKeyOf(task);
  const where = `Task ${task.metadata.namespace}/${task.metadata.name}`;
  const agent = inputs.agents.find((a) => a.metadata.name === ref.name && a.metadata.namespace === ref.namespace);
  if (!agent) throw new RenderError(`${where}: Agent ${ref.namespace}/${ref.name} is not in the input files`);
  if (!isNamespaceAllowed(agent, task.metadata.namespace)) {
    throw new RenderError(`${where}: Agent ${ref.namespace}/${ref.name} does not allow Tasks from namespace ${task.metadata.namespace}`);
  }
  try {
    const { configMap, pod } = renderTask({ task, agent, configMaps: inputs.configMaps, config: inputs.config?.spec });
    return [configMap, pod];
  } catch (e) {
    if (e instanceof ContextError) throw new RenderError(`${where}: ${e.message}`);
    throw e;
  }
}

async function run(values: OptionValues): Promise<number> {
  const files = list(values.filename);
  const only = str(values.task);
  try {
    const inputs = collect(files.flatMap(readManifestFile), str(values.namespace)!);
    const tasks = inputs.tasks.filter((t) => !only || t.metadata.name === only);
    if (!tasks.length) throw new RenderError(only ? `no Task named ${only} in the input files` : 'no Task in the input files');
    const objects = tasks.flatMap((t) => renderOne(t, inputs));
    process.stdout.write(values.output === 'json' ? `${JSON.stringify(objects, null, 2)}\n` : toYaml(objects));
    return 0;
  } catch (e) {
    if (!(e instanceof RenderError) && !(e instanceof Error && 'code' in e && e.code === 'ENOENT')) throw e;
    // Field errors stay one per line, as kubectl shows them.
    process.stderr.write(`kubeopencode render: ${(e as Error).message}\n`);
    return 1;
  }
}

export const command: Command = defineCommand({
  name: 'render',
  usageOnError: true,
  summary: 'Print the Pod and ConfigMap the operator would create for a Task (offline)',
  details: `The files hold the Agents, Tasks and any ConfigMaps that contexts read (and optionally the
KubeOpenCodeConfig); "-" is stdin. The output goes through the same TaskPod construct as the
operator's, so it is exactly what the operator creates.`,
  options: {
    filename: { type: 'string', short: 'f', arg: 'FILE', multiple: true, required: true, description: 'A YAML file of Agents, Tasks and ConfigMaps' },
    task: { type: 'string', arg: 'NAME', description: 'Render only this Task' },
    namespace: { type: 'string', short: 'n', arg: 'NS', default: 'default', description: 'Namespace of objects that have none' },
    output: { type: 'string', short: 'o', arg: 'FORMAT', default: 'yaml', description: 'yaml or json' },
  },
  run: async (values) => {
    if (values.output !== 'yaml' && values.output !== 'json') throw new UsageError(`--output must be yaml or json, got "${String(values.output)}"`);
    return run(values);
  },
});
