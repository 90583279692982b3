/**
 * The Agent and Task of the echo flow, built from the seed README's YAML (our contract):
 * the quick start (01, 02), the contexts fragment (03), the credentials of 04 and the
 * outputs of 06 and 07, with the contexts pointed at local servers and completed so that
 * every kind of context and credential appears once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { UrlServer } from './url-server.js';
import { Defaults } from '../../src/api/constants.js';
import { Doc, parseManifests } from '../../src/cli/manifests.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { renderTask } from '../../src/reconciler/render.js';
import { Fixture, GitServer } from '../cli/git-servers.js';
import { makeTempDir } from '../cli/helpers.js';
import { executorImage, kubeopencodeImage, opencodeToolsImage } from '../support/images.js';
import { LocalKubelet } from '../support/local-kubelet.js';

export const NAMESPACE = 'kubeopencode-system';

const seedDir = new URL('../../examples/seed-readme/', import.meta.url).pathname;
export function seedDoc(file: string): Doc {
  return parseManifests(readFileSync(join(seedDir, file), 'utf8'), file)[0];
}

export const SECRETS = {
  'ai-credentials': { 'opencode-key': 'sk-test-opencode' },
  'ssh-keys': { id_rsa: '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n' },
  'gh-config': { 'hosts.yml': 'github.com:\n  oauth_token: gho_test\n', 'config.yml': 'editor: vim\n' },
  'cloud-env': { CLOUD_REGION: 'eu-west-1', CLOUD_PROJECT: 'kubeopencode-test' },
  'git-credentials': { username: 'git-user', password: 'git-pass' },
  'api-token': { token: 'url-token' },
};

export const CONFIG_MAPS = {
  'team-docs': { 'style.md': '# Style\nTabs, not spaces.\n', 'review.md': '# Review\nTwo approvals.\n' },
  'my-scripts': { 'setup.sh': '#!/bin/sh\necho setup\n', 'lint.sh': '#!/bin/sh\necho lint\n' },
};

export const URL_DOCUMENTS = {
  '/openapi.yaml': { body: 'openapi: 3.0.0\ninfo:\n  title: Demo\n', require: { authorization: 'Bearer url-token' } },
  '/notes.md': { body: 'Release 1.2: faster builds.', require: { 'x-team': 'platform' } },
};

/** What the agent writes (relative to the workspace): one output, and one too long for the termination message. */
export const AGENT_OUTPUTS = {
  '.outputs/pr-url': 'https://github.com/org/repo/pull/42\n',
  '.outputs/log': 'x'.repeat(5000),
};

export interface Servers {
  readonly repo: Fixture;
  readonly gitHttp: GitServer;
  readonly gitDaemon: GitServer;
  readonly urls: UrlServer;
}

/** The quick-start Agent, with the Runtime context, the credentials of every mode and the outputs of 06. */
export function echoAgent(): AgentObject {
  const quickStart = seedDoc('01-quick-start-agent.yaml');
  const configured = seedDoc('04-agent-configuration.yaml');
  return {
    metadata: { name: quickStart.metadata!.name!, namespace: NAMESPACE },
    spec: {
      ...quickStart.spec,
      contexts: [{ type: 'Runtime' }, ...configured.spec.contexts],
      credentials: [
        ...quickStart.spec.credentials, // a key as an env var
        configured.spec.credentials[1], // a key as a file, fileMode 0400
        { name: 'gh-config', secretRef: { name: 'gh-config' }, mountPath: '/home/agent/.config/gh' }, // a whole Secret as a directory
        { name: 'cloud-env', secretRef: { name: 'cloud-env' } }, // a whole Secret as env vars
      ],
      outputs: seedDoc('06-outputs-agent.yaml').spec.outputs,
    },
  };
}

