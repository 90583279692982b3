/**
 * The Agent and Task of the echo flow, built from the seed README's YAML (our contract): the
 * quick start (01, 02), the contexts fragment (03), the credentials of 04 and the outputs of
 * 06 and 07, adjusted only where the test needs it: both images are the echo image we build,
 * the contexts point at the test's servers, and every kind of context and credential
 * appears at least once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectScript } from './echo-agent.js';
import { configMapManifest, secretManifest, serviceAccountManifest } from './support.js';
import { E2E_IMAGES } from '../../harness/e2e/images.js';
import { PodServers } from '../../harness/e2e/servers.js';
import { Manifest } from '../../harness/kube.js';
import { Doc, parseManifests } from '../../src/cli/manifests.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';

const seedDir = new URL('../../examples/seed-readme/', import.meta.url).pathname;
export function seedDoc(file: string): Doc {
  return parseManifests(readFileSync(join(seedDir, file), 'utf8'), file)[0];
}

/** The Secrets the Agent's credentials name (04 and the quick start), with test values. */
export const SECRETS = {
  'ai-credentials': { 'opencode-key': 'sk-test-opencode' },
  'ssh-keys': { id_rsa: '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n' },
  'gh-config': { 'hosts.yml': 'github.com:\n  oauth_token: gho_test\n', 'config.yml': 'editor: vim\n' },
  'cloud-env': { CLOUD_REGION: 'eu-west-1', CLOUD_PROJECT: 'kubeopencode-test' },
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

/** What the agent writes: outputs (one too long for the termination message), and files next to mounted contexts. */
export const AGENT_OUTPUTS = {
  '.outputs/pr-url': 'https://github.com/org/repo/pull/42\n',
  '.outputs/log': 'x'.repeat(5000),
  'source-code/CHANGES.md': 'changed\n',
  '/home/agent/summary.txt': 'from-home\n',
};

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
  '/workspace/source-code/.git/HEAD',
  '/opt/at-two/README.md',
  '/opt/at-two/.git/HEAD',
  '/opt/at-two/feature.txt',
  '/opt/feature/feature.txt',
  '/opt/feature/.git/HEAD',
  '/opt/guides/guide.md',
  '/opt/guides/api/index.md',
  '/opt/guides/.git',
  '/workspace/specs/openapi.yaml',
  '/home/agent/.ssh/id_rsa',
  '/home/agent/.config/gh/hosts.yml',
  '/tools/opencode',
];

/** The agent's user creates these beside its mounted credentials (their parents are mount points' parents). */
const CREATE_BESIDE_MOUNTS = [
  'mkdir -p "$HOME/.config/opencode" 2>&1 && echo "created $HOME/.config/opencode"',
  'touch "$HOME/.ssh/known_hosts" 2>&1 && echo "created $HOME/.ssh/known_hosts"',
];

/** The seed's command (`/tools/opencode run "$(cat ${WORKSPACE_DIR}/task.md)"`), after the inspection. */
export function echoCommand(script: string): string[] {
  const [sh, c, seedCommand] = seedDoc('01-quick-start-agent.yaml').spec.command as string[];
  return [sh, c, `${script}\n${seedCommand}`];
}

