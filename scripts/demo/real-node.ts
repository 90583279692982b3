/**
 * The demo on this machine's real node: a realistic control plane and a kubelet with
 * containerd; our images built from our Dockerfiles and loaded into it; the chart installed
 * with helm, so the controller runs as a Pod from our image; an Agent (the echo agent, which
 * prints its task and writes outputs) and five Tasks that run in real containers. At the end,
 * each Task's agent log lines (from its Pod) and its outputs.
 */
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { bold, dim, outputsText, say, step, TaskTable, tty } from './table.js';
import { demoManifests } from './tasks.js';
import { E2E_IMAGES } from '../../harness/e2e/images.js';
import { installOperatorOnE2e } from '../../harness/e2e/operator.js';
import { exportE2eEnv, startE2eCluster } from '../../harness/e2e-cluster.js';
import { applyYaml } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';
import { TaskObject } from '../../src/reconciler/objects.js';

const G = { group: 'kubeopencode.io', version: 'v1alpha1' };

/** The agent container's log lines of a finished Task, through the API server (as `kubectl logs`). */
async function agentLog(core: CoreV1Api, task: TaskObject): Promise<string[]> {
  const text = await core.readNamespacedPodLog({ name: task.status!.podName!, namespace: task.status!.podNamespace!, container: 'agent' });
  return text.trimEnd().split('\n');
}

export async function realNodeDemo(binDir: string): Promise<void> {
  step(1, 'Starting a control plane and this machine\'s node (kubelet, containerd, runc, a CNI bridge)...');
  const crds = await import('../../harness/control-plane/crds.js');
  const cluster = await startE2eCluster(binDir, (kubeconfigPath) => crds.installCrds(kubeconfigPath));
  exportE2eEnv(cluster);
  let table: TaskTable | undefined;
  let operator: Awaited<ReturnType<typeof installOperatorOnE2e>> | undefined;
  try {
    say(`      API server at ${cluster.plane.endpoint.server}, node ${cluster.node.nodeName} Ready`);

    step(2, 'Building our images from our Dockerfiles (cached; minutes the first time), then helm install');
    say('      ./charts/kubeopencode with the controller image set to the local build (pullPolicy IfNotPresent)');
    operator = await installOperatorOnE2e();
    const { kc } = operator;
    say(`      the controller runs as Pod ${operator.releaseNamespace}/${operator.podName}, leads on its Lease, caches synced`);

    step(3, 'Applying an Agent (maxConcurrentTasks: 2, the echo agent image) and five Tasks, written with the constructs:');
    const agentNamespace = await operator.createNamespace('agents');
    const teamNamespace = await operator.createNamespace('team-a');
    const core = kc.makeApiClient(CoreV1Api);
    // The echo agent's settings, given to it as a whole Secret of env vars (a credential): 3 s of "work".
    await core.createNamespacedSecret({ namespace: agentNamespace, body: { metadata: { name: 'echo-settings' }, stringData: { ECHO_SLEEP_SECONDS: '3' } } });
    const { yaml, objects } = demoManifests({ agentNamespace, teamNamespace, image: E2E_IMAGES.echo, envSecret: 'echo-settings' });
    for (const o of objects) say(`      ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    say(`      (namespaces enforce Pod Security "restricted"; the cross-namespace Task's Pod runs in ${agentNamespace})`);
    say();

    step(4, 'The Tasks run in real containers:');
    table = new TaskTable(kc);
    await table.start();
    await applyYaml(yaml, { fieldManager: 'kubeopencode-demo', kc });
    const count = objects.filter((o) => o.kind === 'Task').length;
    await waitFor(() => table!.allFinished(count), { timeoutMs: 300_000, intervalMs: 100, description: 'every Task to finish' });
    table.stop();
    table.freeze();
    if (!tty) for (const line of ['', ...table.table()]) say(line);
    say(`\n      At most ${table.maxRunning} Tasks were Running at once (the limit is 2).`);
    if (table.maxRunning > 2) throw new Error(`${table.maxRunning} Tasks ran at once, over the Agent's limit of 2`);

    step(5, 'What each agent printed (its container\'s log, through the API server) and the outputs collect-outputs reported:');
    const custom = kc.makeApiClient(CustomObjectsApi);
    for (const ns of [agentNamespace, teamNamespace]) {
      const tasks = ((await custom.listNamespacedCustomObject({ ...G, namespace: ns, plural: 'tasks' })) as { items: TaskObject[] }).items;
      for (const task of tasks) {
        say(`\n      ${bold(`${ns}/${task.metadata.name}`)} ${task.status?.phase} (Pod ${task.status?.podNamespace}/${task.status?.podName})`);
        for (const line of (await agentLog(core, task)).slice(0, 4)) say(`        ${dim('|')} ${line}`);
        say(`        outputs: ${outputsText(task)}`);
      }
    }
  } finally {
    step(6, 'Uninstalling the chart, stopping the node (restoring the host) and the control plane...');
    table?.stop();
    await operator?.uninstall().catch((e: unknown) => say(`      (uninstall: ${String(e)})`));
    await cluster.stop();
  }
  say(`\n${bold('Done')}.`);
}
