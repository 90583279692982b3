/**
 * Retries: an Agent whose Tasks try a failed attempt twice more (after 30 s, then 60 s), and a
 * Task that retries only when its Pod is lost (a node went away), never on its own failure.
 *
 *   npx tsx examples/retries.ts            # writes dist/retries.k8s.yaml
 */
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, TaskConstruct } from '../src/index.js';

export class Retries extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'default' });
    const agent = new AgentConstruct(this, 'agent', {
      metadata: { name: 'patient' },
      serviceAccountName: 'kubeopencode-agent',
      maxConcurrentTasks: 4,
      retryPolicy: { limit: 2, backoff: { initialSeconds: 30, factor: 2, maxSeconds: 300 } },
    });
    new TaskConstruct(this, 'flaky-tests', { metadata: { name: 'fix-flaky-tests' }, agent, description: 'Find and fix the flaky tests of service-a.' });
    new TaskConstruct(this, 'migration', {
      metadata: { name: 'run-migration' },
      agent,
      description: 'Apply the database migration plan in docs/migration.md.',
      retryPolicy: { limit: 1, retryOn: ['PodLost'] },
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new Retries(app, 'retries');
  app.synth();
}
