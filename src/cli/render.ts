import { parseArgs } from 'node:util';
import { Command } from './main.js';
import { Doc, readManifestFile, toYaml } from './manifests.js';
import { API_VERSION, Kinds } from '../api/constants.js';
import { applyDefaults, formatFieldErrors, KubeOpenCodeKind, validateObject } from '../api/validate.js';
import { ContextError } from '../constructs/context-plan.js';
import { isNamespaceAllowed } from '../reconciler/namespaces.js';
import { AgentObject, agentKeyOf, ConfigObject, TaskObject } from '../reconciler/objects.js';
import { renderTask } from '../reconciler/render.js';

const HELP = `Usage: kubeopencode render -f FILE [-f FILE]... [--task NAME] [--namespace NS] [-o yaml|json]

Prints the Pod and context ConfigMap that the operator would create for each Task in the
files, offline, through the same TaskPod construct. The files hold the Agents, Tasks and
any ConfigMaps that contexts read (and optionally the KubeOpenCodeConfig); "-" is stdin.

  -f, --filename FILE   a YAML file (repeatable)
      --task NAME       render only this Task
  -n, --namespace NS    namespace of objects that have none (default "default")
  -o, --output FORMAT   yaml (default) or json
`;

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

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      filename: { type: 'string', short: 'f', multiple: true },
      task: { type: 'string' },
      namespace: { type: 'string', short: 'n', default: 'default' },
      output: { type: 'string', short: 'o', default: 'yaml' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.filename?.length || !['yaml', 'json'].includes(values.output!)) {
    process.stderr.write(HELP);
    return 2;
  }
  try {
    const inputs = collect(values.filename.flatMap(readManifestFile), values.namespace!);
    const tasks = inputs.tasks.filter((t) => !values.task || t.metadata.name === values.task);
    if (!tasks.length) throw new RenderError(values.task ? `no Task named ${values.task} in the input files` : 'no Task in the input files');
    const objects = tasks.flatMap((t) => renderOne(t, inputs));
    process.stdout.write(values.output === 'json' ? `${JSON.stringify(objects, null, 2)}\n` : toYaml(objects));
    return 0;
  } catch (e) {
    if (!(e instanceof RenderError) && !(e instanceof Error && 'code' in e && e.code === 'ENOENT')) throw e;
    process.stderr.write(`kubeopencode render: ${(e as Error).message}\n`);
    return 1;
  }
}

export const command: Command = { summary: 'Print the Pod and ConfigMap the operator would create for a Task (offline)', run };
