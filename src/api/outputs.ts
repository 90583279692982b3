import { Limits } from './constants.js';
import { arr, JSONSchema, obj, Rule, str, withRules } from './schema.js';

const outputPathRule: Rule = {
  rule: "!self.split('/').exists(s, s == '..')",
  message: "must not contain '..'",
  holds: (p: string) => !p.split('/').includes('..'),
};

export const outputParameterSchema: JSONSchema = obj('A value the agent leaves in a file, captured into the Task\'s status when the Pod ends.', {
  name: str('Name of the parameter: the key in status.outputs.parameters.', {
    pattern: '^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$',
    maxLength: 63,
  }),
  path: withRules(str('File to read: absolute, or relative to the workspaceDir.', { minLength: 1, maxLength: 1024 }), outputPathRule),
  default: str('Value used when the file does not exist.', { maxLength: 4096 }),
}, { required: ['name', 'path'] });

/** `outputs` of a Task or an Agent; parameters are unique by name (a list-map). */
export const outputsSchema = (owner: string): JSONSchema => obj(`Output parameters to capture. ${owner}`, {
  parameters: arr('The parameters, unique by name.', outputParameterSchema, {
    'maxItems': Limits.outputs,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  }),
});
