import { App, Chart } from 'cdk8s';
import { KubeConfig } from '@kubernetes/client-node';
import { TaskPod } from '../../src/constructs/task-pod.js';

test('renders a pod', () => {
  const chart = new Chart(new App(), 'c');
  const tp = new TaskPod(chart, 'p', {
    task: { metadata: { name: 't', namespace: 'ns', uid: 'u1' }, spec: { description: 'do it', contexts: [{ type: 'Text', text: 'hello' }, { type: 'URL', url: { source: 'https://x/y' } }, { type: 'Git', git: { repository: 'https://g/r.git' }, mountPath: 'src' }] } },
    agent: { metadata: { name: 'a', namespace: 'ns' }, spec: { credentials: [{ name: 'k', secretRef: { name: 's', key: 'k' }, env: 'K' }], outputs: { parameters: [{ name: 'o', path: 'o.txt' }] } } },
  });
  const out = chart.toJson();
  console.log(JSON.stringify(out, null, 1));
  expect(tp.resourceName).toMatch(/^t-[0-9a-f]{8}$/);
  expect(new KubeConfig()).toBeDefined();
});
