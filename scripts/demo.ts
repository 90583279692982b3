/**
 * `npm run demo` (npx tsx scripts/demo.ts): KubeOpenCode end to end on this machine, in
 * about a minute once the control plane is built, and it stops by itself.
 *
 *  1. starts a local control plane (etcd, kube-apiserver, kube-controller-manager; built
 *     from their Go modules on first use, which takes a while once);
 *  2. `helm install`s charts/kubeopencode into kubeopencode-system;
 *  3. runs the controller in this process as the chart's ServiceAccount (a token from the
 *     TokenRequest API), so the chart's RBAC is all it may do;
 *  4. applies an Agent (maxConcurrentTasks: 2) and five Tasks, written with the constructs;
 *  5. a simulated node stands in for the kubelet (there is none) and moves each Task Pod
 *     through its life, its outputs sidecar reporting outputs in its termination message;
 *  6. shows the Tasks going Pending -> Queued -> Running -> Completed, with their outputs;
 *  7. stops everything, the control plane included.
 */
import { AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, V1Pod, Watch } from '@kubernetes/client-node';
import { App, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { ControlPlane } from '../harness/control-plane/control-plane.js';
import { startWithCrds } from '../harness/control-plane/session.js';
import { applyYaml, loadKubeConfig, tokenKubeConfig } from '../harness/kube.js';
import { SimulatedNode } from '../harness/node/simulated-node.js';
import { chartDir, helmOk } from '../harness/operator/helm.js';
import { InProcessOperator } from '../harness/operator/in-process-operator.js';
import { waitFor } from '../harness/wait.js';
import { formatTerminationMessage, packOutputs } from '../src/api/outputs-format.js';
import { AgentConstruct, TaskConstruct } from '../src/constructs/index.js';
import { TaskObject } from '../src/reconciler/objects.js';
import { createLogger } from '../src/reconciler/runtime/logger.js';

const RELEASE = 'kubeopencode';
const SYSTEM_NAMESPACE = 'kubeopencode-system';
const AGENT_NAMESPACE = 'kubeopencode-demo';
const TEAM_NAMESPACE = 'dev-team-a';
const SERVICE_ACCOUNT = `${RELEASE}-controller`;
const FINISHED = ['Completed', 'Failed'];

const tty = process.stdout.isTTY === true;
const style = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = style('1');
const dim = style('2');
const phaseColor: Record<string, (s: string) => string> = {
  Pending: style('33'), Queued: style('35'), Running: style('36'), Completed: style('32'), Failed: style('31'),
};
const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (n: number, text: string) => say(`\n${bold(`[${n}/6]`)} ${text}`);

/** The user's side: an Agent limited to two Tasks at once, and five Tasks, as code. */
class DemoTasks extends Chart {
  constructor(app: App) {
    super(app, 'demo');
    const agent = new AgentConstruct(this, 'agent', {
      metadata: { name: 'pr-agent', namespace: AGENT_NAMESPACE },
      maxConcurrentTasks: 2,
      contexts: [{ type: 'Text', name: 'standards', text: '# Standards\n- Small pull requests\n- Tests first\n' }],
    })
      .addOutputParameter({ name: 'pr-url', path: '.outputs/pr-url' })
      .addOutputParameter({ name: 'summary', path: '.outputs/summary', default: 'No summary provided' });
    for (const repo of ['service-a', 'service-b', 'service-c', 'service-d']) {
      new TaskConstruct(this, repo, {
        metadata: { name: `update-${repo}`, namespace: AGENT_NAMESPACE },
        agent,
        description: `Update the dependencies of ${repo}, run its tests and open a pull request.`,
      });
    }
    new TaskConstruct(this, 'cross-namespace', {
      metadata: { name: 'fix-bug-123', namespace: TEAM_NAMESPACE },
      agent,
      description: 'Fix the bug in the authentication module.',
    }).addOutputParameter({ name: 'custom-metric', path: '.outputs/custom-metric' });
  }
}

/** What the agent "did", as the outputs sidecar would report it. */
function outcomeFor(pod: V1Pod) {
  const task = pod.metadata?.annotations?.['kubeopencode.io/task'] ?? 'task';
  const number = 100 + [...task].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 900;
  const parameters: Record<string, string> = task === 'fix-bug-123'
    ? { 'pr-url': `https://git.example.com/org/auth/pull/${number}`, 'custom-metric': '3 tests added' }
    : { 'pr-url': `https://git.example.com/org/${task.replace(/^update-/, '')}/pull/${number}`, 'summary': 'Bumped 4 dependencies; tests pass' };
  // fix-bug-123 wrote no summary file: collect-outputs reports the Agent's default instead.
  if (task === 'fix-bug-123') parameters.summary = 'No summary provided';
  return {
    phase: 'Succeeded' as const,
    runMs: 2000 + (number % 5) * 400,
    terminationMessage: formatTerminationMessage(packOutputs({ parameters })),
  };
}

interface Row { task: TaskObject; path: string[]; position?: number }

/** Follows every Task through a watch, so that no phase goes unseen, and draws the table. */
class TaskTable {
  private readonly rows = new Map<string, Row>();
  private drawnLines = 0;
  private abort?: AbortController;
  /** The most Tasks seen Running at the same time. */
  public maxRunning = 0;

  constructor(private readonly kc: KubeConfig) {}

  public async start(): Promise<void> {
    this.abort = await new Watch(this.kc).watch('/apis/kubeopencode.io/v1alpha1/tasks', {}, (type, task: TaskObject) => {
      const key = `${task.metadata.namespace}/${task.metadata.name}`;
      if (type === 'DELETED') return;
      const row = this.rows.get(key) ?? { task, path: [] };
      row.task = task;
      const phase = task.status?.phase;
      const moved = phase !== undefined && row.path.at(-1) !== phase;
      if (moved) row.path.push(phase);
      if ((moved || task.status?.queuePosition !== row.position) && !tty) say(`  ${dim(clock())}  ${key.padEnd(36)} ${this.describe(task)}`);
      row.position = task.status?.queuePosition;
      this.rows.set(key, row);
      this.maxRunning = Math.max(this.maxRunning, [...this.rows.values()].filter((r) => r.task.status?.phase === 'Running').length);
      if (tty) this.draw();
    }, () => undefined);
  }

  public stop(): void {
    this.abort?.abort();
  }

  public allFinished(count: number): boolean {
    return this.rows.size === count && [...this.rows.values()].every((r) => FINISHED.includes(r.task.status?.phase ?? ''));
  }

  private describe(task: TaskObject): string {
    const s = task.status ?? {};
    const phase = s.phase ?? '';
    const extra = phase === 'Queued' ? ` (#${s.queuePosition} in line)`
      : phase === 'Running' && s.podName ? ` pod ${s.podNamespace}/${s.podName}`
        : phase === 'Completed' ? ` ${outputsText(task)}` : '';
    return `${(phaseColor[phase] ?? ((x: string) => x))(phase)}${extra}`;
  }

  /** The table; on a terminal it redraws itself in place. */
  public table(): string[] {
    const rows = [...this.rows.entries()]; // in the order they appeared
    const header = `  ${'TASK'.padEnd(36)} ${'PHASE'.padEnd(10)} ${'PATH'.padEnd(42)} OUTPUTS`;
    return [bold(header), ...rows.map(([key, row]) => {
      const phase = row.task.status?.phase ?? '';
      const colored = (phaseColor[phase] ?? ((x: string) => x))(phase.padEnd(10));
      return `  ${key.padEnd(36)} ${colored} ${row.path.join(' -> ').padEnd(42)} ${outputsText(row.task)}`;
    })];
  }

  private draw(): void {
    if (this.drawnLines) process.stdout.write(`\x1b[${this.drawnLines}A\x1b[J`);
    const lines = this.table();
    process.stdout.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  /** Keeps the last drawing on screen and prints below it from now on. */
  public freeze(): void {
    this.drawnLines = 0;
  }
}

function outputsText(task: TaskObject): string {
  const params = task.status?.outputs?.parameters ?? {};
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join('  ');
}

async function demo(): Promise<void> {
  say(bold('KubeOpenCode demo: the Helm chart, the controller under its RBAC, an Agent and five Tasks'));
  step(1, 'Starting a local control plane (etcd, kube-apiserver, kube-controller-manager; built from their Go modules on first use)...');
  const plane: ControlPlane = await startWithCrds();
  let node: SimulatedNode | undefined;
  let operator: InProcessOperator | undefined;
  let table: TaskTable | undefined;
  try {
    const { kubeconfigPath, binDir } = plane.state();
    process.env.KUBEOPENCODE_BIN = binDir;
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
    const logger = createLogger({ format: 'text', level: process.env.KUBEOPENCODE_DEMO_LOGS ? 'info' : 'error' });
    await waitForRbac(kc);
    operator = new InProcessOperator({
      adminKc: kc,
      namespace: SYSTEM_NAMESPACE,
      serviceAccountName: SERVICE_ACCOUNT,
      leaseName: `${RELEASE}-controller`,
      logger,
      identity: 'demo',
      controller: { statusIntervalMs: 250 },
    });
    await operator.start();
    say(`      leading on Lease ${SYSTEM_NAMESPACE}/${RELEASE}-controller, caches synced`);

    step(4, 'A simulated node stands in for the kubelet (there is none here): it moves each Task Pod');
    say('      Pending -> Running -> Succeeded through the Pod status API, and gives the outputs sidecar a');
    say('      termination message with the outputs, as `kubeopencode collect-outputs` writes it.');
    node = new SimulatedNode({ kc, startMs: 300, outcome: outcomeFor });
    await node.start();

    step(5, `Applying an Agent (${AGENT_NAMESPACE}/pr-agent, maxConcurrentTasks: 2) and five Tasks, written with the constructs:`);
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of [AGENT_NAMESPACE, TEAM_NAMESPACE]) await core.createNamespace({ body: { metadata: { name } } });
    const app = new App();
    new DemoTasks(app);
    const yaml = app.synthYaml();
    const manifests = parseAllDocuments(yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } });
    for (const o of manifests) say(`      ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    const taskCount = manifests.filter((o) => o.kind === 'Task').length;
    say();
    table = new TaskTable(kc);
    await table.start();
    await applyYaml(yaml, { fieldManager: 'kubeopencode-demo', kc });
    await waitFor(() => table!.allFinished(taskCount), { timeoutMs: 90_000, intervalMs: 100, description: 'every Task to finish' });
    table.stop();
    table.freeze();
    if (!tty) {
      say();
      for (const line of table.table()) say(line);
    }
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
  say(`\n${bold('Done')} in ${clock().trim()}.`);
}

/** RBAC bindings reach the authorizer through an informer: wait until the ServiceAccount may list Tasks. */
async function waitForRbac(kc: KubeConfig): Promise<void> {
  const api = (await tokenKubeConfig(SYSTEM_NAMESPACE, SERVICE_ACCOUNT, { kc })).makeApiClient(AuthorizationV1Api);
  await waitFor(async () => (await api.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { group: 'kubeopencode.io', resource: 'tasks', verb: 'watch' } } },
  })).status?.allowed, { timeoutMs: 30_000, description: 'the chart\'s RBAC to take effect' });
}

demo().then(
  () => process.exit(0), // keep-alive sockets of the API client must not hold the process
  (e: unknown) => {
    process.stderr.write(`\ndemo failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
