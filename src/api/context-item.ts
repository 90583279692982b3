import { ContextType, Defaults, Limits } from './constants.js';
import { arr, bool, int, JSONSchema, mountPathRules, obj, patterns, Rule, str, stringMap, withRules } from './schema.js';

/** The sub-object each context type carries, by type. */
const subObjectOf = {
  text: ContextType.text,
  configMap: ContextType.configMap,
  git: ContextType.git,
  url: ContextType.url,
} as const;

/** For each type with content: its sub-object is required for that type and forbidden for others. */
function subObjectMatchesType(field: keyof typeof subObjectOf): Rule {
  const type = subObjectOf[field];
  return {
    rule: `self.type == '${type}' ? has(self.${field}) : !has(self.${field})`,
    message: `type ${type} needs '${field}', and '${field}' is only allowed with type ${type}`,
    holds: (c) => (c.type === type) === (c[field] !== undefined),
  };
}

export const contextItemRules: Rule[] = [
  ...(Object.keys(subObjectOf) as (keyof typeof subObjectOf)[]).map(subObjectMatchesType),
  {
    rule: "!has(self.runtime) || self.type == 'Runtime'",
    message: "'runtime' is only allowed with type Runtime",
    holds: (c) => c.runtime === undefined || c.type === ContextType.runtime,
  },
  {
    rule: "self.type != 'Git' || has(self.mountPath)",
    message: 'a Git context needs mountPath: the repository is cloned there',
    holds: (c) => c.type !== ContextType.git || c.mountPath !== undefined,
  },
];

export const mountPathSchema = withRules(
  str('Where the content goes: an absolute path, or a path relative to the Agent\'s workspaceDir. ' +
    'Without it, the content is appended to task.md inside a <context> element.', { minLength: 1, maxLength: 512 }),
  ...mountPathRules,
);

export const fileModeSchema = int('Permission bits of the written file, as a number (0644 octal is 420). Defaults to 0644.', {
  minimum: 0,
  maximum: 0o777,
});

const secretNameRef = (description: string): JSONSchema => obj(description, {
  name: str('Name of the Secret.', { pattern: patterns.dnsSubdomain, maxLength: 253 }),
}, { required: ['name'] });

const gitRefRule: Rule = {
  rule: "!self.startsWith('-') && !self.contains('..') && self.matches('^[A-Za-z0-9._/-]+$')",
  message: "must be a branch, tag or commit SHA: letters, digits, '.', '_', '/' and '-', not starting with '-' and without '..'",
  holds: (r: string) => !r.startsWith('-') && !r.includes('..') && /^[A-Za-z0-9._/-]+$/.test(r),
};

const repositoryRule: Rule = {
  rule: "self.matches('^(https?|ssh|git)://[^ ]+$') || self.matches('^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^ ]+$')",
  message: 'must be an https://, http://, ssh:// or git:// URL, or user@host:path',
  holds: (r: string) => /^(https?|ssh|git):\/\/[^ ]+$/.test(r) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^ ]+$/.test(r),
};

const relativeSubdirRule: Rule = {
  rule: "!self.startsWith('/') && !self.split('/').exists(s, s == '..')",
  message: "must be a path inside the repository: relative, without '..'",
  holds: (p: string) => !p.startsWith('/') && !p.split('/').includes('..'),
};

const httpUrlRule: Rule = {
  rule: "self.startsWith('https://') || self.startsWith('http://')",
  message: 'must be an http:// or https:// URL',
  holds: (u: string) => u.startsWith('https://') || u.startsWith('http://'),
};

export const contextItemSchema: JSONSchema = withRules(obj(
  'One piece of context for the agent: inline text, a ConfigMap, a Git repository, the KubeOpenCode runtime prompt, or a URL.',
  {
    type: str('What kind of context this is; the matching sub-object (text, configMap, git, url) must be set.', {
      enum: Object.values(ContextType),
    }),
    name: str('A name for the context, shown to the agent in the <context name=".."> element.', { maxLength: 253 }),
    description: str('What the context is for; shown to the agent in the <context> element.', { maxLength: 1024 }),
    mountPath: mountPathSchema,
    fileMode: fileModeSchema,
    text: str('The content, for type Text.', { maxLength: Limits.textContextBytes }),
    configMap: obj('A ConfigMap in the namespace of the object that lists this context (Task or Agent), for type ConfigMap.', {
      name: str('Name of the ConfigMap.', { pattern: patterns.dnsSubdomain, maxLength: 253 }),
      key: str('One key of the ConfigMap. Without it, every key is used: as files in the directory at mountPath, ' +
        'or as <file name=".."> elements in task.md.', { pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 }),
      optional: bool('When true, a missing ConfigMap or key gives empty content instead of an error.'),
    }, { required: ['name'] }),
    git: obj('A Git repository cloned into mountPath before the agent starts, for type Git.', {
      repository: withRules(str('URL of the repository.', { minLength: 1, maxLength: 2048 }), repositoryRule),
      ref: withRules(str('Branch, tag or commit SHA to check out. Defaults to the remote HEAD.', { minLength: 1, maxLength: 256 }), gitRefRule),
      path: withRules(str('A subdirectory of the repository to mount instead of its root.', { minLength: 1, maxLength: 1024 }), relativeSubdirRule),
      depth: int('History depth of the clone; 0 clones the whole history.', { minimum: 0, maximum: 1_000_000, default: Defaults.gitDepth }),
      secretRef: secretNameRef('A Secret in the Agent\'s namespace with username and password (HTTPS) or ' +
        'ssh-privatekey (and optionally ssh-known-hosts) for SSH, and optionally ca.crt: a PEM CA that HTTPS trusts for this server.'),
    }, { required: ['repository'] }),
    runtime: obj('Marks the KubeOpenCode runtime prompt, for type Runtime. It has no fields.', {}),
    url: obj('Content fetched over HTTP(S) before the agent starts, for type URL.', {
      source: withRules(str('The URL to fetch.', { minLength: 1, maxLength: 2048 }), httpUrlRule),
      headers: stringMap('HTTP headers sent with the request.', { maxProperties: 32 }),
      secretRef: secretNameRef('A Secret in the Agent\'s namespace with token (sent as a bearer token) or ' +
        'username and password (basic auth).'),
      insecureSkipTLSVerify: bool('Skip verification of the server\'s TLS certificate. Only for testing.'),
      timeoutSeconds: int('How long the fetch may take, in seconds.', { minimum: 1, maximum: 600, default: Defaults.urlTimeoutSeconds }),
    }, { required: ['source'] }),
  },
  { required: ['type'] },
), ...contextItemRules);

export const contextListSchema = (owner: string): JSONSchema => arr(
  `Contexts given to the agent. ${owner}`,
  contextItemSchema,
  { maxItems: Limits.contexts },
);
