/**
 * MCP servers the agent may use: remote ones (a URL, headers) and local ones (a command the
 * agent starts inside its own container). Agents declare them for every Task; a Task adds
 * its own (and replaces the Agent's of the same name). Secret values never enter the spec or
 * a ConfigMap: a header or env value from a Secret reaches the agent container as an
 * environment variable, and the configuration file only names that variable.
 */
import { Limits } from './constants.js';
import { arr, bool, JSONSchema, obj, patterns, Rule, str, withRules } from './schema.js';

const secretKeyRef = obj('A key of a Secret in the Agent\'s namespace.', {
  name: str('Name of the Secret.', { pattern: patterns.dnsSubdomain, maxLength: 253 }),
  key: str('Key in the Secret.', { minLength: 1, maxLength: 253 }),
}, { required: ['name', 'key'] });

const exactlyOneValue: Rule = {
  rule: 'has(self.value) != has(self.secretKeyRef)',
  message: 'set exactly one of value and secretKeyRef',
  holds: (v) => (v.value !== undefined) !== (v.secretKeyRef !== undefined),
};

const namedValue = (description: string, namePattern: string, nameDescription: string): JSONSchema => withRules(obj(description, {
  name: str(nameDescription, { pattern: namePattern, minLength: 1, maxLength: 256 }),
  value: str('The value, in the clear (anyone who can read the Agent or Task sees it).', { maxLength: 8192 }),
  secretKeyRef,
}, { required: ['name'] }), exactlyOneValue);

const httpUrlRule: Rule = {
  rule: "self.startsWith('https://') || self.startsWith('http://')",
  message: 'must be an http:// or https:// URL',
  holds: (u: string) => u.startsWith('https://') || u.startsWith('http://'),
};

const exactlyOneKind: Rule = {
  rule: 'has(self.remote) != has(self.local)',
  message: 'set exactly one of remote (a URL) and local (a command)',
  holds: (s) => (s.remote !== undefined) !== (s.local !== undefined),
};

export const mcpServerSchema: JSONSchema = withRules(obj('An MCP server the agent may use.', {
  name: str('The server\'s name in the agent\'s configuration; a Task\'s server replaces the Agent\'s of the same name.', {
    pattern: '^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$', maxLength: 63,
  }),
  remote: obj('A server reached over HTTP (Streamable HTTP or SSE).', {
    url: withRules(str('The server\'s URL.', { minLength: 1, maxLength: 2048 }), httpUrlRule),
    headers: arr('HTTP headers sent with every request, e.g. Authorization from a Secret.',
      namedValue('An HTTP header.', '^[A-Za-z0-9-]+$', 'The header name.'),
      { 'maxItems': 16, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
  }, { required: ['url'] }),
  local: obj('A server the agent starts as a process inside its own container (the Agent\'s executor image), over stdio.', {
    command: arr('The executable and its first arguments.', str('One word.', { minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 32 }),
    args: arr('More arguments.', str('One argument.', { maxLength: 4096 }), { maxItems: 64 }),
    env: arr('Environment of the server process.', namedValue('An environment variable.', patterns.envName, 'The variable name.'),
      { 'maxItems': 32, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
  }, { required: ['command'] }),
  enabled: bool('Whether the agent connects to it. Default: true.', { default: true }),
}, { required: ['name'] }), exactlyOneKind);

export const mcpServersSchema = (after: string): JSONSchema => arr(`MCP servers the agent may use. ${after}`, mcpServerSchema, {
  'maxItems': Limits.mcpServers,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
});
