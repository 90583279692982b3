import { agentSpecSchema, agentStatusSchema } from './agent.js';
import { configNameRule, configSpecSchema } from './config.js';
import { GROUP, Kinds, VERSION } from './constants.js';
import { cronTaskSpecSchema, cronTaskStatusSchema } from './crontask.js';
import { JSONSchema, toCrdSchema, withRules } from './schema.js';
import { taskSpecSchema, taskStatusSchema } from './task.js';

type KindNames = (typeof Kinds)[keyof typeof Kinds];

interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  readonly priority?: number;
}

/** What one CustomResourceDefinition is made of. */
export interface CrdDefinition {
  readonly names: KindNames;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly description: string;
  /** The whole object's schema (spec, status), with its rules and their TypeScript twins. */
  readonly schema: JSONSchema;
  readonly printerColumns: readonly PrinterColumn[];
  /** Fields that `--field-selector` can select on (besides metadata.name and metadata.namespace). */
  readonly selectableFields?: readonly { readonly jsonPath: string }[];
}

const objectSchema = (description: string, spec: JSONSchema, status?: JSONSchema): JSONSchema => ({
  type: 'object',
  description,
  properties: {
    apiVersion: { type: 'string', description: 'The versioned schema of this object.' },
    kind: { type: 'string', description: 'The REST resource this object represents.' },
    // The API server allows no more than `type` here: metadata's schema is its own.
    metadata: { type: 'object' },
    spec,
    ...(status ? { status } : {}),
  },
  required: ['spec'],
});

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' };

export const taskCrd: CrdDefinition = {
  names: Kinds.task,
  scope: 'Namespaced',
  description: 'A Task is one run of an AI agent: what to do (description, contexts) and which Agent does it.',
  schema: objectSchema('A Task is one run of an AI agent.', taskSpecSchema, taskStatusSchema),
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Where the Task is in its life.' },
    { name: 'Agent', type: 'string', jsonPath: '.spec.agentRef.name', description: 'The Agent that runs the Task.' },
    { name: 'Pod', type: 'string', jsonPath: '.status.podName', description: 'The Task\'s Pod.' },
    { name: 'Queue', type: 'integer', jsonPath: '.status.queuePosition', description: 'Place in the queue.', priority: 1 },
    age,
  ],
  // `kubectl get tasks --field-selector spec.agentRef.name=NAME`: the API server filters on the
  // spec itself, so selecting Tasks by Agent costs no label write per Task. agentRef.namespace
  // is set only on cross-namespace Tasks (empty otherwise).
  selectableFields: [{ jsonPath: '.spec.agentRef.name' }, { jsonPath: '.spec.agentRef.namespace' }],
};

export const agentCrd: CrdDefinition = {
  names: Kinds.agent,
  scope: 'Namespaced',
  description: 'An Agent says how Tasks run: images, command, contexts, credentials, limits.',
  schema: objectSchema('An Agent says how Tasks run.', agentSpecSchema, agentStatusSchema),
  printerColumns: [
    { name: 'Running', type: 'integer', jsonPath: '.status.runningTasks', description: 'Tasks running now.' },
    { name: 'Queued', type: 'integer', jsonPath: '.status.queuedTasks', description: 'Tasks waiting for a slot.' },
    { name: 'Max', type: 'integer', jsonPath: '.spec.maxConcurrentTasks', description: 'maxConcurrentTasks.' },
    { name: 'Image', type: 'string', jsonPath: '.spec.executorImage', description: 'Executor image.', priority: 1 },
    age,
  ],
};

export const configCrd: CrdDefinition = {
  names: Kinds.config,
  scope: 'Cluster',
  description: 'The cluster-wide settings of KubeOpenCode; a singleton named "cluster".',
  schema: withRules(objectSchema('Cluster-wide settings of KubeOpenCode.', configSpecSchema), configNameRule),
  printerColumns: [
    { name: 'Image', type: 'string', jsonPath: '.spec.systemImage.image', description: 'System image.' },
    age,
  ],
};

export const cronTaskCrd: CrdDefinition = {
  names: Kinds.cronTask,
  scope: 'Namespaced',
  description: 'A CronTask makes a Task on a schedule, like a CronJob makes Jobs.',
  schema: objectSchema('A CronTask makes a Task on a schedule.', cronTaskSpecSchema, cronTaskStatusSchema),
  printerColumns: [
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'When Tasks are made.' },
    { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend', description: 'No Tasks on schedule while true.' },
    { name: 'Active', type: 'string', jsonPath: '.status.active[*].name', description: 'Tasks not finished yet.', priority: 1 },
    { name: 'Last', type: 'date', jsonPath: '.status.lastScheduleTime', description: 'The latest scheduled Task.' },
    { name: 'Next', type: 'date', jsonPath: '.status.nextScheduleTime', description: 'When the next Task is due.' },
    age,
  ],
};

export const CRD_DEFINITIONS: readonly CrdDefinition[] = [taskCrd, agentCrd, configCrd, cronTaskCrd];

/** The CustomResourceDefinition manifest of one kind, as the API server takes it. */
export function crdManifest(def: CrdDefinition): Record<string, unknown> {
  const { kind, plural, singular, shortName } = def.names;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: def.scope,
      names: { kind, plural, singular, listKind: `${kind}List`, shortNames: [shortName], categories: ['kubeopencode'] },
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        subresources: def.schema.properties?.status ? { status: {} } : undefined,
        additionalPrinterColumns: def.printerColumns,
        ...(def.selectableFields ? { selectableFields: def.selectableFields } : {}),
        schema: { openAPIV3Schema: toCrdSchema(def.schema) },
      }],
    },
  };
}
