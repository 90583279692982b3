import { Limits } from './constants.js';
import { fileModeSchema } from './context-item.js';
import { arr, JSONSchema, mountPathRules, obj, patterns, Rule, str, withRules } from './schema.js';

export const credentialRules: Rule[] = [
  {
    rule: '!has(self.secretRef.key) || has(self.env) || has(self.mountPath)',
    message: 'a credential that names a secretRef.key must say where the value goes: set env, mountPath, or both',
    holds: (c) => c.secretRef?.key === undefined || c.env !== undefined || c.mountPath !== undefined,
  },
  {
    rule: '!has(self.env) || has(self.secretRef.key)',
    message: 'env names one variable, so it needs secretRef.key; to expose every key of the Secret as variables, ' +
      'leave out key, env and mountPath',
    holds: (c) => c.env === undefined || c.secretRef?.key !== undefined,
  },
  {
    rule: '!has(self.fileMode) || has(self.mountPath)',
    message: 'fileMode applies to files: it needs mountPath',
    holds: (c) => c.fileMode === undefined || c.mountPath !== undefined,
  },
];

const absoluteRule: Rule = {
  rule: "self.startsWith('/')",
  message: 'must be an absolute path',
  holds: (p: string) => p.startsWith('/'),
};

export const credentialSchema: JSONSchema = withRules(obj(
  'A Secret given to the agent: the whole Secret as environment variables (no key, no mountPath), the whole Secret ' +
  'as a directory (mountPath, no key), one key as a variable (key and env) or one key as a file (key and mountPath).',
  {
    name: str('Name of the credential, unique within the Agent.', { minLength: 1, maxLength: 63 }),
    secretRef: obj('The Secret, in the Agent\'s namespace.', {
      name: str('Name of the Secret.', { pattern: patterns.dnsSubdomain, maxLength: 253 }),
      key: str('One key of the Secret. Without it, the whole Secret is used.', { pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 }),
    }, { required: ['name'] }),
    env: str('Environment variable that receives the value of secretRef.key.', { pattern: patterns.envName, maxLength: 256 }),
    mountPath: withRules(str('Absolute path of the file (with key) or directory (without key).', { minLength: 1, maxLength: 512 }),
      absoluteRule, ...mountPathRules),
    fileMode: { ...fileModeSchema, description: 'Permission bits of the mounted file(s), as a number (0600 octal is 384). Defaults to 0600.' },
  },
  { required: ['name', 'secretRef'] },
), ...credentialRules);

export const credentialListSchema: JSONSchema = arr('Secrets given to the agent\'s container.', credentialSchema, {
  'maxItems': Limits.credentials,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
});
