/** The user's side of the demo: an Agent limited to two Tasks at once, and five Tasks, as code. */
import { App, Chart } from 'cdk8s';
import { AgentConstruct, TaskConstruct } from '../../src/constructs/index.js';

export interface DemoTasksProps {
  readonly agentNamespace: string;
  readonly teamNamespace: string;
  /** Both images of the Agent (the real-node demo's echo agent); the defaults otherwise. */
  readonly image?: string;
  /** A Secret whose keys become the agent's environment (the echo agent's settings). */
  readonly envSecret?: string;
}

export class DemoTasks extends Chart {
  constructor(app: App, props: DemoTasksProps) {
    super(app, 'demo');
    const { agentNamespace, teamNamespace, image, envSecret } = props;
    const agent = new AgentConstruct(this, 'agent', {
      metadata: { name: 'pr-agent', namespace: agentNamespace },
      maxConcurrentTasks: 2,
      allowedNamespaces: [teamNamespace],
      ...(image ? { agentImage: image, executorImage: image } : {}),
      contexts: [{ type: 'Text', name: 'standards', text: '# Standards\n- Small pull requests\n- Tests first\n' }],
      credentials: envSecret ? [{ name: 'settings', secretRef: { name: envSecret } }] : undefined,
    })
      .addOutputParameter({ name: 'pr-url', path: '.outputs/pr-url', default: 'none' })
      .addOutputParameter({ name: 'summary', path: '.outputs/summary', default: 'No summary provided' });
    for (const repo of ['service-a', 'service-b', 'service-c', 'service-d']) {
      new TaskConstruct(this, repo, {
        metadata: { name: `update-${repo}`, namespace: agentNamespace },
        agent,
        description: `Update the dependencies of ${repo}, run its tests and open a pull request.`,
      });
    }
    new TaskConstruct(this, 'cross-namespace', {
      metadata: { name: 'fix-bug-123', namespace: teamNamespace },
      agent,
      description: 'Fix the bug in the authentication module.',
    }).addOutputParameter({ name: 'custom-metric', path: '.outputs/custom-metric' });
  }
}

/** The objects as YAML, and what they are, for the demo to print. */
export function demoManifests(props: DemoTasksProps): { yaml: string; objects: { kind: string; metadata: { name: string; namespace: string } }[] } {
  const app = new App();
  new DemoTasks(app, props);
  const yaml = app.synthYaml();
  return { yaml, objects: app.charts.flatMap((c) => c.toJson()) };
}
