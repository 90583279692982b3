import { App, Chart, Testing } from 'cdk8s';
import { AgentConstruct } from '../../../src/constructs/agent.js';
import {
  isLabelValue, isQualifiedName, labelValueTemplate, sjsonPath, TaskTrigger, TaskTriggerProps,
} from '../../../src/constructs/task-trigger/task-trigger.js';

const GIT = { type: 'Git' as const, git: { repository: 'https://github.com/org/repo.git', ref: 'main' }, mountPath: 'src' };

function chartIn(namespace = 'ci'): Chart {
  return new Chart(new App(), 'test', { namespace });
}

function synth(props: Partial<TaskTriggerProps> = {}, chart = chartIn()) {
  const trigger = new TaskTrigger(chart, 'pr', {
    name: 'pr-review',
    task: { description: 'Review it', contexts: [GIT] },
    ...props,
  });
  const objects = Testing.synth(chart);
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  return { trigger, objects, byKind, sensor: byKind('Sensor')[0], k8sTrigger: byKind('Sensor')[0]?.spec.triggers[0].template.k8s };
}

/** The synth error of a chart, or '' if it synthesizes. */
function synthError(props: Partial<TaskTriggerProps>, chart = chartIn()): string {
  new TaskTrigger(chart, 'pr', { name: 'pr-review', task: { description: 'Review it', contexts: [GIT] }, ...props });
  try {
    Testing.synth(chart);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('TaskTrigger', () => {
  test('synthesizes an EventSource, a Sensor and the RBAC of the Sensor, all in one namespace', () => {
    const { objects } = synth();
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'EventSource ci/pr-review',
      'ServiceAccount ci/pr-review-sensor',
      'Role ci/pr-review-create-tasks',
      'RoleBinding ci/pr-review-create-tasks',
      'Sensor ci/pr-review',
    ]);
  });

  test('the EventSource has one webhook endpoint: port, path, method and a Service', () => {
    const { byKind } = synth({ webhook: { port: 13000, endpoint: '/github/pull-request', method: 'POST', eventName: 'github' } });
    expect(byKind('EventSource')[0]).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'EventSource',
      metadata: { name: 'pr-review', namespace: 'ci' },
      spec: {
        service: { ports: [{ port: 13000, targetPort: 13000 }] },
        webhook: { github: { port: '13000', endpoint: '/github/pull-request', method: 'POST' } },
      },
    });
  });

  test('webhook defaults: port 12000, POST, path from the construct id; no Service and an auth Secret on request', () => {
    expect(synth().byKind('EventSource')[0].spec).toEqual({
      service: { ports: [{ port: 12000, targetPort: 12000 }] },
      webhook: { webhook: { port: '12000', endpoint: '/pr', method: 'POST' } },
    });
    const spec = synth({ eventBusName: 'jetstream', webhook: { createService: false, authSecret: { name: 'hook', key: 'token' } } }).byKind('EventSource')[0].spec;
    expect(spec).toEqual({
      eventBusName: 'jetstream',
      webhook: { webhook: { port: '12000', endpoint: '/pr', method: 'POST', authSecret: { name: 'hook', key: 'token' } } },
    });
  });

  test('the Sensor depends on the webhook event (with filters) and runs as its own ServiceAccount', () => {
    const { sensor } = synth({
      filters: [
        { path: 'header.X-Github-Event.0', values: ['^pull_request$'] },
        { path: 'body.number', type: 'number', comparator: '>', values: ['0'] },
      ],
    });
    expect(sensor.spec.template).toEqual({ serviceAccountName: 'pr-review-sensor' });
    expect(sensor.spec.dependencies).toEqual([{
      name: 'webhook',
      eventSourceName: 'pr-review',
      eventName: 'webhook',
      filters: {
        data: [
          { path: 'header.X-Github-Event.0', type: 'string', value: ['^pull_request$'] },
          { path: 'body.number', type: 'number', comparator: '>', value: ['0'] },
        ],
      },
    }]);
    expect(sensor.spec.triggers).toHaveLength(1);
    expect(sensor.spec.triggers[0].template.name).toBe('create-task');
    expect(sensor.spec.triggers[0].template.k8s.operation).toBe('create');
  });

  test('RBAC: the Sensor may create Tasks in its namespace and nothing else', () => {
    const { byKind } = synth();
    expect(byKind('Role')).toEqual([{
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pr-review-create-tasks', namespace: 'ci' },
      rules: [{ apiGroups: ['kubeopencode.io'], resources: ['tasks'], verbs: ['create'] }],
    }]);
    expect(byKind('RoleBinding')).toEqual([{
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'pr-review-create-tasks', namespace: 'ci' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pr-review-create-tasks' },
      subjects: [{ kind: 'ServiceAccount', name: 'pr-review-sensor', namespace: 'ci' }],
    }]);
    expect(byKind('ClusterRole')).toEqual([]);
    expect(byKind('ClusterRoleBinding')).toEqual([]);
    expect(byKind('ServiceAccount')).toEqual([{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'pr-review-sensor', namespace: 'ci' } }]);
  });

  test('the Task template: generateName, namespace, agent, contexts, outputs, timeout, labels', () => {
    const chart = chartIn('ci');
    const agent = new AgentConstruct(chart, 'agent', { metadata: { name: 'reviewer' } });
    const { k8sTrigger } = synth({
      agent,
      task: {
        generateName: 'pr-review-',
        description: 'Review it',
        contexts: [GIT],
        outputs: { parameters: [{ name: 'review', path: '.outputs/review.md' }] },
        timeoutSeconds: 1800,
        labels: { 'app.kubernetes.io/part-of': 'pr-review' },
        annotations: { 'example.com/owner': 'platform' },
      },
      labelsFromEvent: { 'example.com/pr': 'body.number' },
      annotationsFromEvent: { 'example.com/pr-url': 'body.pull_request.html_url' },
    }, chart);
    expect(k8sTrigger.source.resource).toEqual({
      apiVersion: 'kubeopencode.io/v1alpha1',
      kind: 'Task',
      metadata: {
        generateName: 'pr-review-',
        namespace: 'ci',
        labels: { 'app.kubernetes.io/part-of': 'pr-review', 'example.com/pr': 'unknown' },
        annotations: { 'example.com/owner': 'platform', 'example.com/pr-url': '' },
      },
      spec: {
        description: 'Review it',
        agentRef: { name: 'reviewer' },
        contexts: [GIT],
        outputs: { parameters: [{ name: 'review', path: '.outputs/review.md' }] },
        timeoutSeconds: 1800,
      },
    });
  });

  test('an Agent of another namespace is referred to with its namespace; generateName defaults to the name', () => {
    const chart = chartIn('ci');
    const agent = new AgentConstruct(chart, 'agent', { metadata: { name: 'reviewer', namespace: 'platform-agents' } });
    const { k8sTrigger } = synth({ agent }, chart);
    expect(k8sTrigger.source.resource.spec.agentRef).toEqual({ name: 'reviewer', namespace: 'platform-agents' });
    expect(k8sTrigger.source.resource.metadata.generateName).toBe('pr-review-');
  });

  test('parameters: each `to` becomes an sjson dest, each source a dataKey or dataTemplate of the dependency', () => {
    const { k8sTrigger } = synth({
      task: {
        contexts: [GIT, { type: 'URL', url: { source: 'https://example.com/spec', headers: { 'X-Token': 'none' } } }],
      },
      parameters: [
        { to: 'description', template: 'Review {{ .Input.body.pull_request.html_url }}' },
        { to: 'spec.contexts[0].git.repository', from: 'body.pull_request.head.repo.clone_url' },
        { to: 'contexts.0.git.ref', from: 'body.pull_request.head.sha', default: 'main' },
        { to: 'contexts[1].url.headers.X-Token', from: 'header.X-Token.0' },
        { to: 'spec.description', template: '\n(from {{ .Input.body.sender.login }})', operation: 'append' },
      ],
    });
    expect(k8sTrigger.parameters).toEqual([
      { src: { dependencyName: 'webhook', dataTemplate: 'Review {{ .Input.body.pull_request.html_url }}' }, dest: 'spec.description' },
      { src: { dependencyName: 'webhook', dataKey: 'body.pull_request.head.repo.clone_url' }, dest: 'spec.contexts.0.git.repository' },
      { src: { dependencyName: 'webhook', dataKey: 'body.pull_request.head.sha', value: 'main' }, dest: 'spec.contexts.0.git.ref' },
      { src: { dependencyName: 'webhook', dataKey: 'header.X-Token.0' }, dest: 'spec.contexts.1.url.headers.X-Token' },
      { src: { dependencyName: 'webhook', dataTemplate: '\n(from {{ .Input.body.sender.login }})' }, dest: 'spec.description', operation: 'append' },
    ]);
    // Without a description of its own, the template shows the filling parameter's template.
    expect(k8sTrigger.source.resource.spec.description).toBe('Review {{ .Input.body.pull_request.html_url }}');
  });

  test('labels from the event go through a template that makes them valid label values; annotations are copied', () => {
    const { k8sTrigger } = synth({
      labelsFromEvent: { 'example.com/repo': 'body.repository.full_name', 'example.com/pr': { from: 'body.number', default: 'none' } },
      annotationsFromEvent: { 'example.com/pr-url': 'body.pull_request.html_url', 'example.com/title': { template: '{{ .Input.body.pull_request.title }}', default: '' } },
    });
    expect(k8sTrigger.parameters).toEqual([
      { src: { dependencyName: 'webhook', dataTemplate: labelValueTemplate('body.repository.full_name'), value: 'unknown' }, dest: 'metadata.labels.example\\.com/repo' },
      { src: { dependencyName: 'webhook', dataTemplate: labelValueTemplate('body.number'), value: 'none' }, dest: 'metadata.labels.example\\.com/pr' },
      { src: { dependencyName: 'webhook', dataKey: 'body.pull_request.html_url', value: '' }, dest: 'metadata.annotations.example\\.com/pr-url' },
      { src: { dependencyName: 'webhook', dataTemplate: '{{ .Input.body.pull_request.title }}', value: '' }, dest: 'metadata.annotations.example\\.com/title' },
    ]);
    expect(labelValueTemplate('body.repository.full_name')).toBe(
      '{{ with (index .Input "body" "repository" "full_name") }}'
      + '{{ regexReplaceAll "^[^A-Za-z0-9]+|[^A-Za-z0-9]+$" (trunc 63 (regexReplaceAll "[^A-Za-z0-9_.-]+" (replace "/" "." (toJson .)) "-")) "" }}'
      + '{{ end }}');
    // List indexes are Go ints, keys are strings.
    expect(labelValueTemplate('header.X-Github-Event.0')).toMatch(/^\{\{ with \(index \.Input "header" "X-Github-Event" 0\) \}\}/);
  });

  test('builders add contexts, outputs, parameters, filters, labels and annotations after construction', () => {
    const chart = chartIn();
    const trigger = new TaskTrigger(chart, 'pr', { name: 'pr-review', task: { description: 'Review it' } });
    trigger.addContext(GIT)
      .addOutputParameter({ name: 'review', path: '.outputs/review.md' })
      .addParameter({ to: 'contexts[0].git.ref', from: 'body.after' })
      .addFilter({ path: 'body.ref', values: ['^refs/heads/main$'] })
      .addLabelFromEvent('example.com/sha', 'body.after')
      .addAnnotationFromEvent('example.com/pusher', 'body.pusher.name');
    const sensor = Testing.synth(chart).find((o) => o.kind === 'Sensor');
    const k8s = sensor.spec.triggers[0].template.k8s;
    expect(k8s.source.resource.spec.contexts).toEqual([GIT]);
    expect(k8s.source.resource.spec.outputs).toEqual({ parameters: [{ name: 'review', path: '.outputs/review.md' }] });
    expect(k8s.parameters.map((p: any) => p.dest)).toEqual(['metadata.labels.example\\.com/sha', 'metadata.annotations.example\\.com/pusher', 'spec.contexts.0.git.ref']);
    expect(sensor.spec.dependencies[0].filters).toEqual({ data: [{ path: 'body.ref', type: 'string', value: ['^refs/heads/main$'] }] });
    expect(trigger.taskTemplate().metadata.labels).toEqual({ 'example.com/sha': 'unknown' });
    expect(trigger.endpoint).toBe('/pr');
    expect(trigger.port).toBe(12000);
  });

  test('names default to the construct path and fit the EventSource Service name', () => {
    const chart = new Chart(new App(), 'a-chart-with-a-rather-long-name', { namespace: 'ci' });
    const trigger = new TaskTrigger(chart, 'a-trigger-with-an-even-longer-name-than-that', { task: { description: 'x' } });
    expect(trigger.name.length).toBeLessThanOrEqual(47);
    expect(`${trigger.name}-eventsource-svc`.length).toBeLessThanOrEqual(63);
    expect(Testing.synth(chart).find((o) => o.kind === 'Sensor').metadata.name).toBe(trigger.name);
  });

  test('label helpers', () => {
    expect(isLabelValue('org.repo')).toBe(true);
    expect(isLabelValue('org/repo')).toBe(false);
    expect(isLabelValue('-x')).toBe(false);
    expect(isLabelValue('x'.repeat(64))).toBe(false);
    expect(isQualifiedName('example.com/repo')).toBe(true);
    expect(isQualifiedName('Example.com/repo')).toBe(false);
    expect(isQualifiedName('repo_')).toBe(false);
    expect(sjsonPath(['metadata', 'labels', 'a.b/c'])).toBe('metadata.labels.a\\.b/c');
  });
});

