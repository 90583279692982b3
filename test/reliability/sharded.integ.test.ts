/**
 * Sharded mode: three controller processes (the compiled CLI) with `--shards 3` split the
 * work through shard Leases. 60 Tasks on six Agents (two with limits, Tasks from two
 * namespaces); one replica is SIGKILLed halfway. Every Task is handled exactly once (one Pod
 * each, ever), never over a limit, admitted in FIFO order, and the dead replica's shards move
 * to the others within the lease duration.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { CoordinationV1Api, V1Pod } from '@kubernetes/client-node';
import { ClusterRecord, errorLines } from './support.js';
import { kubeconfigPath } from '../../harness/kube.js';
import { waitFor, waitForProgress } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { fifoCompare } from '../../src/reconciler/admission.js';
import { ControllerProcess } from '../reconciler/controller-process.js';
import { Scenario } from '../reconciler/support.js';

jest.setTimeout(600_000);

const TASKS = 60;
const LEASE_SECONDS = 3;
const s = new Scenario('sharded');
afterAll(() => s.stop());

test(`${TASKS} Tasks, three replicas with three shards, one SIGKILLed: each Task once, limits and FIFO hold, its shards move`, async () => {
  const platform = await s.namespace();
  const team = await s.namespace({}, 'sharded-team');
  const namespaces = [platform, team];
  const limits: Record<string, number> = { [`${platform}/limited-a`]: 2, [`${platform}/limited-b`]: 3 };
  for (const [name, spec] of [['limited-a', { maxConcurrentTasks: 2 }], ['limited-b', { maxConcurrentTasks: 3 }], ['open-a', {}], ['open-b', {}], ['open-c', {}], ['open-d', {}]] as const) {
    await s.createAgent(platform, name, { ...spec, allowedNamespaces: ['sharded-team-*'] });
  }
  const agents = ['limited-a', 'limited-b', 'open-a', 'open-b', 'open-c', 'open-d'];
  s.outcome = (pod: V1Pod) => ({
    phase: 'Succeeded',
    runMs: 300,
    terminationMessage: formatTerminationMessage({ parameters: { who: pod.metadata!.annotations!['kubeopencode.io/task'] }, truncated: [], missing: [] }),
  });
  await s.startNode();
  const record = new ClusterRecord(s.kc, namespaces);
  const finished = () => [...record.phases.values()].filter((p) => p === 'Completed' || p === 'Failed').length;

  const leaseId = `sharded-${platform.split('-').pop()}`;
  const args = ['--kubeconfig', kubeconfigPath(), '--watch-namespaces', namespaces.join(','), '--metrics-bind-address', '0', '--health-probe-bind-address', '0',
    '--leader-election-namespace', platform, '--leader-election-id', leaseId, '--lease-duration', String(LEASE_SECONDS), '--shards', '3'];
  const replicas = [0, 1, 2].map(() => ControllerProcess.start(args));
  const leases = s.kc.makeApiClient(CoordinationV1Api);
  const holders = async () => Object.fromEntries((await leases.listNamespacedLease({ namespace: platform })).items
    .filter((l) => l.metadata!.name!.startsWith(`${leaseId}-shard-`)).map((l) => [l.metadata!.name!, l.spec?.holderIdentity ?? '']));
  try {
    // The shards spread: three holders, one shard each.
    const spread = await waitFor(async () => {
      const h = await holders();
      return Object.keys(h).length === 3 && new Set(Object.values(h).filter(Boolean)).size === 3 ? h : undefined;
    }, { timeoutMs: 60_000, description: 'three shards, each held by another replica' });

    const created: { namespace: string; name: string; agent: string }[] = [];
    for (let i = 0; i < TASKS; i++) {
      const namespace = i % 3 === 0 ? team : platform;
      const agent = agents[i % agents.length];
      const name = `t-${String(i).padStart(3, '0')}`;
      await s.createTask(namespace, name, { description: `task ${name}`, agentRef: { name: agent, namespace: platform }, outputs: { parameters: [{ name: 'who', path: '.outputs/who' }] } });
      created.push({ namespace, name, agent });
    }

    // Halfway, one replica dies without a word; its shard must move within the lease duration.
    await waitForProgress(finished, TASKS / 2, { description: 'Tasks finished before the kill' });
    const victim = replicas[0];
    const victimShards = Object.entries(spread).filter(([, holder]) => holder.endsWith(`_${victim.pid}`)).map(([name]) => name);
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited;
    const moved = await waitFor(async () => {
      const h = await holders();
      return victimShards.every((name) => h[name] && !h[name].endsWith(`_${victim.pid}`)) ? h : undefined;
    }, { timeoutMs: 60_000, description: `shards ${victimShards.join(', ')} of the killed replica to move` });
    const movedAfterMs = Date.now() - killedAt;
    process.stderr.write(`[sharded] shards ${victimShards.join(', ')} moved ${movedAfterMs} ms after the SIGKILL (lease ${LEASE_SECONDS} s): ${JSON.stringify(moved)}\n`);
    // The lease duration, then one retry period (and a little room for a busy machine).
    expect(movedAfterMs).toBeLessThan(LEASE_SECONDS * 1000 * 2);

    await waitForProgress(finished, TASKS, { description: 'Tasks finished' });

    // Exactly once: one Pod per Task, ever; each Task Completed with its own outputs.
    expect(record.duplicatePods()).toEqual({});
    expect(record.podUids.size).toBe(TASKS);
    const tasks = (await Promise.all(namespaces.map((ns) => s.listTasks(ns)))).flat();
    expect(tasks.filter((t) => t.status?.phase !== 'Completed' || t.status.outputs?.parameters?.who !== t.metadata.name).map((t) => t.metadata.name)).toEqual([]);
    // Limits hold on every event; FIFO per limited Agent, in admission order.
    for (const [agent, limit] of Object.entries(limits)) {
      expect(record.maxRunning.get(agent) ?? 0).toBeLessThanOrEqual(limit);
      expect(record.maxLivePods.get(agent) ?? 0).toBeLessThanOrEqual(limit);
      const ofAgent = tasks.filter((t) => `${platform}/${t.spec.agentRef?.name}` === agent);
      const fifo = [...ofAgent].sort(fifoCompare).map((t) => `${t.metadata.namespace}/${t.metadata.name}`);
      expect(record.admitted.filter((k) => fifo.includes(k))).toEqual(fifo);
    }
    for (const replica of replicas.slice(1)) expect(errorLines(replica)).toEqual([]);
  } finally {
    await record.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    await sleep(0);
  }
});
