/**
 * Paths where a real Pod's layout matters beyond the main echo flow, run on the local
 * kubelet: a repository cloned into the workspace itself, and what the agent's files look
 * like to the outputs sidecar and to the agent when contexts and credentials are mounted
 * inside the workspace and $HOME.
 *
 * The last three cases were bugs this local kubelet found (now fixed in task-pod.ts and
 * context-init): they keep them fixed.
 */
import { NAMESPACE, runEchoTask, seedDoc } from './echo-flow-fixture.js';
import { parseTerminationMessage, TerminationMessage } from '../../src/api/outputs-format.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { createFixtureRepo, Fixture, GitServer, startGitDaemon } from '../cli/git-servers.js';
import { makeTempDir, removeTempDirs } from '../cli/helpers.js';
import { LocalKubelet, PodRun } from '../support/local-kubelet.js';

/** Running a Pod takes a few seconds here; allow a slow machine much more. */
const POD_TIMEOUT_MS = 120_000;

let kubelet: LocalKubelet;
let repo: Fixture;
let gitDaemon: GitServer;

beforeAll(async () => {
  kubelet = LocalKubelet.create(); // throws, saying what is missing, where Pods cannot run
  repo = createFixtureRepo(makeTempDir('pod-layout-git'));
  gitDaemon = await startGitDaemon(repo.base);
});

afterAll(async () => {
  await gitDaemon?.stop();
  kubelet?.cleanup();
  removeTempDirs();
});

/** The quick-start Agent with another command. */
function agentRunning(script: string, extra: Partial<AgentObject['spec']> = {}): AgentObject {
  return {
    metadata: { name: 'layout', namespace: NAMESPACE },
    spec: { ...seedDoc('01-quick-start-agent.yaml').spec, command: ['sh', '-c', script], ...extra },
  };
}

const taskWith = (spec: Partial<TaskObject['spec']>): TaskObject => ({
  metadata: { name: 'layout-task', namespace: NAMESPACE },
  spec: { description: 'Check the layout.', ...spec },
});

test('a repository cloned into the workspace itself is usable by the agent\'s user (safe.directory), with task.md beside it', async () => {
  const { run } = await runEchoTask(kubelet, taskWith({
    contexts: [{ type: 'Git', git: { repository: gitDaemon.url('repo.git'), ref: 'feature' }, mountPath: '/workspace' }],
  }), agentRunning('git status --porcelain && git rev-parse HEAD && git log -1 --format=%s'), '#!/bin/sh\n');
  expect(run.containers.map((c) => [c.name, c.exitCode])).toEqual([['tools', 0], ['git-0', 0], ['context', 0], ['agent', 0]]);
  // The workspace's root belongs to root (an emptyDir): without the Pod's GIT_CONFIG_* safe.directory, git would refuse it.
  expect(run.container('agent').stdout).toBe(`?? task.md\n${repo.commits.feature}\nfeature\n`);
}, POD_TIMEOUT_MS);

describe('files the agent writes next to mounted contexts and credentials', () => {
  let run: PodRun;
  let outputs: TerminationMessage;

  beforeAll(async () => {
    const script = [
      'echo changed > source-code/CHANGES.md && echo "wrote source-code/CHANGES.md"',
      'echo from-home > "$HOME/summary.txt" && echo "wrote $HOME/summary.txt"',
      'mkdir -p "$HOME/.config/opencode" 2>&1 && echo "created $HOME/.config/opencode"',
      'touch "$HOME/.ssh/known_hosts" 2>&1 && echo "created $HOME/.ssh/known_hosts"',
      'exit 0',
    ].join('\n');
    const configured = seedDoc('04-agent-configuration.yaml').spec;
    const agent = agentRunning(script, {
      credentials: [
        configured.credentials[1], // ~/.ssh/id_rsa
        { name: 'gh-config', secretRef: { name: 'gh-config' }, mountPath: '/home/agent/.config/gh' },
      ],
    });
    ({ run } = await runEchoTask(kubelet, taskWith({
      contexts: [{ type: 'Git', git: { repository: gitDaemon.url('repo.git') }, mountPath: 'source-code' }],
      outputs: { parameters: [{ name: 'changes', path: 'source-code/CHANGES.md' }, { name: 'summary', path: '/home/agent/summary.txt' }] },
    }), agent, '#!/bin/sh\n'));
    outputs = parseTerminationMessage(run.container('outputs').message!);
  }, POD_TIMEOUT_MS);

  test('the Pod runs and the agent writes its files (what the cases below rely on)', () => {
    expect(run.phase).toBe('Succeeded');
    expect(run.container('agent').stdout).toContain('wrote source-code/CHANGES.md\nwrote /home/agent/summary.txt\n');
    expect(run.container('outputs').exitCode).toBe(0);
  });

  // The sidecar once mounted only the workspace volume, so to it a Git (or URL) context mounted inside
  // the workspace was the empty mount point the runtime created: the agent's file there was "missing".
  test('an output inside a Git context mounted in the workspace reaches the termination message', () => {
    expect(outputs.parameters.changes).toBe('changed');
  });

  // Same cause: output paths may be absolute, and the sidecar did not mount the home volume.
  test('an output at an absolute path in $HOME reaches the termination message', () => {
    expect(outputs.parameters.summary).toBe('from-home');
  });

  // The runtime created the parents of the mount points /home/agent/.config/gh and /home/agent/.ssh/id_rsa
  // as root, so the agent could not create ~/.config/opencode or ~/.ssh/known_hosts; context-init now
  // creates those parents as the agent's user first.
  test('the agent can create ~/.config/opencode and ~/.ssh/known_hosts beside its mounted credentials', () => {
    expect(run.container('agent').stdout).toContain('created /home/agent/.config/opencode\ncreated /home/agent/.ssh/known_hosts\n');
  });
});