describe('TaskTrigger validation (at synth, naming the construct path and the field)', () => {
  const at = 'TaskTrigger pr-review (test/pr)';

  test('the Task template is validated against the Task schema and its rules', () => {
    expect(synthError({ task: { description: 'x', contexts: [{ type: 'Git', git: { repository: 'https://github.com/org/repo.git' } }] } }))
      .toContain(`${at}: task template spec.contexts[0]: a Git context needs mountPath: the repository is cloned there`);
    expect(synthError({ task: { description: 'x', timeoutSeconds: 0 } })).toContain(`${at}: task template spec.timeoutSeconds:`);
    expect(synthError({ task: {} })).toContain(`${at}: task template spec.description: Required value`);
    expect(synthError({ agent: { name: 'Not_A_Name' } })).toContain(`${at}: task template spec.agentRef.name:`);
  });

  test('a parameter destination must be a string field of the Task schema', () => {
    expect(synthError({ parameters: [{ to: 'spec.prompt', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.prompt is not a field of the Task schema (fields of spec: description, agentRef, contexts, outputs, mcpServers, timeoutSeconds, retryPolicy)`);
    expect(synthError({ parameters: [{ to: 'contexts[0].git.branch', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.contexts[0].git.branch is not a field of the Task schema (fields of spec.contexts[0].git: repository, ref, path, depth, secretRef)`);
    expect(synthError({ parameters: [{ to: 'timeoutSeconds', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.timeoutSeconds is an integer: Argo Events sets parameters as strings, so only string fields can be filled from the event`);
    expect(synthError({ parameters: [{ to: 'contexts[0].git', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.contexts[0].git is of type object`);
    expect(synthError({ parameters: [{ to: 'contexts.git', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.contexts is a list: index it with [n]`);
  });

  test('a parameter fills a field of the template; it does not create contexts or objects', () => {
    expect(synthError({ parameters: [{ to: 'contexts[1].git.ref', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.contexts[1] is not in the Task template (it has 1 item there)`);
    expect(synthError({ task: { description: 'x', outputs: { parameters: [{ name: 'p', path: 'x' }] } }, parameters: [{ to: 'outputs.parameters[0].default', from: 'body.x' }] })).toBe('');
    expect(synthError({ parameters: [{ to: 'outputs.parameters[0].default', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.outputs is not in the Task template`);
    expect(synthError({ task: { description: 'x', contexts: [{ type: 'Text', text: 'hi' }] }, parameters: [{ to: 'contexts[0].git.ref', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.contexts[0].git is not in the Task template`);
    expect(synthError({ parameters: [{ to: 'contexts[0].git.ref', from: 'body.after' }] })).toBe('');
  });

  test('the event may not choose the Agent, a Secret, or where a Secret is sent', () => {
    expect(synthError({ agent: { name: 'reviewer' }, parameters: [{ to: 'agentRef.name', from: 'body.agent' }] }))
      .toContain(`${at}: parameters[0].to: spec.agentRef.name: the event must not choose the Agent (the Agent decides images and credentials)`);
    const withSecret = { type: 'Git' as const, git: { repository: 'https://github.com/org/private.git', secretRef: { name: 'git-creds' } }, mountPath: 'src' };
    expect(synthError({ task: { description: 'x', contexts: [withSecret] }, parameters: [{ to: 'contexts[0].git.secretRef.name', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.contexts[0].git.secretRef.name: the event must not choose which Secret is used`);
    expect(synthError({ task: { description: 'x', contexts: [withSecret] }, parameters: [{ to: 'contexts[0].git.repository', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: spec.contexts[0].git.repository: context 0 sends the credentials of Secret git-creds there; the event must not choose where`);
    const urlWithSecret = { type: 'URL' as const, url: { source: 'https://api.example.com/spec', secretRef: { name: 'api-token' } } };
    expect(synthError({ task: { description: 'x', contexts: [urlWithSecret] }, parameters: [{ to: 'contexts[0].url.source', from: 'body.x' }] }))
      .toContain('context 0 sends the credentials of Secret api-token there');
    // Without a secretRef the repository may come from the event (the PR example does so).
    expect(synthError({ parameters: [{ to: 'contexts[0].git.repository', from: 'body.x' }] })).toBe('');
  });

  test('metadata, status and malformed destinations are refused; a source is required', () => {
    expect(synthError({ parameters: [{ to: 'metadata.labels.x', from: 'body.x' }] }))
      .toContain(`${at}: parameters[0].to: "metadata.labels.x": fill labels and annotations with labelsFromEvent and annotationsFromEvent`);
    expect(synthError({ parameters: [{ to: 'status.phase', from: 'body.x' }] })).toContain(`${at}: parameters[0].to: "status.phase": the status belongs to the reconciler`);
    expect(synthError({ parameters: [{ to: 'contexts[0]..git', from: 'body.x' }] })).toContain(`${at}: parameters[0].to: "contexts[0]..git" is not a field path`);
    expect(synthError({ parameters: [{ to: 'description' }] })).toContain(`${at}: parameters[0]: set \`from\` (a path into the event) or \`template\``);
    expect(synthError({ parameters: [{ to: 'description', template: 'Review {{ .Input.body.x }' }] })).toContain(`${at}: parameters[0].template: unbalanced {{ and }}`);
  });

  test('labels: valid keys, valid defaults, simple paths', () => {
    expect(synthError({ labelsFromEvent: { 'example.com/Repo!': 'body.x' } })).toContain(`${at}: labelsFromEvent[example.com/Repo!]: not a valid label key`);
    expect(synthError({ labelsFromEvent: { 'example.com/repo': { from: 'body.x', default: 'not/valid' } } }))
      .toContain(`${at}: labelsFromEvent[example.com/repo].default: "not/valid" is not a valid label value`);
    expect(synthError({ labelsFromEvent: { 'example.com/repo': 'body.labels.#.name' } }))
      .toContain(`${at}: labelsFromEvent[example.com/repo].from: "body.labels.#.name" must be a dotted path`);
    expect(synthError({ task: { description: 'x', labels: { 'example.com/repo': 'a' } }, labelsFromEvent: { 'example.com/repo': 'body.x' } }))
      .toContain(`${at}: labelsFromEvent[example.com/repo]: also a fixed label in task.labels: keep one`);
    expect(synthError({ task: { description: 'x', labels: { 'example.com/repo': 'org/repo' } } }))
      .toContain(`${at}: task.labels[example.com/repo]: "org/repo" is not a valid label value`);
  });

  test('namespace, name, webhook and generateName', () => {
    expect(synthError({}, new Chart(new App(), 'test'))).toContain(`${at}: namespace: required`);
    expect(synthError({ name: 'x'.repeat(48) })).toContain(`: name: "${'x'.repeat(48)}" must be a DNS label of at most 47 characters`);
    expect(synthError({ webhook: { port: 70000 } })).toContain(`${at}: webhook.port: 70000 is not a port (1-65535)`);
    expect(synthError({ webhook: { endpoint: 'github' } })).toContain(`${at}: webhook.endpoint: "github" must be a URL path starting with '/'`);
    expect(synthError({ task: { description: 'x', generateName: 'PR-' } })).toContain(`${at}: task.generateName: "PR-" must be lower-case`);
    expect(synthError({ filters: [{ path: 'body.action', values: [] }] })).toContain(`${at}: filters[0].values: at least one value is required`);
  });
});
