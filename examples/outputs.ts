/**
 * Task outputs: the Agent declares parameters every Task captures; a Task adds its own.
 * After the Pod ends, `kubectl get task my-task -o jsonpath='{.status.outputs.parameters}'`.
 *
 *   npx tsx examples/outputs.ts            # writes dist/outputs.k8s.yaml
 */
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, TaskConstruct } from '../src/index.js';

export class Outputs extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'default' });
    const agent = new AgentConstruct(this, 'pr-agent', { metadata: { name: 'pr-agent' }, serviceAccountName: 'kubeopencode-agent' })
      .addOutputParameter({ name: 'pr-url', path: '.outputs/pr-url' })
      .addOutputParameter({ name: 'summary', path: '.outputs/summary', default: 'No summary provided' });
    new TaskConstruct(this, 'my-task', { metadata: { name: 'my-task' }, agent, description: 'Create a PR for the feature' })
      .addOutputParameter({ name: 'custom-metric', path: '.outputs/custom-metric' });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new Outputs(app, 'outputs');
  app.synth();
}
