import { CLUSTER_CONFIG_NAME, Defaults } from './constants.js';
import { int, JSONSchema, obj, Rule, str } from './schema.js';

export const configNameRule: Rule = {
  rule: `self.metadata.name == '${CLUSTER_CONFIG_NAME}'`,
  message: `KubeOpenCodeConfig is a cluster-wide singleton: its name must be '${CLUSTER_CONFIG_NAME}'`,
  holds: (o) => o.metadata?.name === CLUSTER_CONFIG_NAME,
};

export const configSpecSchema: JSONSchema = obj('Cluster-wide settings of KubeOpenCode.', {
  systemImage: obj('The image of the helper containers in Task Pods (context writer, git clone, URL fetch, outputs).', {
    image: str('The image reference.', { minLength: 1, maxLength: 512, default: Defaults.systemImage }),
    imagePullPolicy: str('Always, IfNotPresent or Never.', { enum: ['Always', 'IfNotPresent', 'Never'], default: 'IfNotPresent' }),
  }),
  cleanup: obj('When finished Tasks are deleted (with their Pods and ConfigMaps).', {
    ttlSecondsAfterFinished: int('Delete a Task this many seconds after it finished. Unset keeps Tasks.', { minimum: 0 }),
    maxRetainedTasks: int('Keep at most this many finished Tasks per namespace; the oldest go first. Unset keeps all.', { minimum: 0 }),
  }),
});
