/**
 * Task + Agent + ConfigMap contents -> the Pod and the context ConfigMap, through the
 * TaskPod construct in a fresh in-memory App. The reconciler and `kubeopencode render`
 * both call this, so a preview is exactly what the operator creates.
 */
import { App, Chart } from 'cdk8s';
import { AgentObject, Manifest, TaskObject } from './objects.js';
import { Defaults, ContextType } from '../api/constants.js';
import { TaskPod } from '../constructs/task-pod.js';
import { ConfigSpec } from '../constructs/types.js';

export interface RenderInput {
  readonly task: TaskObject;
  readonly agent: AgentObject;
  /** ConfigMap data by `namespace/name`; a ConfigMap not in the map does not exist. */
  readonly configMaps?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly config?: ConfigSpec;
  /** @default 1 */
  readonly attempt?: number;
}

export interface RenderedTask {
  readonly pod: Manifest;
  readonly configMap: Manifest;
}

/** Renders a Task's objects. Throws ContextError when its contexts cannot work. */
export function renderTask(input: RenderInput): RenderedTask {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'task');
  const taskPod = new TaskPod(chart, 'task', {
    task: input.task,
    agent: input.agent,
    configMaps: input.configMaps,
    attempt: input.attempt,
    systemImage: {
      image: input.config?.systemImage?.image ?? Defaults.systemImage,
      imagePullPolicy: input.config?.systemImage?.imagePullPolicy ?? 'IfNotPresent',
    },
  });
  taskPod.contextVolume.validate();
  const objects = chart.toJson() as Manifest[];
  return {
    pod: objects.find((o) => o.kind === 'Pod')!,
    configMap: objects.find((o) => o.kind === 'ConfigMap')!,
  };
}

/** The ConfigMaps a Task's contexts read, as `namespace/name` (Agent contexts in the Agent's namespace). */
export function configMapsNeeded(task: TaskObject, agent: AgentObject): string[] {
  const refs = (owner: TaskObject | AgentObject) => (owner.spec.contexts ?? [])
    .filter((c) => c.type === ContextType.configMap && c.configMap)
    .map((c) => `${owner.metadata.namespace}/${c.configMap!.name}`);
  return [...new Set([...refs(agent), ...refs(task)])];
}

