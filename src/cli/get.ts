/** `kubeopencode get tasks|agents [NAME]`: kubectl-like tables, or the objects as YAML, JSON or names. */
import { agentColumns, taskColumns } from './kube/columns.js';
import { defineKubeCommand } from './kube/command.js';
import { formatObjects, KubeObject, outputFormat } from './kube/output.js';
import { resourcePath, resourceType, TASKS } from './kube/resources.js';
import { formatTable } from './kube/table.js';
import { Command, flag, str, UsageError } from './lib/cli.js';

export const command: Command = defineKubeCommand({
  name: 'get',
  summary: 'List Tasks or Agents, or show one (like kubectl get)',
  positionals: [
    { name: 'resource', arg: 'TYPE', required: true, description: 'tasks (tk) or agents (ag)' },
    { name: 'name', arg: 'NAME', description: 'Only this object' },
  ],
  options: {
    'output': { type: 'string', short: 'o', arg: 'FORMAT', description: 'wide, yaml, json or name (default: a table)' },
    'all-namespaces': { type: 'boolean', short: 'A', description: 'Every namespace (adds a NAMESPACE column)' },
    'selector': { type: 'string', short: 'l', arg: 'SELECTOR', description: 'Label selector, e.g. app=web,tier!=db' },
    'field-selector': { type: 'string', arg: 'SELECTOR', description: 'Field selector; Tasks: spec.agentRef.name, spec.agentRef.namespace, metadata.name' },
  },
  details: `Examples:
  kubeopencode get tasks
  kubeopencode get tasks -A --field-selector spec.agentRef.name=opencode-agent
  kubeopencode get task fix-bug -o yaml`,
  run: async (values, connect) => {
    const type = resourceType(str(values.resource)!);
    const format = outputFormat(str(values.output));
    const all = flag(values['all-namespaces']);
    const name = str(values.name);
    if (all && name) throw new UsageError('a resource cannot be retrieved by name across all namespaces');
    const { client, target } = await connect();
    const namespace = all ? undefined : target.namespace;
    const objects = name
      ? [await client.get<KubeObject>(resourcePath(type, namespace, name))]
      : (await client.get<{ items: KubeObject[] }>(resourcePath(type, namespace), {
        labelSelector: str(values.selector), fieldSelector: str(values['field-selector']),
      })).items;
    // Like kubectl: an empty YAML or JSON List is still printed; otherwise a line on stderr says there is nothing.
    if (!objects.length && format !== 'yaml' && format !== 'json') {
      process.stderr.write(all ? 'No resources found\n' : `No resources found in ${target.namespace} namespace.\n`);
      return 0;
    }
    if (format === 'yaml' || format === 'json' || format === 'name') {
      process.stdout.write(formatObjects(type, objects, format, !!name));
      return 0;
    }
    const columns = (type === TASKS ? taskColumns : agentColumns)(format === 'wide');
    const now = Date.now();
    const rows = objects.map((o) => [...(all ? [o.metadata.namespace ?? ''] : []), ...columns.row(o, now)]);
    process.stdout.write(formatTable([...(all ? ['NAMESPACE'] : []), ...columns.headers], rows));
    return 0;
  },
});
