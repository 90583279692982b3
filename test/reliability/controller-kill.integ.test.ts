/**
 * Faults: the reconciler, as a real process, is killed with SIGKILL five times at random
 * points of a 100-Task run and started again each time. Three Agents (a cross-namespace one
 * with maxConcurrentTasks 3, one with 2, one without a limit); Pods that succeed and fail.
 * A watch records every Task and Pod event in the API server's order, and checks on every
 * event that no Agent has more Tasks Running (or live Pods) than its limit.
 *
 * The run is random but replayable: the seed is printed; KUBEOPENCODE_CHAOS_SEED=<seed>
 * runs the same outcomes and kill delays again. On a stall it prints every unfinished Task, what
 * the test's watches and the simulated node saw, and the reconciler's last log lines.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { V1Pod } from '@kubernetes/client-node';
import { chaosSeed, ClusterRecord, controllerArgs, errorLines, seededRandom } from './support.js';
import { kubeconfigPath } from '../../harness/kube.js';
import { PodOutcome } from '../../harness/node/simulated-node.js';
import { waitFor, waitForProgress } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { ControllerProcess } from '../reconciler/controller-process.js';
import { condition, Scenario } from '../reconciler/support.js';

// Slow on a busy machine is fine; a stall (no Task finishing for 60 s) fails it long before this.
jest.setTimeout(900_000);

const TASKS = 100;
const KILLS = 5;
const s = new Scenario('chaos');

interface Plan {
  readonly namespace: string;
  readonly name: string;
  readonly agent: { name: string; namespace: string };
  readonly outcome: PodOutcome & { phase: 'Succeeded' | 'Failed' };
}

afterAll(() => s.stop());


/** Each unfinished Task: phase, Ready reason, queue position, Pod; for the failure message. */
async function describeUnfinished(plans: readonly Plan[]): Promise<string> {
  const namespaces = [...new Set(plans.map((p) => p.namespace))];
  const tasks = (await Promise.all(namespaces.map((ns) => s.listTasks(ns)))).flat();
  return tasks
    .filter((t) => t.status?.phase !== 'Completed' && t.status?.phase !== 'Failed')
    .map((t) => `${t.metadata.namespace}/${t.metadata.name} on ${t.spec.agentRef?.namespace ?? t.metadata.namespace}/${t.spec.agentRef?.name}: `
      + `${t.status?.phase ?? '(none)'} ${condition(t, 'Ready')?.reason ?? ''} q=${t.status?.queuePosition ?? '-'} pod=${t.status?.podName ?? '-'} created=${t.metadata.creationTimestamp}`)
    .join('\n    ');
}