/** The quick-start Agent with the echo image, the Runtime context, credentials of every mode and the outputs of 06. */
export function echoAgent(namespace: string): AgentObject {
  const quickStart = seedDoc('01-quick-start-agent.yaml');
  const configured = seedDoc('04-agent-configuration.yaml');
  return {
    metadata: { name: quickStart.metadata!.name!, namespace },
    spec: {
      ...quickStart.spec,
      agentImage: E2E_IMAGES.echo,
      executorImage: E2E_IMAGES.echo,
      command: echoCommand(inspectScript({ inspect: INSPECT, outputs: AGENT_OUTPUTS, extra: CREATE_BESIDE_MOUNTS })),
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

/** The Secrets of the Git contexts: HTTPS with a token and the server's private CA; SSH with a key and the host key. */
export const gitSecrets = (servers: PodServers) => ({
  'git-https': { ...servers.gitLogin, 'ca.crt': servers.ca },
  'git-ssh': { 'ssh-privatekey': servers.gitSsh.privateKey, 'ssh-known-hosts': servers.gitSsh.knownHosts },
});

/** The quick-start Task with every kind of context, and the outputs of 07 plus what the layout cases need. */
export function echoTask(namespace: string, servers: PodServers): TaskObject {
  const quickStart = seedDoc('02-quick-start-task.yaml');
  const fragment = seedDoc('03-contexts-fragment.yaml').contexts;
  const https = { secretRef: { name: 'git-https' } };
  const ssh = { secretRef: { name: 'git-ssh' } };
  return {
    metadata: { name: quickStart.metadata!.name!, namespace },
    spec: {
      description: quickStart.spec.description,
      contexts: [
        ...quickStart.spec.contexts, // Text, aggregated
        { ...fragment[0], mountPath: 'rules/AGENT_RULES.md', fileMode: 0o600 }, // Text, written into the workspace
        { type: 'Text', text: 'welcome\n', mountPath: '/etc/motd.d/kubeopencode', fileMode: 0o444 }, // Text, mounted outside it
        { type: 'ConfigMap', configMap: { name: 'team-docs', key: 'style.md' } }, // ConfigMap key, aggregated
        { type: 'ConfigMap', configMap: { name: 'team-docs', key: 'review.md' }, mountPath: '/opt/team/review.md', fileMode: 0o440 },
        fragment[1], // whole ConfigMap my-scripts as .scripts, 0755
        { type: 'ConfigMap', configMap: { name: 'team-docs' } }, // whole ConfigMap, aggregated
        { type: 'ConfigMap', configMap: { name: 'team-docs' }, mountPath: '/opt/team-docs', fileMode: 0o444 }, // as a directory outside
        { ...fragment[2], git: { repository: servers.gitHttps.url('repo.git'), ref: 'v1', ...https } }, // a tag, HTTPS + token
        { type: 'Git', git: { repository: servers.gitSsh.url('repo.git'), ref: servers.repo.commits.two, ...ssh }, mountPath: '/opt/at-two' }, // a SHA, SSH
        { type: 'Git', git: { repository: servers.gitHttps.url('repo.git'), ref: 'feature', ...https }, mountPath: '/opt/feature' }, // a branch
        { type: 'Git', git: { repository: servers.gitSsh.url('repo.git'), path: 'docs', ...ssh }, mountPath: '/opt/guides' }, // a subdirectory
        { ...fragment[3], url: { source: servers.urls.url('/openapi.yaml'), secretRef: { name: 'api-token' } } }, // URL, mounted
        { type: 'URL', name: 'release-notes', url: { source: servers.urls.url('/notes.md'), headers: { 'X-Team': 'platform' } } }, // inlined
        { type: 'Text', text: 'Keep the change small.' }, // after the inlined URL
      ],
      outputs: {
        parameters: [
          ...seedDoc('07-outputs-task.yaml').spec.outputs.parameters,
          { name: 'log', path: '.outputs/log' },
          { name: 'changes', path: 'source-code/CHANGES.md' }, // inside a Git context mounted in the workspace
          { name: 'home-note', path: '/home/agent/summary.txt' }, // an absolute path in $HOME
        ],
      },
    },
  };
}

/** Everything the echo flow's namespace holds before its Task: the Agent's ServiceAccount, Secrets and ConfigMaps. */
export function namespaceObjects(namespace: string, servers: PodServers): Manifest[] {
  const agent = seedDoc('01-quick-start-agent.yaml');
  return [
    serviceAccountManifest(namespace, agent.spec.serviceAccountName),
    ...Object.entries({ ...SECRETS, ...gitSecrets(servers) }).map(([name, data]) => secretManifest(namespace, name, data)),
    ...Object.entries(CONFIG_MAPS).map(([name, data]) => configMapManifest(namespace, name, data)),
  ];
}