/** The quick-start Task with every kind of context, and the outputs of 07 plus one that is too long. */
export function echoTask(servers: Servers): TaskObject {
  const quickStart = seedDoc('02-quick-start-task.yaml');
  const fragment = seedDoc('03-contexts-fragment.yaml').contexts;
  return {
    metadata: { name: quickStart.metadata!.name!, namespace: NAMESPACE, uid: 'uid-echo-flow' },
    spec: {
      description: quickStart.spec.description,
      contexts: [
        ...quickStart.spec.contexts, // [2] Text, aggregated
        { ...fragment[0], mountPath: 'rules/AGENT_RULES.md', fileMode: 0o600 }, // [3] Text, written into the workspace
        { type: 'Text', text: 'welcome\n', mountPath: '/etc/motd.d/kubeopencode', fileMode: 0o444 }, // [4] Text, mounted outside it
        { type: 'ConfigMap', configMap: { name: 'team-docs', key: 'style.md' } }, // [5] ConfigMap key, aggregated
        { type: 'ConfigMap', configMap: { name: 'team-docs', key: 'review.md' }, mountPath: '/opt/team/review.md', fileMode: 0o440 }, // [6]
        fragment[1], // [7] whole ConfigMap my-scripts as .scripts, 0755
        { type: 'ConfigMap', configMap: { name: 'team-docs' } }, // [8] whole ConfigMap, aggregated
        { type: 'ConfigMap', configMap: { name: 'team-docs' }, mountPath: '/opt/team-docs', fileMode: 0o444 }, // [9] as a directory outside
        { ...fragment[2], git: { repository: servers.gitHttp.url('repo.git'), ref: 'v1', secretRef: { name: 'git-credentials' } } }, // [10]
        { type: 'Git', git: { repository: servers.gitDaemon.url('repo.git'), ref: servers.repo.commits.two, path: 'docs' }, mountPath: '/opt/guides' },
        { ...fragment[3], url: { source: servers.urls.url('/openapi.yaml'), secretRef: { name: 'api-token' } } }, // [12] URL, mounted
        { type: 'URL', name: 'release-notes', url: { source: servers.urls.url('/notes.md'), headers: { 'X-Team': 'platform' } } }, // [13] inlined
        { type: 'Text', text: 'Keep the change small.' }, // [14] after the inlined URL
      ],
      outputs: {
        parameters: [...seedDoc('07-outputs-task.yaml').spec.outputs.parameters, { name: 'log', path: '.outputs/log' }],
      },
    },
  };
}

/** Paths the agent inspects from inside its container. */
export const INSPECT = [
  '/workspace/task.md',
  '/workspace/rules/AGENT_RULES.md',
  '/etc/motd.d/kubeopencode',
  '/opt/team/review.md',
  '/workspace/.scripts/setup.sh',
  '/opt/team-docs',
  '/opt/team-docs/style.md',
  '/workspace/source-code/README.md',
  '/opt/guides/guide.md',
  '/opt/guides/api/index.md',
  '/workspace/specs/openapi.yaml',
  '/home/agent/.ssh/id_rsa',
  '/home/agent/.config/gh/hosts.yml',
  '/tools/opencode',
];

/**
 * Renders the Task exactly as the reconciler would (renderTask) and runs its Pod on the
 * local kubelet; the tools image installs `fakeOpencode` as /tools/opencode.
 */
export async function runEchoTask(kubelet: LocalKubelet, task: TaskObject, agent: AgentObject, fakeOpencode: string) {
  const configMaps = Object.fromEntries(Object.entries(CONFIG_MAPS).map(([name, data]) => [`${NAMESPACE}/${name}`, data]));
  const rendered = renderTask({ task, agent, configMaps });
  const layers = makeTempDir('echo-flow-images');
  const run = await kubelet.runPod({
    pod: rendered.pod as V1Pod,
    objects: { configMaps: { ...CONFIG_MAPS, [rendered.configMap.metadata.name]: rendered.configMap.data }, secrets: SECRETS },
    images: {
      [Defaults.systemImage]: kubeopencodeImage(join(layers, 'system')),
      [agent.spec.agentImage ?? Defaults.agentImage]: opencodeToolsImage(join(layers, 'tools'), fakeOpencode),
      [agent.spec.executorImage ?? Defaults.executorImage]: executorImage(),
    },
  });
  return { rendered, run };
}
