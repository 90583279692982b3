/**
 * `npm run synth`: the CRDs and every example, synthesized into dist/ (one file per chart).
 */
import { App, Chart } from 'cdk8s';
import { Contexts } from './contexts.js';
import { CrossNamespace } from './cross-namespace.js';
import { GithubPrReview } from './github-pr-review.js';
import { GitOps } from './gitops.js';
import { McpServers } from './mcp-servers.js';
import { Outputs } from './outputs.js';
import { Retries } from './retries.js';
import { Scheduled } from './scheduled.js';
import { TasksAsCode } from './tasks-as-code.js';
import { KubeOpenCodeCrds } from '../src/index.js';

/** Every example chart in one App, with the CRDs first. */
export function examplesApp(outdir = 'dist'): App {
  const app = new App({ outdir });
  new KubeOpenCodeCrds(new Chart(app, 'crds'), 'kubeopencode');
  new TasksAsCode(app, 'tasks-as-code', { repos: ['service-a', 'service-b', 'service-c'] });
  new CrossNamespace(app, 'cross-namespace');
  new Outputs(app, 'outputs');
  new Contexts(app, 'contexts');
  new Scheduled(app, 'scheduled');
  new McpServers(app, 'mcp-servers');
  new Retries(app, 'retries');
  new GithubPrReview(app, 'github-pr-review');
  new GitOps(app, 'gitops', { repoURL: 'https://github.com/example-org/tasks-as-code.git' });
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = examplesApp();
  app.synth();
  for (const chart of app.charts) console.log(`dist/${chart.node.id}.k8s.yaml: ${chart.toJson().length} objects`);
}
