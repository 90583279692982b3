import { arr, int, JSONSchema, obj, patterns, quantity, Rule, str, stringMap, withRules } from './schema.js';

const reservedLabelRule: Rule = {
  rule: "self.all(k, !k.startsWith('kubeopencode.io/') && k != 'app.kubernetes.io/managed-by')",
  message: 'labels must not use the kubeopencode.io/ prefix or app.kubernetes.io/managed-by: the reconciler sets those',
  holds: (labels: Record<string, string>) =>
    Object.keys(labels).every((k) => !k.startsWith('kubeopencode.io/') && k !== 'app.kubernetes.io/managed-by'),
};

const tolerationSchema = obj('A toleration, as in a Pod spec.', {
  key: str('The taint key the toleration applies to; empty means all keys.', { maxLength: 316 }),
  operator: str('Exists or Equal (the default).', { enum: ['Exists', 'Equal'] }),
  value: str('The taint value the toleration matches (with Equal).', { maxLength: 63 }),
  effect: str('The taint effect to match; empty means all effects.', { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] }),
  tolerationSeconds: { ...int('How long a NoExecute taint is tolerated, in seconds.'), format: 'int64' },
});

const resourceList = (description: string): JSONSchema => ({
  type: 'object',
  description,
  additionalProperties: quantity('A quantity such as 500m or 1Gi.'),
});

export const agentPodSpecSchema: JSONSchema = obj('Settings of the Task Pods that this Agent runs.', {
  labels: withRules(stringMap('Extra labels on every Task Pod, e.g. for NetworkPolicy selection.', { maxProperties: 64 }), reservedLabelRule),
  scheduling: obj('Where Task Pods may be scheduled.', {
    nodeSelector: stringMap('Node labels a node must have to run the Pod.', { maxProperties: 64 }),
    tolerations: arr('Taints the Pod tolerates.', tolerationSchema, { maxItems: 32 }),
    affinity: {
      'type': 'object',
      'description': 'Node and Pod affinity, as in a Pod spec (validated by the API server when the Pod is created).',
      'x-kubernetes-preserve-unknown-fields': true,
    },
  }),
  runtimeClassName: str('RuntimeClass of the Pod, e.g. gvisor or kata for stronger isolation.', { pattern: patterns.dnsSubdomain, maxLength: 253 }),
  resources: obj('Compute resources of the agent container.', {
    limits: resourceList('Maximum resources, e.g. cpu: "2", memory: 4Gi.'),
    requests: resourceList('Guaranteed resources, e.g. cpu: 500m, memory: 1Gi.'),
  }),
});
