import { App, Chart, Testing } from 'cdk8s';
import { AgentConstruct } from '../../src/constructs/agent.js';
import { TaskConstruct } from '../../src/constructs/task.js';

describe('AgentConstruct', () => {
  test('synthesizes an Agent with its builders applied', () => {
    const chart = new Chart(new App(), 'test');
    const agent = new AgentConstruct(chart, 'agent', {
      metadata: { name: 'pr-agent', namespace: 'platform' },
      executorImage: 'example.com/devbox:1.0',
      maxConcurrentTasks: 3,
    });
    agent.addContext({ type: 'Text', text: 'Use signed commits' })
      .addCredential({ name: 'gh', secretRef: { name: 'github', key: 'token' }, env: 'GITHUB_TOKEN' })
      .addOutputParameter({ name: 'pr-url', path: '.outputs/pr-url' })
      .allowNamespace('dev-*');
    const [manifest] = Testing.synth(chart);
    expect(manifest).toEqual({
      apiVersion: 'kubeopencode.io/v1alpha1',
      kind: 'Agent',
      metadata: { name: 'pr-agent', namespace: 'platform' },
      spec: {
        executorImage: 'example.com/devbox:1.0',
        maxConcurrentTasks: 3,
        contexts: [{ type: 'Text', text: 'Use signed commits' }],
        credentials: [{ name: 'gh', secretRef: { name: 'github', key: 'token' }, env: 'GITHUB_TOKEN' }],
        outputs: { parameters: [{ name: 'pr-url', path: '.outputs/pr-url' }] },
        allowedNamespaces: ['dev-*'],
      },
    });
  });

  test('keeps quantities and the URL TLS flag in their wire form', () => {
    const chart = new Chart(new App(), 'test');
    new AgentConstruct(chart, 'agent', {
      metadata: { name: 'a' },
      podSpec: { resources: { limits: { memory: '4Gi', cpu: 2 } } },
      contexts: [{ type: 'URL', url: { source: 'https://example.com/x', insecureSkipTLSVerify: true } }],
    });
    const [manifest] = Testing.synth(chart);
    expect(manifest.spec.podSpec).toEqual({ resources: { limits: { memory: '4Gi', cpu: 2 } } });
    expect(manifest.spec.contexts[0].url).toEqual({ source: 'https://example.com/x', insecureSkipTLSVerify: true });
  });

  test('fails synth with the construct path and the field of a mistake', () => {
    const chart = new Chart(new App(), 'test');
    new AgentConstruct(chart, 'broken', {
      metadata: { name: 'broken' },
      contexts: [{ type: 'Git', git: { repository: 'https://example.com/r.git' } }],
    });
    expect(() => Testing.synth(chart)).toThrow(/Agent broken \(test\/broken\/Resource\): spec\.contexts\[0\]: a Git context needs mountPath/);
  });
});

describe('TaskConstruct', () => {
  test('refers to an AgentConstruct of the same namespace by name only', () => {
    const chart = new Chart(new App(), 'c', { namespace: 'team' });
    const agent = new AgentConstruct(chart, 'agent', { metadata: { name: 'opencode' } });
    new TaskConstruct(chart, 'task', { metadata: { name: 'fix' }, description: 'Fix it', agent });
    const task = Testing.synth(chart).find((o) => o.kind === 'Task');
    expect(task.metadata).toEqual({ name: 'fix', namespace: 'team' });
    expect(task.spec).toEqual({ description: 'Fix it', agentRef: { name: 'opencode' } });
  });

  test('refers to an Agent of another namespace with its namespace', () => {
    const chart = new Chart(new App(), 'test');
    const agent = new AgentConstruct(chart, 'agent', { metadata: { name: 'opencode-agent', namespace: 'platform-agents' } });
    new TaskConstruct(chart, 'task', { metadata: { name: 'fix-bug-123', namespace: 'dev-team-a' }, description: 'Fix', agent });
    const task = Testing.synth(chart).find((o) => o.kind === 'Task');
    expect(task.spec.agentRef).toEqual({ name: 'opencode-agent', namespace: 'platform-agents' });
  });

  test('collects contexts and outputs from props and builders, in order', () => {
    const chart = new Chart(new App(), 'test');
    const task = new TaskConstruct(chart, 'task', {
      metadata: { name: 't' },
      description: 'Do it',
      contexts: [{ type: 'Text', text: 'first' }],
      timeoutSeconds: 600,
    });
    task.addContext({ type: 'Runtime' }).addOutputParameter({ name: 'summary', path: 'summary.md', default: 'none' });
    const [manifest] = Testing.synth(chart);
    expect(manifest.spec).toEqual({
      description: 'Do it',
      timeoutSeconds: 600,
      contexts: [{ type: 'Text', text: 'first' }, { type: 'Runtime' }],
      outputs: { parameters: [{ name: 'summary', path: 'summary.md', default: 'none' }] },
    });
  });

  test('refuses duplicate output names at synth time', () => {
    const chart = new Chart(new App(), 'test');
    const task = new TaskConstruct(chart, 'task', { metadata: { name: 't' }, description: 'x' });
    task.addOutputParameter({ name: 'a', path: 'a' }).addOutputParameter({ name: 'a', path: 'b' });
    expect(() => Testing.synth(chart)).toThrow(/Task t \(test\/task\/Resource\): spec\.outputs\.parameters\[1\]: Duplicate value: name=a/);
  });

  test('refuses an empty description at synth time', () => {
    const chart = new Chart(new App(), 'test');
    new TaskConstruct(chart, 'task', { metadata: { name: 't' }, description: '' });
    expect(() => Testing.synth(chart)).toThrow(/spec\.description/);
  });
});
