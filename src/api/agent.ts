import { agentPodSpecSchema } from './agent-pod-spec.js';
import { conditionsSchema } from './conditions.js';
import { Defaults } from './constants.js';
import { contextListSchema } from './context-item.js';
import { credentialListSchema } from './credential.js';
import { mcpServersSchema } from './mcp.js';
import { namespaceGlobRules } from './namespace-glob.js';
import { outputsSchema } from './outputs.js';
import { retryPolicySchema } from './retry.js';
import { arr, int, JSONSchema, obj, patterns, Rule, str, withRules } from './schema.js';

const workspaceDirRules: Rule[] = [
  {
    rule: "self.startsWith('/') && self != '/'",
    message: 'must be an absolute path other than /',
    holds: (p: string) => p.startsWith('/') && p !== '/',
  },
  {
    rule: "!self.split('/').exists(s, s == '..')",
    message: "must not contain '..'",
    holds: (p: string) => !p.split('/').includes('..'),
  },
  {
    rule: "self != '/tools' && !self.startsWith('/tools/') && !self.startsWith('/kubeopencode')",
    message: 'must not be inside /tools or /kubeopencode, which the Pod uses internally',
    holds: (p: string) => p !== '/tools' && !p.startsWith('/tools/') && !p.startsWith('/kubeopencode'),
  },
];


export const agentSpecSchema: JSONSchema = obj('How Tasks that use this Agent run: images, command, contexts, credentials and limits.', {
  agentImage: str('Init image that copies the agent binary into /tools.', { minLength: 1, maxLength: 512, default: Defaults.agentImage }),
  executorImage: str('Image of the container that runs the agent.', { minLength: 1, maxLength: 512, default: Defaults.executorImage }),
  workspaceDir: withRules(str('Working directory of the agent; task.md is written here.', {
    minLength: 1, maxLength: 512, default: Defaults.workspaceDir,
  }), ...workspaceDirRules),
  command: arr('Command of the agent container. The default runs OpenCode on task.md.',
    str('One argument.', { maxLength: 16384 }), { minItems: 1, maxItems: 64, default: [...Defaults.command] }),
  serviceAccountName: str('ServiceAccount of Task Pods. Defaults to the namespace\'s default ServiceAccount.', {
    pattern: patterns.dnsSubdomain, maxLength: 253,
  }),
  contexts: contextListSchema('These come before the Task\'s own contexts in every Task.'),
  credentials: credentialListSchema,
  outputs: outputsSchema('Every Task captures these; a Task parameter of the same name wins.'),
  maxConcurrentTasks: int('How many Tasks may run at once, counted across all namespaces; the rest wait in Queued, ' +
    'first come first served. Unset or 0 means no limit.', { minimum: 0, maximum: 100_000 }),
  allowedNamespaces: arr('Namespaces whose Tasks may use this Agent, as glob patterns (dev-*, staging). Empty allows all.',
    withRules(str('A namespace name or glob.', { minLength: 1, maxLength: 63 }), ...namespaceGlobRules),
    { 'maxItems': 64, 'x-kubernetes-list-type': 'set' }),
  podSpec: agentPodSpecSchema,
  mcpServers: mcpServersSchema('Every Task of this Agent gets them; a Task adds its own.'),
  retryPolicy: retryPolicySchema('The default for its Tasks; a Task\'s own replaces it.'),
});

export const agentStatusSchema: JSONSchema = obj('What the reconciler observed of this Agent.', {
  observedGeneration: { ...int('The metadata.generation last acted on.', { minimum: 0 }), format: 'int64' },
  runningTasks: int('Tasks running on this Agent now, across all namespaces.', { minimum: 0 }),
  queuedTasks: int('Tasks waiting for a free slot on this Agent.', { minimum: 0 }),
  conditions: conditionsSchema,
});

export interface AgentStatus {
  readonly observedGeneration?: number;
  readonly runningTasks?: number;
  readonly queuedTasks?: number;
  readonly conditions?: readonly import('./conditions.js').Condition[];
}
