/**
 * Tasks as code: one Agent and a Task per repository, made in a loop. The TypeScript
 * version of the seed README's Helm batch example (examples/helm-batch).
 *
 *   npx tsx examples/tasks-as-code.ts      # writes dist/tasks-as-code.k8s.yaml
 */
import { App, Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, TaskConstruct } from '../src/index.js';

export interface TasksAsCodeProps extends ChartProps {
  /** The repositories to update, one Task each. */
  readonly repos: readonly string[];
}

export class TasksAsCode extends Chart {
  constructor(scope: Construct, id: string, props: TasksAsCodeProps) {
    super(scope, id, { namespace: 'kubeopencode-system', ...props });
    const agent = new AgentConstruct(this, 'agent', {
      metadata: { name: 'default' },
      serviceAccountName: 'kubeopencode-agent',
      maxConcurrentTasks: 3,
      credentials: [{ name: 'opencode-api-key', secretRef: { name: 'ai-credentials', key: 'opencode-key' }, env: 'OPENCODE_API_KEY' }],
      contexts: [{ type: 'Text', name: 'standards', text: '# Organization Standards\n- Use signed commits\n- Write unit tests\n' }],
    });
    for (const repo of props.repos) {
      new TaskConstruct(this, repo, {
        metadata: { name: `update-${repo}`, labels: { 'example.com/repo': repo } },
        agent,
        description: `Update dependencies for ${repo}.\nRun the tests and open a pull request.`,
        contexts: [{ type: 'Git', git: { repository: `https://github.com/org/${repo}.git`, ref: 'main' }, mountPath: repo }],
        timeoutSeconds: 3600,
      });
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new TasksAsCode(app, 'tasks-as-code', { repos: ['service-a', 'service-b', 'service-c'] });
  app.synth();
}
