/**
 * Scheduled Tasks: a dependency update every weekday morning in Berlin time, and a nightly
 * security review that never runs twice at once. Run one now with
 * `kubectl annotate crontask weekday-deps kubeopencode.io/run-now="$(date +%s)" --overwrite`.
 *
 *   npx tsx examples/scheduled.ts          # writes dist/scheduled.k8s.yaml
 */
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, CronTaskConstruct } from '../src/index.js';

export class Scheduled extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'default' });
    const agent = new AgentConstruct(this, 'agent', { metadata: { name: 'maintenance' }, serviceAccountName: 'kubeopencode-agent', maxConcurrentTasks: 2 })
      .addOutputParameter({ name: 'pr-url', path: '.outputs/pr-url' });
    new CronTaskConstruct(this, 'weekday-deps', {
      metadata: { name: 'weekday-deps' },
      schedule: '0 7 * * 1-5',
      timeZone: 'Europe/Berlin',
      task: {
        agent,
        description: 'Update the dependencies of service-a and open a pull request.',
        labels: { 'example.com/job': 'dependencies' },
        contexts: [{ type: 'Git', git: { repository: 'https://github.com/org/service-a.git', ref: 'main' }, mountPath: 'service-a' }],
      },
    });
    new CronTaskConstruct(this, 'nightly-review', {
      metadata: { name: 'nightly-review' },
      schedule: '30 1 * * *',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulHistoryLimit: 7,
      task: { agent, description: 'Review yesterday\'s merged pull requests for security problems.' },
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new Scheduled(app, 'scheduled');
  app.synth();
}
