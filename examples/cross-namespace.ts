/**
 * Cross-namespace separation: the platform team keeps the Agent and its credentials in
 * platform-agents; dev teams create Tasks in their own namespaces. The Pods run in
 * platform-agents, so the credentials never leave it.
 *
 *   npx tsx examples/cross-namespace.ts    # writes dist/cross-namespace.k8s.yaml
 */
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, TaskConstruct } from '../src/index.js';

export class CrossNamespace extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const agent = new AgentConstruct(this, 'platform-agent', {
      metadata: { name: 'opencode-agent', namespace: 'platform-agents' },
      allowedNamespaces: ['dev-*', 'staging'],
      serviceAccountName: 'kubeopencode-agent',
      credentials: [{ name: 'anthropic-key', secretRef: { name: 'anthropic-credentials', key: 'api-key' }, env: 'ANTHROPIC_API_KEY' }],
    });
    for (const team of ['dev-team-a', 'dev-team-b']) {
      new TaskConstruct(this, `${team}-task`, {
        metadata: { name: 'fix-bug-123', namespace: team },
        agent,
        description: 'Fix the bug in authentication module',
      });
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new CrossNamespace(app, 'cross-namespace');
  app.synth();
}
