/**
 * MCP servers for agents: the platform team gives every Task of its Agent a GitHub MCP
 * server (its token from a Secret, which never leaves the Agent's namespace) and a local
 * filesystem server run inside the executor image; one Task adds a documentation server.
 *
 *   npx tsx examples/mcp-servers.ts        # writes dist/mcp-servers.k8s.yaml
 */
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, TaskConstruct } from '../src/index.js';

export class McpServers extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'platform-agents' });
    const agent = new AgentConstruct(this, 'agent', { metadata: { name: 'tooled' }, serviceAccountName: 'kubeopencode-agent' })
      .addMcpServer({
        name: 'github',
        remote: {
          url: 'https://api.githubcopilot.com/mcp/',
          headers: [{ name: 'Authorization', secretKeyRef: { name: 'mcp-tokens', key: 'github-authorization' } }],
        },
      })
      .addMcpServer({ name: 'filesystem', local: { command: ['npx', '-y', '@modelcontextprotocol/server-filesystem'], args: ['/workspace'] } });
    new TaskConstruct(this, 'triage', { metadata: { name: 'triage-issues' }, agent, description: 'Triage the open issues of org/service-a.' })
      .addMcpServer({ name: 'docs', remote: { url: 'https://docs-mcp.example.com/mcp' } });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new McpServers(app, 'mcp-servers');
  app.synth();
}
