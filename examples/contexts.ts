/**
 * Every context type and every credential mode in one Agent and one Task.
 *
 *   npx tsx examples/contexts.ts           # writes dist/contexts.k8s.yaml
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, TaskConstruct } from '../src/index.js';

export class Contexts extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'default' });
    new ApiObject(this, 'scripts', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'my-scripts' },
      data: { 'lint.sh': '#!/bin/sh\nnpm run lint\n', 'test.sh': '#!/bin/sh\nnpm test\n' },
    });
    const agent = new AgentConstruct(this, 'agent', {
      metadata: { name: 'default' },
      serviceAccountName: 'kubeopencode-agent',
      contexts: [
        { type: 'Runtime', runtime: {} },
        { type: 'Text', name: 'standards', text: '# Organization Standards\n- Use signed commits\n' },
      ],
      credentials: [
        { name: 'provider-env', secretRef: { name: 'ai-provider' } },
        { name: 'github-token', secretRef: { name: 'github-creds', key: 'token' }, env: 'GITHUB_TOKEN' },
        { name: 'ssh-key', secretRef: { name: 'ssh-keys', key: 'id_rsa' }, mountPath: '/home/agent/.ssh/id_rsa', fileMode: 0o400 },
        { name: 'cloud-config', secretRef: { name: 'cloud-config' }, mountPath: '/etc/cloud' },
      ],
    });
    new TaskConstruct(this, 'task', {
      metadata: { name: 'review-api' },
      agent,
      description: 'Review the API implementation against its OpenAPI specification.',
      contexts: [
        { type: 'Text', text: '# Rules for AI Agent\nAlways use signed commits...\n' },
        { type: 'ConfigMap', configMap: { name: 'my-scripts' }, mountPath: '.scripts', fileMode: 0o755 },
        { type: 'ConfigMap', configMap: { name: 'my-scripts', key: 'test.sh' }, name: 'how-to-test' },
        { type: 'Git', git: { repository: 'https://github.com/org/repo.git', ref: 'main' }, mountPath: 'source-code' },
        { type: 'URL', url: { source: 'https://api.example.com/openapi.yaml' }, mountPath: 'specs/openapi.yaml' },
        { type: 'URL', name: 'changelog', url: { source: 'https://api.example.com/CHANGELOG.md', timeoutSeconds: 10 } },
      ],
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new Contexts(app, 'contexts');
  app.synth();
}
