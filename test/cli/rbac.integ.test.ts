/**
 * Two people with different rights, as ServiceAccounts with tokens from the TokenRequest API:
 * a developer of team A, who may work with Tasks in team A only, and a lead of team B, who may
 * read Tasks everywhere and stop them in team B. The CLI runs as each of them, and the API
 * server's refusals come out as one kubectl-like line, exit code 1.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { makeTempDir, removeTempDirs } from './helpers.js';
import { kubeopencode, lines, userKubeconfig } from './kube-cli.js';
import { Scenario } from '../reconciler/support.js';

jest.setTimeout(90_000);

const s = new Scenario('cli-rbac');
const rbac = s.kc.makeApiClient(RbacAuthorizationV1Api);
let teamA: string;
let teamB: string;
let dev: string; // kubeconfig of team A's developer
let lead: string; // kubeconfig of team B's lead
const clusterRoleName = `cli-rbac-read-tasks-${process.pid}`;

const taskRules = (verbs: string[]) => [{ apiGroups: ['kubeopencode.io'], resources: ['tasks', 'agents'], verbs }];

async function serviceAccount(namespace: string, name: string): Promise<void> {
  await s.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
}

async function bindRole(namespace: string, name: string, rules: object[], user: { namespace: string; name: string }): Promise<void> {
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } as never });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', ...user }],
    },
  });
}

beforeAll(async () => {
  await s.start();
  [teamA, teamB] = [await s.namespace({}, 'team-a'), await s.namespace({}, 'team-b')];
  await s.createAgent(teamA, 'default');
  await s.createAgent(teamB, 'default');
  await s.createTask(teamB, 'theirs', { description: 'Team B\'s work' });
  await s.waitForPhase(teamB, 'theirs', 'Running');

  await serviceAccount(teamA, 'dev');
  await bindRole(teamA, 'task-author', [
    ...taskRules(['get', 'list', 'watch', 'create', 'patch']),
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: ['get', 'list'] },
  ], { namespace: teamA, name: 'dev' });
  dev = await userKubeconfig(teamA, 'dev');

  await serviceAccount(teamB, 'lead');
  await bindRole(teamB, 'task-stopper', taskRules(['patch']), { namespace: teamB, name: 'lead' });
  await rbac.createClusterRole({ body: { metadata: { name: clusterRoleName }, rules: taskRules(['get', 'list', 'watch']) } as never });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: clusterRoleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
      subjects: [{ kind: 'ServiceAccount', namespace: teamB, name: 'lead' }],
    },
  });
  lead = await userKubeconfig(teamB, 'lead');
});
afterAll(async () => {
  await rbac.deleteClusterRoleBinding({ name: clusterRoleName }).catch(() => undefined);
  await rbac.deleteClusterRole({ name: clusterRoleName }).catch(() => undefined);
  await s.stop();
  removeTempDirs();
});

test('team A\'s developer works in team A: run (with a --file ConfigMap), get without -n (the context\'s namespace), get -n', async () => {
  const file = join(makeTempDir('rbac'), 'notes.md');
  writeFileSync(file, 'notes');
  const run = await kubeopencode(['run', '--name', 'mine', 'Team A\'s work', '--file', file], { kubeconfig: dev });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^configmap\/mine-files-\w{5} created\ntask\.kubeopencode\.io\/mine created\n$/);
  expect((await s.getTask(teamA, 'mine')).spec.description).toBe('Team A\'s work');
  expect((await kubeopencode(['get', 'tasks', '-o', 'name'], { kubeconfig: dev })).stdout).toBe('task.kubeopencode.io/mine\n');
  const table = await kubeopencode(['get', 'tasks', '-n', teamA], { kubeconfig: dev });
  expect(table.code).toBe(0);
  expect(lines(table.stdout).map((l) => l.split(/ {3,}/)[0])).toEqual(['NAME', 'mine']);
});

test('team A\'s developer: every namespace (-A) is one Forbidden line, exit 1', async () => {
  const r = await kubeopencode(['get', 'tasks', '-A'], { kubeconfig: dev });
  expect(r).toEqual({
    code: 1,
    stdout: '',
    stderr: `Error from server (Forbidden): tasks.kubeopencode.io is forbidden: User "system:serviceaccount:${teamA}:dev" cannot list resource "tasks" in API group "kubeopencode.io" at the cluster scope\n`,
  });
});

test('team A\'s developer cannot stop team B\'s Task: one 403 line, exit 1, the Task untouched', async () => {
  const r = await kubeopencode(['stop', 'theirs', '-n', teamB], { kubeconfig: dev });
  expect(r).toEqual({
    code: 1,
    stdout: '',
    stderr: `Error from server (Forbidden): tasks.kubeopencode.io "theirs" is forbidden: User "system:serviceaccount:${teamA}:dev" cannot patch resource "tasks" in API group "kubeopencode.io" in the namespace "${teamB}"\n`,
  });
  expect((await s.getTask(teamB, 'theirs')).metadata.annotations).toBeUndefined();
  const look = await kubeopencode(['describe', 'task', 'theirs', '-n', teamB], { kubeconfig: dev });
  expect(look.code).toBe(1);
  expect(lines(look.stderr)).toEqual([expect.stringMatching(/^Error from server \(Forbidden\): tasks\.kubeopencode\.io "theirs" is forbidden: .* cannot get resource "tasks"/)]);
});

test('team B\'s lead reads Tasks everywhere and stops team B\'s, but may not stop team A\'s', async () => {
  const all = await kubeopencode(['get', 'tasks', '-A', '-o', 'name'], { kubeconfig: lead });
  expect(all.code).toBe(0);
  expect(lines(all.stdout)).toEqual(expect.arrayContaining(['task.kubeopencode.io/mine', 'task.kubeopencode.io/theirs']));
  expect(await kubeopencode(['stop', 'theirs'], { kubeconfig: lead })).toEqual({ code: 0, stdout: 'task.kubeopencode.io/theirs stop requested\n', stderr: '' });
  await s.waitForPhase(teamB, 'theirs', 'Completed');
  const denied = await kubeopencode(['stop', 'mine', '-n', teamA], { kubeconfig: lead });
  expect(denied.code).toBe(1);
  expect(denied.stderr).toBe(`Error from server (Forbidden): tasks.kubeopencode.io "mine" is forbidden: User "system:serviceaccount:${teamB}:lead" cannot patch resource "tasks" in API group "kubeopencode.io" in the namespace "${teamA}"\n`);
});