test(`${TASKS} Tasks on three Agents, the reconciler SIGKILLed ${KILLS} times at random points: every Task ends right, one Pod each, never over a limit`, async () => {
  const seed = chaosSeed();
  const random = seededRandom(seed);
  const platform = await s.namespace();
  const teamA = await s.namespace({}, 'chaos-team-a');
  const teamB = await s.namespace({}, 'chaos-team-b');
  const namespaces = [platform, teamA, teamB];
  const limits: Record<string, number> = { [`${platform}/shared`]: 3, [`${teamA}/pair`]: 2 };
  await s.createAgent(platform, 'shared', { maxConcurrentTasks: 3, allowedNamespaces: ['chaos-team-*'] });
  await s.createAgent(teamA, 'pair', { maxConcurrentTasks: 2 });
  await s.createAgent(teamB, 'open', {});

  // Half on the shared Agent (from both teams), a fifth on `pair`, the rest on `open`; 30% fail.
  const plans: Plan[] = Array.from({ length: TASKS }, (_, i) => {
    const slot = i % 10;
    const [namespace, agent] = slot < 5 ? [slot % 2 ? teamB : teamA, { name: 'shared', namespace: platform }]
      : slot < 7 ? [teamA, { name: 'pair', namespace: teamA }] : [teamB, { name: 'open', namespace: teamB }];
    const name = `t-${String(i).padStart(3, '0')}`;
    const fails = random() < 0.3;
    const exitCode = fails ? 2 + Math.floor(random() * 3) : 0;
    const terminationMessage = formatTerminationMessage({ parameters: { who: `${namespace}/${name}` }, truncated: [], missing: [] });
    return { namespace, name, agent, outcome: { phase: fails ? 'Failed' : 'Succeeded', exitCode, runMs: 200 + Math.floor(random() * 1300), terminationMessage } };
  });
  const byKey = new Map(plans.map((p) => [`${p.namespace}/${p.name}`, p]));
  s.outcome = (pod: V1Pod) => byKey.get(`${pod.metadata!.annotations!['kubeopencode.io/task-namespace']}/${pod.metadata!.annotations!['kubeopencode.io/task']}`)!.outcome;
  await s.startNode();
  const record = new ClusterRecord(s.kc, namespaces);
  const finished = () => [...record.phases.values()].filter((p) => p === 'Completed' || p === 'Failed').length;

  const args = controllerArgs(kubeconfigPath(), namespaces);
  const started = Date.now();
  let controller = ControllerProcess.start(args);
  const processes = [controller];
  const kills: string[] = [];
  try {
    let created = 0;
    const creating = (async () => {
      for (const p of plans) {
        await s.createTask(p.namespace, p.name, { description: `task ${p.name}`, agentRef: p.agent, outputs: { parameters: [{ name: 'who', path: '.outputs/who' }] } });
        created++;
      }
    })();
    // Random points spread over the run: the first kill while the Tasks are still being created,
    // the second soon after a start (before the caches synced), the others when a random share
    // of the Tasks has been admitted, in the middle of admissions, Pod creations and status writes.
    const firstAfter = 20 + Math.floor(random() * 60);
    const admittedBefore = [0, 0, 10, 35, 60].map((low) => low + Math.floor(random() * 25));
    for (let k = 1; k <= KILLS; k++) {
      const spawnedAt = Date.now();
      if (k === 1) {
        await waitForProgress(() => created, firstAfter, { intervalMs: 10, description: 'Tasks created' });
      } else if (k === 2) {
        await sleep(200 + Math.floor(random() * 1000));
      } else {
        await waitForProgress(() => record.admitted.length, admittedBefore[k - 1], { intervalMs: 10, description: 'Tasks admitted' });
        await sleep(Math.floor(random() * 500));
      }
      const synced = controller.lines.some((l) => l.message === 'caches synced');
      controller.kill('SIGKILL');
      await controller.exited;
      kills.push(`kill ${k} at ${((Date.now() - started) / 1000).toFixed(1)} s, ${Date.now() - spawnedAt} ms after its start${synced ? '' : ' (caches not synced yet)'}: `
        + `${created} created, ${record.admitted.length} admitted, ${finished()} finished`);
      controller = ControllerProcess.start(args);
      processes.push(controller);
    }
    await creating;
    try {
      await waitForProgress(finished, TASKS, { description: 'Tasks finished' });
    } catch (e) {
      process.stderr.write(`[chaos] STUCK with seed ${seed} (KUBEOPENCODE_CHAOS_SEED=${seed} replays it)\n  ${kills.join('\n  ')}\n`
        + `  unfinished (from the API): ${await describeUnfinished(plans)}\n`
        + `  the test's watches: ${finished()} finished, ${record.relists} restarts after 410; simulated node: ${s.node?.finished.size} Pods ended, `
        + `errors: ${(s.node?.errors ?? []).slice(0, 5).map((problem) => String(problem)).join(' | ') || 'none'}\n  last controller lines: ${controller.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n    ')}\n`);
      throw e;
    }
    const elapsed = (Date.now() - started) / 1000;
    process.stderr.write(`[chaos] seed ${seed} (KUBEOPENCODE_CHAOS_SEED=${seed} replays it); ${TASKS} Tasks finished in ${elapsed.toFixed(1)} s\n  ${kills.join('\n  ')}\n`
      + `  max Running per Agent: ${JSON.stringify(Object.fromEntries(record.maxRunning))}; max live Pods: ${JSON.stringify(Object.fromEntries(record.maxLivePods))}\n`);

    // Every Task ended as its Pod did, with its own outputs, and never left a finished phase.
    const tasks = (await Promise.all([teamA, teamB].map((ns) => s.listTasks(ns)))).flat();
    expect(tasks).toHaveLength(TASKS);
    const wrong = tasks.flatMap((t) => {
      const plan = byKey.get(`${t.metadata.namespace}/${t.metadata.name}`)!;
      const ready = condition(t, 'Ready');
      const expected = plan.outcome.phase === 'Succeeded'
        ? { phase: 'Completed', reason: 'Succeeded', message: `Pod ${t.status?.podNamespace}/${t.status?.podName} succeeded` }
        : { phase: 'Failed', reason: 'PodFailed', message: `container agent failed (Error, exit code ${plan.outcome.exitCode})` };
      const actual = { phase: t.status?.phase, reason: ready?.reason, message: ready?.message };
      const problems = JSON.stringify(actual) !== JSON.stringify(expected) ? [`${plan.name}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`] : [];
      if (t.status?.outputs?.parameters?.who !== `${plan.namespace}/${plan.name}`) problems.push(`${plan.name}: outputs ${JSON.stringify(t.status?.outputs)}`);
      if (t.status?.podNamespace !== plan.agent.namespace) problems.push(`${plan.name}: Pod in ${t.status?.podNamespace}`);
      const history = record.history.get(`${plan.namespace}/${plan.name}`) ?? [];
      const end = history.findIndex((p) => p === 'Completed' || p === 'Failed');
      if (end !== history.length - 1) problems.push(`${plan.name}: phases ${history.join(' -> ')}`);
      return problems;
    });
    expect(wrong).toEqual([]);

    // One Pod per Task, ever (a Pod deleted and created again would show a second UID).
    expect(record.duplicatePods()).toEqual({});
    expect(record.podUids.size).toBe(TASKS);

    // Never more Running than the limit, counted on every Task event and on every Pod event.
    for (const [agent, limit] of Object.entries(limits)) {
      expect({ agent, maxRunning: record.maxRunning.get(agent) }).toEqual({ agent, maxRunning: expect.any(Number) });
      expect(record.maxRunning.get(agent)!).toBeLessThanOrEqual(limit);
      expect(record.maxLivePods.get(agent) ?? 0).toBeLessThanOrEqual(limit);
    }

    // The Agents' own accounts settle at nothing running, nothing queued.
    for (const [ns, name] of [[platform, 'shared'], [teamA, 'pair']]) {
      await waitFor(async () => {
        const a = await s.getAgent(ns, name);
        return a.status?.runningTasks === 0 && a.status.queuedTasks === 0;
      }, { timeoutMs: 15_000, description: `Agent ${ns}/${name} status to show nothing running or queued` });
    }
    // None of the processes died of its own accord, and the last one logged no error.
    expect(processes.flatMap((p) => p.lines.filter((l) => l.message === 'fatal error'))).toEqual([]);
    expect(errorLines(controller)).toEqual([]);
  } finally {
    await record.stop();
    await Promise.all(processes.map((p) => p.stop()));
  }
});
