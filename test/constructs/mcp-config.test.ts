import { App, Chart, Testing } from 'cdk8s';
import { ContextError } from '../../src/constructs/context-plan.js';
import { MCP_CONFIG_PATH, mergeMcpServers, McpServer, secretEnvName } from '../../src/constructs/mcp-config.js';
import { TaskPod } from '../../src/constructs/task-pod.js';

const github: McpServer = {
  name: 'github',
  remote: { url: 'https://api.githubcopilot.com/mcp/', headers: [{ name: 'Authorization', secretKeyRef: { name: 'mcp-tokens', key: 'github' } }, { name: 'X-Team', value: 'platform' }] },
};
const files: McpServer = { name: 'files', local: { command: ['npx', '-y', '@modelcontextprotocol/server-filesystem'], args: ['/workspace'], env: [{ name: 'LOG_LEVEL', value: 'debug' }] } };
const db: McpServer = { name: 'db', local: { command: ['mcp-postgres'], env: [{ name: 'DATABASE_URL', secretKeyRef: { name: 'mcp-tokens', key: 'db-url' } }] } };

function render(agentServers: McpServer[], taskServers: McpServer[] = [], taskNamespace = 'team') {
  const chart = new Chart(new App(), 'c');
  new TaskPod(chart, 'task', {
    task: { metadata: { name: 't', namespace: taskNamespace, uid: 'u' }, spec: { description: 'Fix it', mcpServers: taskServers } },
    agent: { metadata: { name: 'coder', namespace: 'team' }, spec: { mcpServers: agentServers } },
  });
  const objects = Testing.synth(chart);
  const pod = objects.find((o) => o.kind === 'Pod');
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  const agent = pod.spec.containers.find((c: { name: string }) => c.name === 'agent');
  const plan = JSON.parse(configMap.data['plan.json']);
  const file = plan.files.find((f: { path: string }) => f.path === `/workspace/${MCP_CONFIG_PATH}`);
  return { agent, configMap, config: file ? JSON.parse(configMap.data[file.key]) : undefined, file };
}

describe('MCP servers as the agent\'s configuration (pure)', () => {
  test('remote and local servers become OpenCode\'s mcp section; Secret values only as env vars the file names', () => {
    const { agent, config, configMap, file } = render([github, files, db]);
    expect(file.mode).toBe(0o644);
    expect(config).toEqual({
      $schema: 'https://opencode.ai/config.json',
      mcp: {
        github: { type: 'remote', url: 'https://api.githubcopilot.com/mcp/', headers: { 'Authorization': '{env:KUBEOPENCODE_MCP_GITHUB_AUTHORIZATION}', 'X-Team': 'platform' }, enabled: true },
        files: { type: 'local', command: ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/workspace'], environment: { LOG_LEVEL: 'debug' }, enabled: true },
        db: { type: 'local', command: ['mcp-postgres'], environment: { DATABASE_URL: '{env:KUBEOPENCODE_MCP_DB_DATABASE_URL}' }, enabled: true },
      },
    });
    expect(agent.env).toEqual(expect.arrayContaining([
      { name: 'OPENCODE_CONFIG', value: `/workspace/${MCP_CONFIG_PATH}` },
      { name: 'KUBEOPENCODE_MCP_GITHUB_AUTHORIZATION', valueFrom: { secretKeyRef: { name: 'mcp-tokens', key: 'github' } } },
      { name: 'KUBEOPENCODE_MCP_DB_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'mcp-tokens', key: 'db-url' } } },
    ]));
    // The ConfigMap holds no Secret reference's value, only the variables' names.
    expect(JSON.stringify(configMap.data)).not.toMatch(/secretKeyRef|mcp-tokens/);
    expect(configMap.data['task.md']).not.toContain('mcp');
  });

  test('a Task adds servers and replaces the Agent\'s of the same name', () => {
    const own: McpServer = { name: 'github', remote: { url: 'https://mcp.example.com/github' } };
    expect(mergeMcpServers([github, files], [own, db]).map((s) => `${s.name} ${s.remote?.url ?? s.local?.command[0]}`))
      .toEqual(['github https://mcp.example.com/github', 'files npx', 'db mcp-postgres']);
    const { config, agent } = render([github], [own]);
    expect(config.mcp.github).toEqual({ type: 'remote', url: 'https://mcp.example.com/github', enabled: true });
    expect(agent.env.map((e: { name: string }) => e.name)).not.toContain('KUBEOPENCODE_MCP_GITHUB_AUTHORIZATION');
  });

  test('no servers: no file and no OPENCODE_CONFIG', () => {
    const { agent, file } = render([]);
    expect(file).toBeUndefined();
    expect(agent.env.map((e: { name: string }) => e.name)).not.toContain('OPENCODE_CONFIG');
  });

  test('a Task from another namespace may not take MCP values from the Agent\'s Secrets; in the clear it may', () => {
    expect(() => render([], [db], 'dev-team-a')).toThrow(ContextError);
    expect(() => render([], [db], 'dev-team-a')).toThrow('spec.mcpServers: a Task from namespace dev-team-a cannot use Secrets of the Agent\'s namespace team');
    expect(render([github], [files], 'dev-team-a').config.mcp.files.type).toBe('local');
  });

  test('environment variable names are upper case and safe', () => {
    expect(secretEnvName('my-server', 'x-api.key')).toBe('KUBEOPENCODE_MCP_MY_SERVER_X_API_KEY');
  });
});
