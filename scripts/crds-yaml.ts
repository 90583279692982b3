import { App, Chart } from 'cdk8s';
import { KubeOpenCodeCrds } from '../src/constructs/kubeopencode-crds.js';

/** The CRDs as one multi-document YAML string. */
export function crdsYaml(): string {
  const app = new App();
  new KubeOpenCodeCrds(new Chart(app, 'crds'), 'crds');
  return app.synthYaml();
}
