/**
 * `kubeopencode run`: creates a Task from flags (and a ConfigMap for --file contents, owned
 * by the Task so that it goes with it); --dry-run shows it and its Pod instead; --watch
 * follows it to its end. Exit codes: 0 created (or Completed), 1 Failed or an error, 2 bad input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { defineKubeCommand, KubeContext } from './kube/command.js';
import { kubectlMessage } from './kube/errors.js';
import { KubeObject } from './kube/output.js';
import { qualifiedName, resourcePath, TASKS } from './kube/resources.js';
import { Command, flag, Log, PlainError, str, UsageError } from './lib/cli.js';
import { buildRun, inNamespace, RunRequest, withFilesConfigMap } from './run-spec.js';
import { watchTask } from './run-watch.js';
import { API_VERSION, Kinds } from '../api/constants.js';
import { ApiError } from '../reconciler/runtime/api-errors.js';
import type { RestClient } from '../reconciler/runtime/rest-client.js';
import { corePath } from '../reconciler/runtime/rest-client.js';

function readText(path: string): string {
  try {
    const bytes = readFileSync(path === '-' ? 0 : path);
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) throw new UsageError(`${path}: not a UTF-8 text file`);
    return text;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${path === '-' ? 'stdin' : path}: ${(e as Error).message}`);
  }
}

/** The API server refused the Task as invalid: its field messages, and exit code 2 (bad input). */
function refused(e: unknown): unknown {
  return e instanceof ApiError && e.code === 422 ? new PlainError(kubectlMessage(e)!, 2) : e;
}

/** Creates the files' ConfigMap, then the Task, then makes the Task the ConfigMap's owner. */
async function create(client: RestClient, req: RunRequest, log: Log): Promise<KubeObject> {
  const ns = req.task.metadata.namespace as string;
  const cm = req.files.length ? await client.request<KubeObject>('POST', corePath('configmaps', ns), {
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: req.filesPrefix }, data: Object.fromEntries(req.files.map((f) => [f.key, f.content])) },
  }) : undefined;
  let task: KubeObject;
  try {
    task = await client.request<KubeObject>('POST', resourcePath(TASKS, ns), { body: cm ? withFilesConfigMap(req.task, cm.metadata.name) : req.task });
  } catch (e) {
    if (cm) await client.request('DELETE', corePath('configmaps', ns, cm.metadata.name)).catch(() => undefined);
    throw refused(e);
  }
  if (cm) {
    const owner = { apiVersion: API_VERSION, kind: Kinds.task.kind, name: task.metadata.name, uid: task.metadata.uid };
    try {
      await client.request('PATCH', corePath('configmaps', ns, cm.metadata.name), {
        body: { metadata: { ownerReferences: [owner] } }, contentType: 'application/merge-patch+json',
      });
    } catch (e) {
      log.warn(`configmap/${cm.metadata.name} holds the --file contents but could not be made the Task's (${kubectlMessage(e) ?? (e as Error).message}): delete it with the Task`);
    }
    process.stdout.write(`configmap/${cm.metadata.name} created\n`);
  }
  process.stdout.write(`${qualifiedName(TASKS, task.metadata.name)} created\n`);
  return task;
}

export const command: Command = defineKubeCommand({
  name: 'run',
  summary: 'Create a Task from flags; --watch follows it to its end, --dry-run shows it and its Pod',
  positionals: [{ name: 'description', arg: 'DESCRIPTION', description: 'What the agent should do (or -f FILE)' }],
  options: {
    'agent': { type: 'string', arg: '[NS/]NAME', description: 'The Agent (default: "default" in the Task\'s namespace)' },
    'filename': { type: 'string', short: 'f', arg: 'FILE', description: 'Read the description from FILE ("-" is stdin)' },
    'text': { type: 'string', arg: 'TEXT', multiple: true, description: 'A Text context' },
    'file': { type: 'string', arg: 'PATH[:MOUNTPATH]', multiple: true, description: 'A file\'s content as a context (in a ConfigMap owned by the Task)' },
    'git': { type: 'string', arg: 'REPO[@REF]:MOUNTPATH', multiple: true, description: 'A Git repository cloned at MOUNTPATH' },
    'url': { type: 'string', arg: 'URL', multiple: true, description: 'A URL fetched as a context' },
    'timeout': { type: 'string', arg: 'DURATION', description: 'Longest an attempt may run (timeoutSeconds), e.g. 30m' },
    'label': { type: 'string', short: 'l', arg: 'KEY=VALUE', multiple: true, description: 'A label of the Task' },
    'name': { type: 'string', arg: 'NAME', description: 'The Task\'s name' },
    'generate-name': { type: 'string', arg: 'PREFIX', description: 'A prefix for a generated name (default "task-")' },
    'dry-run': { type: 'boolean', description: 'Print the Task and the Pod it would get; create nothing' },
    'output': { type: 'string', short: 'o', arg: 'FORMAT', default: 'yaml', description: 'With --dry-run: yaml or json' },
    'watch': { type: 'boolean', short: 'w', description: 'Follow the Task: phases, the agent\'s log, outputs; exit 0 Completed, 1 Failed' },
  },
  details: `Contexts come in this order: --text, --file, --git, --url.

Examples:
  kubeopencode run --agent opencode "Fix the flaky login test" --git https://github.com/org/app.git@main:app --watch
  kubeopencode run -f task.md --file ./standards.md:docs/standards.md --timeout 30m
  kubeopencode run --agent platform/opencode "Upgrade Go" --dry-run`,
  run: async (values, connect, log) => {
    const dry = flag(values['dry-run']);
    if (dry && flag(values.watch)) throw new UsageError('--dry-run and --watch do not go together');
    const format = str(values.output);
    if (format !== 'yaml' && format !== 'json') throw new UsageError(`--output must be yaml or json, got "${format}"`);
    const built = buildRun(values, { readFile: readText, exists: existsSync });
    let ctx: KubeContext | { noCluster: string };
    try {
      ctx = await connect();
    } catch (e) {
      if (!dry || !(e instanceof PlainError)) throw e;
      ctx = { noCluster: e.message.replace(/^error: /, '') };
    }
    const namespace = 'target' in ctx ? ctx.target.namespace : str(values.namespace) ?? 'default';
    const req = { ...built, task: inNamespace(built.task, namespace) };
    if (dry) {
      // Loaded only here: rendering brings in cdk8s and the constructs.
      const { dryRun, printDocs } = await import('./run-dry.js');
      printDocs(await dryRun(req, ctx, log).catch((e) => { throw refused(e); }), format);
      return 0;
    }
    const { client } = ctx as KubeContext;
    const task = await create(client, req, log);
    return flag(values.watch) ? watchTask(client, namespace, task.metadata.name, log) : 0;
  },
});
