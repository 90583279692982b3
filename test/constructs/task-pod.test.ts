import { readFileSync } from 'node:fs';
import { App, Chart, Testing } from 'cdk8s';
import { TaskPod, TaskPodProps } from '../../src/constructs/task-pod.js';

function render(props: Partial<TaskPodProps> & { taskSpec?: object; agentSpec?: object; agentNs?: string } = {}) {
  const chart = new Chart(new App(), 'test');
  const taskPod = new TaskPod(chart, 'task', {
    task: { metadata: { name: 'fix-bug-123', namespace: 'dev-team-a', uid: 'uid-1' }, spec: { description: 'Fix it', ...(props.taskSpec ?? {}) } },
    agent: { metadata: { name: 'opencode-agent', namespace: props.agentNs ?? 'dev-team-a' }, spec: { ...(props.agentSpec ?? {}) } },
    configMaps: props.configMaps,
    systemImage: props.systemImage,
  });
  const objects = Testing.synth(chart);
  const pod = objects.find((o) => o.kind === 'Pod');
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  const container = (name: string) => [...pod.spec.initContainers, ...pod.spec.containers].find((c: any) => c.name === name);
  return { taskPod, pod, configMap, container };
}

describe('TaskPod', () => {
  test('the Pod and ConfigMap carry exactly the stable labels the README documents', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('### Selecting Tasks and their Pods'));
    const documented = [...table.matchAll(/^\| `([a-z./-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented.length).toBeGreaterThan(4);
    const { pod, configMap } = render();
    expect(Object.keys(pod.metadata.labels).sort()).toEqual(documented);
    expect(configMap.metadata.labels).toEqual(pod.metadata.labels);
  });

  test('names the Pod and ConfigMap after the Task, within 63 characters, unique per namespace', () => {
    const { pod, configMap } = render();
    expect(pod.metadata.name).toMatch(/^fix-bug-123-[0-9a-f]{8}$/);
    expect(configMap.metadata.name).toBe(pod.metadata.name);
    const long = new TaskPod(new Chart(new App(), 'test'), 't', {
      task: { metadata: { name: 'a'.repeat(250), namespace: 'x' }, spec: { description: 'd' } },
      agent: { metadata: { name: 'a', namespace: 'x' }, spec: {} },
    });
    const other = new TaskPod(new Chart(new App(), 'test'), 't', {
      task: { metadata: { name: 'a'.repeat(250), namespace: 'y' }, spec: { description: 'd' } },
      agent: { metadata: { name: 'a', namespace: 'x' }, spec: {} },
    });
    expect(long.resourceName.length).toBeLessThanOrEqual(63);
    expect(long.resourceName).not.toBe(other.resourceName);
  });

  test('a Task from another namespace may not name a Secret of the Agent\'s namespace in a Git or URL context', () => {
    const git = { type: 'Git', git: { repository: 'https://git.example/r.git', secretRef: { name: 'github-token' } }, mountPath: 'src' };
    const url = { type: 'URL', url: { source: 'https://collector.example/u', secretRef: { name: 'api-token' } } };
    expect(() => render({ agentNs: 'platform-agents', taskSpec: { contexts: [git] } })).toThrow(
      'Task dev-team-a/fix-bug-123 spec.contexts[0].git.secretRef: a Task from namespace dev-team-a cannot use Secrets of the Agent\'s namespace platform-agents (github-token); '
      + 'the Agent names the Secrets its Pods may use (in its own contexts or credentials)');
    expect(() => render({ agentNs: 'platform-agents', taskSpec: { contexts: [{ type: 'Text', text: 'x' }, url] } })).toThrow(/spec\.contexts\[1\]\.url\.secretRef: .*\(api-token\)/);
    // In its own namespace the Secret is the Task's team's own; on the Agent, the platform's choice.
    const own = render({ taskSpec: { contexts: [git] } }).pod;
    expect(own.spec.volumes.map((v: any) => v.secret?.secretName).filter(Boolean)).toEqual(['github-token']);
    const agentOwned = render({ agentNs: 'platform-agents', agentSpec: { contexts: [git] } }).pod;
    expect(agentOwned.spec.volumes.map((v: any) => v.secret?.secretName).filter(Boolean)).toEqual(['github-token']);
  });

  test('same namespace: owned by the Task through a controller ownerReference', () => {
    const { pod, configMap } = render();
    const owner = { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', name: 'fix-bug-123', uid: 'uid-1', controller: true, blockOwnerDeletion: true };
    expect(pod.metadata.ownerReferences).toEqual([owner]);
    expect(configMap.metadata.ownerReferences).toEqual([owner]);
  });

  test('cross namespace: runs in the Agent\'s namespace without ownerReferences', () => {
    const { pod, configMap } = render({ agentNs: 'platform-agents' });
    expect(pod.metadata.namespace).toBe('platform-agents');
    expect(configMap.metadata.namespace).toBe('platform-agents');
    expect(pod.metadata.ownerReferences).toBeUndefined();
    expect(pod.metadata.labels).toMatchObject({ 'kubeopencode.io/task': 'fix-bug-123', 'kubeopencode.io/task-namespace': 'dev-team-a', 'kubeopencode.io/task-uid': 'uid-1' });
  });

  test('meets the restricted Pod Security Standard in every container', () => {
    const { pod } = render({ taskSpec: { contexts: [{ type: 'Git', git: { repository: 'https://h/r' }, mountPath: 'src' }] }, agentSpec: { outputs: { parameters: [{ name: 'o', path: 'o' }] } } });
    expect(pod.spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    }
    expect(pod.spec.volumes.every((v: any) => !v.hostPath)).toBe(true);
  });

  test('runs the init containers in order and the agent last', () => {
    const { pod } = render({
      taskSpec: {
        contexts: [
          { type: 'Git', git: { repository: 'https://h/r.git', ref: 'v1.2' }, mountPath: 'src' },
          { type: 'URL', url: { source: 'https://h/spec.yaml', headers: { Accept: 'text/yaml' } } },
        ],
      },
      agentSpec: { outputs: { parameters: [{ name: 'pr-url', path: '.outputs/pr-url' }] } },
    });
    expect(pod.spec.initContainers.map((c: any) => c.name)).toEqual(['tools', 'git-0', 'url-0', 'context', 'outputs']);
    expect(pod.spec.containers.map((c: any) => c.name)).toEqual(['agent']);
    expect(pod.spec.restartPolicy).toBe('Never');
  });

  test('git-N clones at the ref into its own volume, mounted at mountPath for the agent', () => {
    const { container } = render({ taskSpec: { contexts: [{ type: 'Git', git: { repository: 'https://h/r.git', ref: 'main', depth: 5, secretRef: { name: 'git-creds' } }, mountPath: 'source-code' }] } });
    expect(container('git-0').command).toEqual([
      'kubeopencode', 'git-init', '--repository', 'https://h/r.git', '--target', '/kubeopencode/fetched/git-0/repo',
      '--depth', '5', '--ref', 'main', '--secret-dir', '/kubeopencode/secrets/git-0-secret',
    ]);
    expect(container('agent').volumeMounts).toContainEqual({ name: 'git-0', mountPath: '/workspace/source-code', subPath: 'repo' });
  });

  test('the agent gets the documented environment and the Agent\'s command', () => {
    const { container } = render({ agentNs: 'platform-agents', agentSpec: { command: ['sh', '-c', 'echo hi'] } });
    const agent = container('agent');
    expect(agent.command).toEqual(['sh', '-c', 'echo hi']);
    expect(agent.workingDir).toBe('/workspace');
    expect(agent.env).toEqual([
      { name: 'HOME', value: '/home/agent' },
      { name: 'TASK_NAME', value: 'fix-bug-123' },
      { name: 'TASK_NAMESPACE', value: 'dev-team-a' },
      { name: 'WORKSPACE_DIR', value: '/workspace' },
    ]);
  });

  test('credentials: all four modes', () => {
    const { pod, container } = render({
      agentSpec: {
        credentials: [
          { name: 'all-env', secretRef: { name: 'env-secret' } },
          { name: 'all-dir', secretRef: { name: 'dir-secret' }, mountPath: '/etc/creds' },
          { name: 'key-env', secretRef: { name: 'ai', key: 'opencode-key' }, env: 'OPENCODE_API_KEY' },
          { name: 'key-file', secretRef: { name: 'ssh', key: 'id_rsa' }, mountPath: '/home/agent/.ssh/id_rsa', fileMode: 0o400 },
        ],
      },
    });
    const agent = container('agent');
    expect(agent.envFrom).toEqual([{ secretRef: { name: 'env-secret' } }]);
    expect(agent.env).toContainEqual({ name: 'OPENCODE_API_KEY', valueFrom: { secretKeyRef: { name: 'ai', key: 'opencode-key' } } });
    expect(pod.spec.volumes).toContainEqual({ name: 'credential-1', secret: { secretName: 'dir-secret', defaultMode: 0o600 } });
    expect(pod.spec.volumes).toContainEqual({ name: 'credential-3', secret: { secretName: 'ssh', items: [{ key: 'id_rsa', path: 'value', mode: 0o400 }] } });
    expect(agent.volumeMounts).toContainEqual({ name: 'credential-1', mountPath: '/etc/creds', readOnly: true });
    expect(agent.volumeMounts).toContainEqual({ name: 'credential-3', mountPath: '/home/agent/.ssh/id_rsa', readOnly: true, subPath: 'value' });
    expect(container('git-0')).toBeUndefined();
  });

  test('credentials appear only in the agent container', () => {
    const { pod } = render({ agentSpec: { credentials: [{ name: 'k', secretRef: { name: 'ai', key: 'k' }, env: 'K' }] } });
    for (const c of pod.spec.initContainers) expect(JSON.stringify(c)).not.toContain('"ai"');
  });

  test('outputs: merged by name (the Task wins) and collected by a native sidecar', () => {
    const { configMap, container } = render({
      agentSpec: { outputs: { parameters: [{ name: 'pr-url', path: '.outputs/pr-url' }, { name: 'summary', path: '.outputs/summary', default: 'No summary provided' }] } },
      taskSpec: { outputs: { parameters: [{ name: 'summary', path: 'SUMMARY.md' }] } },
    });
    expect(JSON.parse(configMap.data['outputs.json'])).toEqual([{ name: 'pr-url', path: '.outputs/pr-url' }, { name: 'summary', path: 'SUMMARY.md' }]);
    expect(container('outputs')).toMatchObject({ restartPolicy: 'Always', terminationMessagePolicy: 'File' });
  });

  test('scheduling, runtime class, resources and labels come from the Agent\'s podSpec', () => {
    const { pod, container } = render({
      agentSpec: {
        podSpec: {
          labels: { 'network-policy': 'agent-restricted' },
          runtimeClassName: 'gvisor',
          scheduling: { nodeSelector: { 'node-type': 'ai-workload' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ai-workload', effect: 'NoSchedule' }] },
          resources: { limits: { memory: '4Gi' }, requests: { cpu: '500m' } },
        },
      },
    });
    expect(pod.metadata.labels['network-policy']).toBe('agent-restricted');
    expect(pod.spec.runtimeClassName).toBe('gvisor');
    expect(pod.spec.nodeSelector).toEqual({ 'node-type': 'ai-workload' });
    expect(pod.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'ai-workload', effect: 'NoSchedule' }]);
    expect(container('agent').resources).toEqual({ limits: { memory: '4Gi' }, requests: { cpu: '500m' } });
  });

  test('timeoutSeconds becomes activeDeadlineSeconds', () => {
    expect(render({ taskSpec: { timeoutSeconds: 900 } }).pod.spec.activeDeadlineSeconds).toBe(900);
  });

  test('reads ConfigMap contexts from the namespace that declared them', () => {
    const { configMap } = render({
      agentNs: 'platform-agents',
      agentSpec: { contexts: [{ type: 'ConfigMap', configMap: { name: 'standards', key: 'md' } }] },
      taskSpec: { contexts: [{ type: 'ConfigMap', configMap: { name: 'standards', key: 'md' } }] },
      configMaps: { 'platform-agents/standards': { md: 'platform rules' }, 'dev-team-a/standards': { md: 'team rules' } },
    });
    const md = configMap.data['task.md'];
    expect(md.indexOf('platform rules')).toBeGreaterThan(0);
    expect(md.indexOf('team rules')).toBeGreaterThan(md.indexOf('platform rules'));
  });

  test('the system image comes from the config', () => {
    const { container } = render({ systemImage: { image: 'registry.local/koc:1.0', imagePullPolicy: 'Never' } });
    expect(container('context')).toMatchObject({ image: 'registry.local/koc:1.0', imagePullPolicy: 'Never' });
  });

  test('is deterministic', () => {
    expect(render().pod).toEqual(render().pod);
    expect(render({ agentNs: 'platform-agents' }).pod).toMatchSnapshot();
  });
});

describe('TaskPod details', () => {
  test('the outputs collector keeps its message within the Pod\'s share of 12 KiB', () => {
    const chart = new Chart(new App(), 'test');
    new TaskPod(chart, 't', {
      task: { metadata: { name: 't', namespace: 'ns' }, spec: { description: 'd', contexts: [{ type: 'Git', git: { repository: 'https://h/r' }, mountPath: 's' }] } },
      agent: { metadata: { name: 'a', namespace: 'ns' }, spec: { outputs: { parameters: [{ name: 'o', path: 'o' }] } } },
    });
    const pod = Testing.synth(chart).find((o) => o.kind === 'Pod');
    const outputs = pod.spec.initContainers.find((c: any) => c.name === 'outputs');
    const containers = pod.spec.initContainers.length + pod.spec.containers.length;
    expect(containers).toBe(5);
    const flag = outputs.command.indexOf('--max-bytes');
    expect(outputs.command[flag + 1]).toBe(String(Math.floor(12288 / 5)));
    expect(outputs.startupProbe).toEqual({ exec: { command: ['test', '-e', '/tmp/collect-outputs.ready'] }, periodSeconds: 1, failureThreshold: 120 });
    expect(outputs.volumeMounts).toContainEqual({ name: 'git-0', mountPath: '/workspace/s', subPath: 'repo', readOnly: true });
  });

  test('a repository cloned into the workspace root is a safe.directory for the agent', () => {
    const chart = new Chart(new App(), 'test');
    new TaskPod(chart, 't', {
      task: { metadata: { name: 't', namespace: 'ns' }, spec: { description: 'd', contexts: [{ type: 'Git', git: { repository: 'https://h/r' }, mountPath: '.' }] } },
      agent: { metadata: { name: 'a', namespace: 'ns' }, spec: {} },
    });
    const pod = Testing.synth(chart).find((o) => o.kind === 'Pod');
    const agent = pod.spec.containers[0];
    expect(agent.env).toEqual(expect.arrayContaining([{ name: 'GIT_CONFIG_KEY_0', value: 'safe.directory' }, { name: 'GIT_CONFIG_VALUE_0', value: '/workspace' }]));
    expect(pod.spec.initContainers.find((c: any) => c.name === 'git-0').command).toContain('/workspace');
    expect(agent.volumeMounts.filter((m: any) => m.mountPath === '/workspace')).toEqual([{ name: 'workspace', mountPath: '/workspace' }]);
  });
});
