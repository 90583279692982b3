import { conditionsSchema, Condition } from './conditions.js';
import { Defaults, Limits, TASK_PHASES, TaskPhase } from './constants.js';
import { contextListSchema } from './context-item.js';
import { mcpServersSchema } from './mcp.js';
import { outputsSchema } from './outputs.js';
import { attemptsSchema, retryPolicySchema, TaskAttempt } from './retry.js';
import { int, JSONSchema, obj, patterns, str, stringMap, timestamp } from './schema.js';

export const taskSpecSchema: JSONSchema = obj('What the agent should do, and with which Agent.', {
  description: str('The instructions for the agent. They become task.md in the workspace.', {
    minLength: 1, maxLength: Limits.descriptionBytes,
  }),
  agentRef: obj('The Agent that runs this Task. Defaults to the Agent named "default" in the Task\'s namespace.', {
    name: str('Name of the Agent.', { pattern: patterns.dnsSubdomain, maxLength: 253, default: Defaults.agentName }),
    namespace: str('Namespace of the Agent; the Pod runs there. Defaults to the Task\'s namespace.', {
      pattern: patterns.dnsLabel, maxLength: 63,
    }),
  }, { default: {} }),
  contexts: contextListSchema('They come after the Agent\'s contexts.'),
  outputs: outputsSchema('Merged with the Agent\'s by name; the Task\'s win.'),
  mcpServers: mcpServersSchema('Added to the Agent\'s; one with the same name as an Agent\'s replaces it.'),
  timeoutSeconds: int('Longest an attempt may run, in seconds, from the start of its Pod. When it expires the Pod is ' +
    'stopped and the attempt fails with reason Timeout.', { minimum: 1, maximum: 7 * 24 * 3600 }),
  retryPolicy: retryPolicySchema('Replaces the Agent\'s retryPolicy as a whole.'),
}, { required: ['description'] });

export const taskStatusSchema: JSONSchema = obj('What the reconciler observed of this Task.', {
  phase: str('Where the Task is in its life: Pending, Queued, Running, Completed or Failed.', { enum: [...TASK_PHASES] }),
  observedGeneration: { ...int('The metadata.generation last acted on.', { minimum: 0 }), format: 'int64' },
  podName: str('Name of the Task\'s Pod.', { maxLength: 253 }),
  podNamespace: str('Namespace of the Task\'s Pod: the Agent\'s namespace.', { maxLength: 63 }),
  startTime: timestamp('When the current attempt\'s Pod was created.'),
  attempts: attemptsSchema,
  nextAttemptTime: timestamp('While a failed attempt waits to be tried again: when the next one may start.'),
  completionTime: timestamp('When the Task finished.'),
  queuePosition: int('Place in the Agent\'s queue while Queued; 1 is next. Exact for the first 10; further back it is updated once 10% off.', { minimum: 1 }),
  outputs: obj('Values captured when the Pod ended.', {
    parameters: stringMap('Output parameters by name.'),
  }),
  conditions: conditionsSchema,
});

export interface TaskStatus {
  readonly phase?: TaskPhase;
  readonly observedGeneration?: number;
  readonly podName?: string;
  readonly podNamespace?: string;
  readonly startTime?: string;
  readonly completionTime?: string;
  readonly attempts?: readonly TaskAttempt[];
  readonly nextAttemptTime?: string;
  readonly queuePosition?: number;
  readonly outputs?: { readonly parameters?: Readonly<Record<string, string>> };
  readonly conditions?: readonly Condition[];
}
