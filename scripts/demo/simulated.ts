/**
 * The demo where this machine cannot run a node: the control plane, the chart, the controller
 * run in this process as the chart's ServiceAccount, and a simulated node that moves each Task
 * Pod through its life through the Pod status API (no container runs, so there are no logs).
 */
import { AuthorizationV1Api, CustomObjectsApi, CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { bold, say, step, TaskTable, tty } from './table.js';
import { demoManifests } from './tasks.js';
import { startWithCrds } from '../../harness/control-plane/session.js';
import { applyYaml, loadKubeConfig, tokenKubeConfig } from '../../harness/kube.js';
import { SimulatedNode } from '../../harness/node/simulated-node.js';
import { chartDir, helmOk } from '../../harness/operator/helm.js';
import { InProcessOperator } from '../../harness/operator/in-process-operator.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage, packOutputs } from '../../src/api/outputs-format.js';
import { createLogger } from '../../src/reconciler/runtime/logger.js';

const RELEASE = 'kubeopencode';
const SYSTEM_NAMESPACE = 'kubeopencode-system';
const AGENT_NAMESPACE = 'kubeopencode-demo';
const TEAM_NAMESPACE = 'dev-team-a';
const SERVICE_ACCOUNT = `${RELEASE}-controller`;

/** What the agent "did", as the outputs sidecar would report it. */
function outcomeFor(pod: V1Pod) {
  const task = pod.metadata?.annotations?.['kubeopencode.io/task'] ?? 'task';
  const number = 100 + [...task].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 900;
  const parameters: Record<string, string> = task === 'fix-bug-123'
    ? { 'pr-url': `https://git.example.com/org/auth/pull/${number}`, 'custom-metric': '3 tests added', 'summary': 'No summary provided' }
    : { 'pr-url': `https://git.example.com/org/${task.replace(/^update-/, '')}/pull/${number}`, 'summary': 'Bumped 4 dependencies; tests pass' };
  return { phase: 'Succeeded' as const, runMs: 2000 + (number % 5) * 400, terminationMessage: formatTerminationMessage(packOutputs({ parameters })) };
}

/** RBAC bindings reach the authorizer through an informer: wait until the ServiceAccount may list Tasks. */
async function waitForRbac(kc: KubeConfig): Promise<void> {
  const api = (await tokenKubeConfig(SYSTEM_NAMESPACE, SERVICE_ACCOUNT, { kc })).makeApiClient(AuthorizationV1Api);
  await waitFor(async () => (await api.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { group: 'kubeopencode.io', resource: 'tasks', verb: 'watch' } } },
  })).status?.allowed, { timeoutMs: 30_000, description: 'the chart\'s RBAC to take effect' });
}

export async function simulatedDemo(binDir: string): Promise<void> {
  step(1, 'Starting a local control plane (etcd, kube-apiserver, kube-controller-manager)...');
  const plane = await startWithCrds(undefined, binDir);
  let node: SimulatedNode | undefined;
  let operator: InProcessOperator | undefined;
  let table: TaskTable | undefined;
  try {
    const { kubeconfigPath } = plane.state();
    const kc = loadKubeConfig(kubeconfigPath);
    say(`      API server at ${plane.endpoint.server}`);

    step(2, `helm install ${RELEASE} ./charts/kubeopencode --namespace ${SYSTEM_NAMESPACE} --create-namespace`);
    await helmOk(['install', RELEASE, chartDir, '--namespace', SYSTEM_NAMESPACE, '--create-namespace'], { kubeconfig: kubeconfigPath });
    const manifest = await helmOk(['get', 'manifest', RELEASE, '--namespace', SYSTEM_NAMESPACE], { kubeconfig: kubeconfigPath });
    const installed = parseAllDocuments(manifest).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } })
      .filter((o) => o?.kind).map((o) => `${o.kind}/${o.metadata?.name}`);
    say(`      installed: ${installed.join(', ')} (the CRDs were already there)`);

    step(3, `Running the controller in this process as system:serviceaccount:${SYSTEM_NAMESPACE}:${SERVICE_ACCOUNT}`);
    say('      (a token from the TokenRequest API: the chart\'s RBAC is all it may do; it elects itself leader on the chart\'s Lease)');
    await waitForRbac(kc);
    operator = new InProcessOperator({
      adminKc: kc,
      namespace: SYSTEM_NAMESPACE,
      serviceAccountName: SERVICE_ACCOUNT,
      leaseName: `${RELEASE}-controller`,
      logger: createLogger({ format: 'text', level: process.env.KUBEOPENCODE_DEMO_LOGS ? 'info' : 'error' }),
      identity: 'demo',
      controller: { statusIntervalMs: 250 },
    });
    await operator.start();
    say(`      leading on Lease ${SYSTEM_NAMESPACE}/${RELEASE}-controller, caches synced`);

    step(4, 'A simulated node stands in for the kubelet: it moves each Task Pod Pending -> Running ->');
    say('      Succeeded through the Pod status API, with the outputs as `kubeopencode collect-outputs` reports them.');
    node = new SimulatedNode({ kc, startMs: 300, outcome: outcomeFor });
    await node.start();

    step(5, `Applying an Agent (${AGENT_NAMESPACE}/pr-agent, maxConcurrentTasks: 2) and five Tasks, written with the constructs:`);
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of [AGENT_NAMESPACE, TEAM_NAMESPACE]) await core.createNamespace({ body: { metadata: { name } } });
    const { yaml, objects } = demoManifests({ agentNamespace: AGENT_NAMESPACE, teamNamespace: TEAM_NAMESPACE });
    for (const o of objects) say(`      ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    say();
    table = new TaskTable(kc);
    await table.start();
    await applyYaml(yaml, { fieldManager: 'kubeopencode-demo', kc });
    await waitFor(() => table!.allFinished(objects.filter((o) => o.kind === 'Task').length), { timeoutMs: 90_000, intervalMs: 100, description: 'every Task to finish' });
    table.stop();
    table.freeze();
    if (!tty) for (const line of ['', ...table.table()]) say(line);
    const agent = await kc.makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ group: 'kubeopencode.io', version: 'v1alpha1', namespace: AGENT_NAMESPACE, plural: 'agents', name: 'pr-agent' }) as { status?: { runningTasks?: number; queuedTasks?: number } };
    say(`\n      Agent ${AGENT_NAMESPACE}/pr-agent: ${agent.status?.runningTasks ?? 0} running, ${agent.status?.queuedTasks ?? 0} queued.`);
    say(`      At most ${table.maxRunning} Tasks were Running at once (the limit is 2); the cross-namespace Task's Pod ran in ${AGENT_NAMESPACE}.`);
    if (table.maxRunning > 2) throw new Error(`${table.maxRunning} Tasks ran at once, over the Agent's limit of 2`);
    if (node.errors.length) throw new Error(`the simulated node failed: ${node.errors.map(String).join('; ')}`);
  } finally {
    step(6, 'Stopping the simulated node, the controller (releasing its Lease) and the control plane...');
    table?.stop();
    await node?.stop();
    await operator?.stop();
    await plane.stop();
  }
  say(`\n${bold('Done')}.`);
}
