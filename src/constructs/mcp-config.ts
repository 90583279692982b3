/**
 * The MCP servers of a Task (its Agent's, then its own, by name) as the agent's tool
 * configuration: for OpenCode, the `mcp` section of a configuration file that the context
 * helper writes into the workspace and OPENCODE_CONFIG points at. Values from Secrets are
 * never written there: each becomes an environment variable of the agent container
 * (valueFrom secretKeyRef), and the file names it as `{env:NAME}`, which OpenCode
 * substitutes when it reads the file. Pure.
 */
import { k8s } from 'cdk8s-plus-28';
import { ResolvedContext } from './context-plan.js';
import * as koc from '../../imports/kubeopencode.io.js';

export type McpServer = koc.AgentSpecMcpServers;
type NamedValue = koc.AgentSpecMcpServersRemoteHeaders;

/** Where the configuration file goes, relative to the workspace. */
export const MCP_CONFIG_PATH = '.kubeopencode/opencode.json';

export interface McpRendering {
  /** The configuration file, as a context the helper writes (undefined: no servers). */
  readonly context?: ResolvedContext;
  /** Environment of the agent container: OPENCODE_CONFIG and one variable per Secret value. */
  readonly env: readonly k8s.EnvVar[];
}

/** The Agent's servers, then the Task's; a Task's server replaces the Agent's of the same name. */
export function mergeMcpServers(agent: readonly McpServer[] | undefined, task: readonly McpServer[] | undefined): McpServer[] {
  const byName = new Map<string, McpServer>();
  for (const server of [...(agent ?? []), ...(task ?? [])]) byName.set(server.name, server);
  return [...byName.values()];
}

/** `KUBEOPENCODE_MCP_<server>_<name>`, upper case, with anything else than letters and digits as `_`. */
export function secretEnvName(server: string, name: string): string {
  return `KUBEOPENCODE_MCP_${server}_${name}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** Whether any server of the list takes a value from a Secret. */
export const usesSecrets = (servers: readonly McpServer[] | undefined): boolean =>
  (servers ?? []).some((s) => [...(s.remote?.headers ?? []), ...(s.local?.env ?? [])].some((v) => v.secretKeyRef));

export function renderMcpServers(servers: readonly McpServer[], workspaceDir: string, origin: string): McpRendering {
  if (!servers.length) return { env: [] };
  const env: k8s.EnvVar[] = [];
  /** A value as the file holds it: in the clear, or the name of the variable that carries the Secret's value. */
  const valueOf = (server: string, v: NamedValue): string => {
    if (!v.secretKeyRef) return v.value ?? '';
    const name = secretEnvName(server, v.name);
    env.push({ name, valueFrom: { secretKeyRef: { name: v.secretKeyRef.name, key: v.secretKeyRef.key } } });
    return `{env:${name}}`;
  };
  const values = (server: string, list: readonly NamedValue[] | undefined) =>
    (list?.length ? Object.fromEntries(list.map((v) => [v.name, valueOf(server, v)])) : undefined);
  const mcp = Object.fromEntries(servers.map((s) => [s.name, s.remote
    ? { type: 'remote', url: s.remote.url, headers: values(s.name, s.remote.headers), enabled: s.enabled ?? true }
    : { type: 'local', command: [...s.local!.command, ...(s.local!.args ?? [])], environment: values(s.name, s.local!.env), enabled: s.enabled ?? true }]));
  const file = `${JSON.stringify({ $schema: 'https://opencode.ai/config.json', mcp }, null, 2)}\n`;
  return {
    context: {
      item: { type: 'Text', name: 'mcp-servers', text: file, mountPath: MCP_CONFIG_PATH, fileMode: 0o644 },
      origin,
    },
    env: [{ name: 'OPENCODE_CONFIG', value: `${workspaceDir}/${MCP_CONFIG_PATH}` }, ...env],
  };
}
