/**
 * The chart against the real control plane: its manifests apply server-side, `helm install`
 * works (twice, side by side), and the reconciler, authenticated as the chart's
 * ServiceAccount, runs Tasks to completion with the chart's RBAC and nothing more, while
 * what it must not do is refused.
 */
import { randomBytes } from 'node:crypto';
import {
  ApiextensionsV1Api, AuthorizationV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, V1Pod,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ALL_VALUES } from './support.js';
import { applyYaml, createTestNamespace, deleteNamespace, isApiError, kubeconfigPath, loadKubeConfig, tokenKubeConfig } from '../../harness/kube.js';
import { SimulatedNode } from '../../harness/node/simulated-node.js';
import { chartDir, helmOk, valuesFile } from '../../harness/operator/helm.js';
import { InProcessOperator, RecordingLogger } from '../../harness/operator/in-process-operator.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage, packOutputs } from '../../src/api/outputs-format.js';
import { CONTROLLER_CLUSTER_RULES } from '../../src/constructs/operator/kubeopencode-operator.js';
import { TaskObject } from '../../src/reconciler/objects.js';
import { nullLogger } from '../../src/reconciler/runtime/logger.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

const TIMEOUT = 120_000;

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const FIELD_MANAGER = 'kubeopencode-chart-tests';
const G = { group: 'kubeopencode.io', version: 'v1alpha1' };
const suffix = () => randomBytes(3).toString('hex');
const kubeconfig = () => kubeconfigPath();

const parseObjects = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((o) => o?.kind);

async function deleteClusterScoped(objs: Obj[]): Promise<void> {
  for (const o of objs) {
    const gone = (e: unknown) => { if (!isApiError(e, 404)) throw e; };
    if (o.kind === 'ClusterRole') await rbac.deleteClusterRole({ name: o.metadata.name }).catch(gone);
    if (o.kind === 'ClusterRoleBinding') await rbac.deleteClusterRoleBinding({ name: o.metadata.name }).catch(gone);
  }
}

describe('helm template output applies server-side to the real API server', () => {
  test.each([
    ['the defaults', [] as string[]],
    ['every value changed', ['-f', valuesFile({ ...ALL_VALUES, fullnameOverride: '' })]],
  ])('%s', async (_name, args) => {
    const namespace = await createTestNamespace('chart-apply');
    const release = `kubeopencode-${suffix()}`;
    const objs = parseObjects(await helmOk(['template', release, chartDir, '--namespace', namespace, '--skip-crds', ...args]));
    try {
      // The KubeOpenCodeConfig is the cluster's singleton, which other tests read: validated (dry run), not stored.
      const config = objs.filter((o) => o.kind === 'KubeOpenCodeConfig');
      const applied = await applyYaml(objs.filter((o) => o.kind !== 'KubeOpenCodeConfig'), { fieldManager: FIELD_MANAGER, namespace, kc });
      const dryRun = await applyYaml(config, { fieldManager: FIELD_MANAGER, kc, dryRun: true });
      expect(applied.every((o) => o.metadata?.uid)).toBe(true);
      expect([...applied, ...dryRun].map((o) => o.kind).sort()).toEqual(objs.map((o) => o.kind).sort());
      expect(objs.length).toBeGreaterThanOrEqual(5);
    } finally {
      await deleteClusterScoped(objs);
      await deleteNamespace(namespace);
    }
  }, TIMEOUT);
});

describe('two releases side by side', () => {
  test('install with different names in different namespaces, and uninstall cleanly', async () => {
    const id = suffix();
    const releases = [
      { name: `kubeopencode-a-${id}`, namespace: await createTestNamespace('chart-a') },
      { name: `team-b-${id}`, namespace: await createTestNamespace('chart-b') },
    ];
    try {
      for (const r of releases) await helmOk(['install', r.name, chartDir, '--namespace', r.namespace], { kubeconfig: kubeconfig() });
      const roles = await rbac.listClusterRole({ labelSelector: 'app.kubernetes.io/part-of=kubeopencode' });
      const ours = roles.items.map((r) => r.metadata!.name!).filter((n) => n.includes(id)).sort();
      expect(ours).toEqual([`kubeopencode-a-${id}-controller`, `team-b-${id}-kubeopencode-controller`]);
      for (const r of releases) {
        const deployments = await helmOk(['get', 'manifest', r.name, '--namespace', r.namespace], { kubeconfig: kubeconfig() });
        expect(parseObjects(deployments).find((o) => o.kind === 'Deployment')?.metadata.namespace).toBe(r.namespace);
      }
    } finally {
      for (const r of releases) await helmOk(['uninstall', r.name, '--namespace', r.namespace], { kubeconfig: kubeconfig() }).catch(() => undefined);
    }
    const left = await rbac.listClusterRole({ labelSelector: 'app.kubernetes.io/part-of=kubeopencode' });
    expect(left.items.map((r) => r.metadata!.name!).filter((n) => n.includes(id))).toEqual([]);
    for (const r of releases) await deleteNamespace(r.namespace);
  }, TIMEOUT);
});

describe('the NOTES', () => {
  test('the NOTES say how to reach the UI when it is enabled, and nothing of it otherwise', async () => {
    // A client-side dry run: nothing is stored, but helm wants a cluster to reach.
    const notes = (args: string[]) => helmOk(['install', 'kubeopencode', chartDir, '--namespace', 'kubeopencode-system', '--dry-run=client', ...args], { kubeconfig: kubeconfig() });
    expect(await notes([])).not.toContain('Web UI');
    const on = await notes(['--set', 'ui.enabled=true']);
    expect(on).toContain('The Web UI: service/kubeopencode-ui (port 80)');
    expect(on).toContain('kubectl -n kubeopencode-system port-forward service/kubeopencode-ui 8090:80');
    expect(on).toContain('ui.networkPolicy.from is empty');
    const sidecar = await notes(['--set', 'ui.enabled=true', '--set', 'ui.listenOnLoopback=true']);
    expect(sidecar).toContain('The Web UI');
    expect(sidecar).not.toContain('port-forward');
  });
});

describe('helm install, then the reconciler as the chart\'s ServiceAccount', () => {
  let releaseNamespace: string;
  let taskNamespace: string;
  let otherNamespace: string;
  let release: string;
  let installOutput: string;
  let operator: InProcessOperator;
  let node: SimulatedNode;
  let saKc: KubeConfig;
  const logger = new RecordingLogger(process.env.KUBEOPENCODE_TEST_LOGS ? undefined : nullLogger);

  beforeAll(async () => {
    releaseNamespace = await createTestNamespace('kubeopencode-system');
    taskNamespace = await createTestNamespace('chart-tasks');
    otherNamespace = await createTestNamespace('chart-team');
    release = `kubeopencode-${suffix()}`;
    installOutput = await helmOk(['install', release, chartDir, '--namespace', releaseNamespace], { kubeconfig: kubeconfig() });
    const mine = [taskNamespace, otherNamespace];
    operator = new InProcessOperator({
      adminKc: kc,
      namespace: releaseNamespace,
      serviceAccountName: `${release}-controller`,
      leaseName: `${release}-controller`,
      logger,
      identity: `chart-test-${release}`,
      controller: { namespaceFilter: (ns) => mine.includes(ns), statusIntervalMs: 200, contextRetryMs: 1000 },
    });
    // RBAC bindings reach the authorizer through an informer: wait for them, so that no
    // request is refused on the way (the test fails on any 403 the controller logs).
    const probe = (await tokenKubeConfig(releaseNamespace, `${release}-controller`)).makeApiClient(AuthorizationV1Api);
    await waitFor(async () => {
      const allowed = await Promise.all([
        { group: 'kubeopencode.io', resource: 'tasks', verb: 'watch' },
        { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: releaseNamespace },
      ].map(async (resourceAttributes) => (await probe.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } })).status?.allowed));
      return allowed.every(Boolean);
    }, { timeoutMs: 30_000, description: 'the chart\'s RBAC to take effect' });
    await operator.start();
    saKc = operator.kc!;
    node = new SimulatedNode({
      kc,
      namespace: taskNamespace,
      startMs: 100,
      outcome: (pod: V1Pod) => ({
        phase: 'Succeeded',
        runMs: 2500,
        terminationMessage: formatTerminationMessage(packOutputs({
          parameters: { 'pr-url': `https://git.example.com/pr/${pod.metadata!.annotations!['kubeopencode.io/task']}`, 'summary': 'done' },
        })),
      }),
    });
    await node.start();
  }, TIMEOUT);

  afterAll(async () => {
    await node?.stop();
    await operator?.stop();
    if (release) await helmOk(['uninstall', release, '--namespace', releaseNamespace], { kubeconfig: kubeconfig() }).catch(() => undefined);
    for (const ns of [taskNamespace, otherNamespace, releaseNamespace]) if (ns) await deleteNamespace(ns);
  }, TIMEOUT);

  const getTask = async (namespace: string, name: string) => await custom.getNamespacedCustomObject({ ...G, namespace, plural: 'tasks', name }) as TaskObject;
  const waitForTask = (namespace: string, name: string, check: (t: TaskObject) => boolean, what: string) => {
    let last: TaskObject | undefined;
    return waitFor(async () => (check(last = await getTask(namespace, name)) ? last : undefined), { timeoutMs: 30_000, intervalMs: 100, description: `Task ${namespace}/${name} to be ${what}` })
      .catch((e: Error) => { throw new Error(`${e.message}; last status ${JSON.stringify(last?.status)}; controller problems: ${JSON.stringify(logger.problems)}`); });
  };

  test('helm install printed the NOTES', () => {
    expect(installOutput).toContain('STATUS: deployed');
    expect(installOutput).toContain(`logs deployment/${release}-controller`);
  });

  test('the controller holds the chart\'s Lease', async () => {
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: releaseNamespace, name: `${release}-controller` });
    expect(lease.spec?.holderIdentity).toBe(`chart-test-${release}`);
  });

  test('Tasks run to completion with outputs, a limited Agent queues, and a cross-namespace Task runs in the Agent\'s namespace', async () => {
    await custom.createNamespacedCustomObject({
      ...G,
      namespace: taskNamespace,
      plural: 'agents',
      body: {
        apiVersion: 'kubeopencode.io/v1alpha1',
        kind: 'Agent',
        metadata: { name: 'limited' },
        spec: {
          maxConcurrentTasks: 1,
          outputs: { parameters: [{ name: 'pr-url', path: '.outputs/pr-url' }, { name: 'summary', path: '.outputs/summary', default: 'none' }] },
        },
      },
    });
    const task = (namespace: string, name: string, agentRef: object) => custom.createNamespacedCustomObject({
      ...G,
      namespace,
      plural: 'tasks',
      body: { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name }, spec: { description: `Do ${name}`, agentRef } },
    });
    await task(taskNamespace, 'first', { name: 'limited' });
    await waitForTask(taskNamespace, 'first', (t) => t.status?.phase === 'Running', 'Running');
    await task(otherNamespace, 'second', { name: 'limited', namespace: taskNamespace });
    const queued = await waitForTask(otherNamespace, 'second', (t) => t.status?.phase === 'Queued', 'Queued');
    expect(queued.status?.queuePosition).toBe(1);
    expect(queued.metadata.finalizers).toContain('kubeopencode.io/task-cleanup');

    const first = await waitForTask(taskNamespace, 'first', (t) => t.status?.phase === 'Completed', 'Completed');
    expect(first.status?.outputs?.parameters).toEqual({ 'pr-url': 'https://git.example.com/pr/first', 'summary': 'done' });
    const second = await waitForTask(otherNamespace, 'second', (t) => t.status?.phase === 'Completed', 'Completed');
    expect(second.status).toMatchObject({ podNamespace: taskNamespace, outputs: { parameters: { 'pr-url': 'https://git.example.com/pr/second', 'summary': 'done' } } });
    const configMap = await core.readNamespacedConfigMap({ namespace: taskNamespace, name: second.status!.podName! });
    expect(configMap.metadata?.labels?.['kubeopencode.io/task']).toBe('second');

    const events = await core.listNamespacedEvent({ namespace: taskNamespace, fieldSelector: 'involvedObject.kind=Task,involvedObject.name=first' });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Admitted', 'PodCreated', 'Succeeded']));
    await waitFor(async () => {
      const agent = await custom.getNamespacedCustomObject({ ...G, namespace: taskNamespace, plural: 'agents', name: 'limited' }) as Obj;
      return agent.status?.runningTasks === 0;
    }, { timeoutMs: 10_000, description: 'the Agent status to show no running Task' });

    // Deleting the cross-namespace Task: the controller removes its Pod and ConfigMap, then the finalizer.
    await custom.deleteNamespacedCustomObject({ ...G, namespace: otherNamespace, plural: 'tasks', name: 'second' });
    await waitFor(async () => getTask(otherNamespace, 'second').then(() => false, (e: unknown) => isApiError(e, 404)), { timeoutMs: 15_000, description: 'the cross-namespace Task to go' });
    await expect(core.readNamespacedConfigMap({ namespace: taskNamespace, name: second.status!.podName! })).rejects.toMatchObject({ code: 404 });

    expect(logger.forbidden()).toEqual([]);
    expect(node.errors).toEqual([]);
  }, TIMEOUT);

  test('a CronTask makes its Task with the chart\'s RBAC (create Tasks, owner references, status)', async () => {
    await custom.createNamespacedCustomObject({
      ...G,
      namespace: taskNamespace,
      plural: 'crontasks',
      body: {
        apiVersion: 'kubeopencode.io/v1alpha1',
        kind: 'CronTask',
        metadata: { name: 'nightly', annotations: { 'kubeopencode.io/run-now': 'once' } },
        spec: { schedule: '0 3 * * *', taskTemplate: { spec: { description: 'Nightly', agentRef: { name: 'limited' } } } },
      },
    });
    const made = await waitFor(async () => {
      const list = await custom.listNamespacedCustomObject({ ...G, namespace: taskNamespace, plural: 'tasks', labelSelector: 'kubeopencode.io/crontask=nightly' }) as { items: TaskObject[] };
      return list.items[0];
    }, { timeoutMs: 30_000, description: 'the CronTask\'s Task' });
    await waitForTask(taskNamespace, made.metadata.name, (t) => t.status?.phase === 'Completed', 'Completed');
    await waitFor(async () => {
      const cron = await custom.getNamespacedCustomObject({ ...G, namespace: taskNamespace, plural: 'crontasks', name: 'nightly' }) as Obj;
      return cron.status?.lastManualRun === 'once' && cron.status?.nextScheduleTime;
    }, { timeoutMs: 10_000, description: 'the CronTask status' });
    expect(logger.forbidden()).toEqual([]);
  }, TIMEOUT);

  describe('what the ServiceAccount may not do', () => {
    const review = async (attributes: Obj) => {
      const api = saKc.makeApiClient(AuthorizationV1Api);
      const result = await api.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attributes } } });
      return result.status?.allowed === true;
    };

    test('each rule of the ClusterRole and the Role is granted (SelfSubjectAccessReview)', async () => {
      for (const rule of CONTROLLER_CLUSTER_RULES) {
        const [group, resource] = [rule.apiGroups[0], rule.resources[0]];
        const [plain, sub] = resource.split('/');
        for (const verb of rule.verbs) {
          const allowed = await review({ group, resource: plain, subresource: sub, verb, name: rule.resourceNames?.[0], namespace: taskNamespace });
          expect([resource, verb, allowed]).toEqual([resource, verb, true]);
        }
      }
      const lease = { group: 'coordination.k8s.io', resource: 'leases', namespace: releaseNamespace };
      expect(await review({ ...lease, verb: 'create' })).toBe(true);
      expect(await review({ ...lease, verb: 'update', name: `${release}-controller` })).toBe(true);
    }, TIMEOUT);

    test.each([
      ['read Secrets', { resource: 'secrets', verb: 'get' }],
      ['list Secrets', { resource: 'secrets', verb: 'list' }],
      ['list Secrets cluster-wide', { resource: 'secrets', verb: 'list', namespace: '' }],
      ['write Secrets', { resource: 'secrets', verb: 'create' }],
      // It creates Tasks for CronTasks, but never writes a CronTask or an Agent (users own them).
      ['write CronTasks', { group: 'kubeopencode.io', resource: 'crontasks', verb: 'patch' }],
      ['create CronTasks', { group: 'kubeopencode.io', resource: 'crontasks', verb: 'create' }],
      ['change a Task\'s spec', { group: 'kubeopencode.io', resource: 'tasks', verb: 'update' }],
      ['write Agents', { group: 'kubeopencode.io', resource: 'agents', verb: 'patch' }],
      ['delete Agents', { group: 'kubeopencode.io', resource: 'agents', verb: 'delete' }],
      ['write the KubeOpenCodeConfig', { group: 'kubeopencode.io', resource: 'kubeopencodeconfigs', verb: 'update', name: 'cluster', namespace: '' }],
      ['list KubeOpenCodeConfigs by any other name', { group: 'kubeopencode.io', resource: 'kubeopencodeconfigs', verb: 'list', namespace: '' }],
      ['delete CRDs', { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verb: 'delete', namespace: '' }],
      ['exec into Pods', { resource: 'pods', subresource: 'exec', verb: 'create' }],
      ['change Pods', { resource: 'pods', verb: 'patch' }],
      ['change ConfigMaps', { resource: 'configmaps', verb: 'update' }],
      ['mint ServiceAccount tokens', { resource: 'serviceaccounts', subresource: 'token', verb: 'create' }],
      ['create RoleBindings', { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', verb: 'create' }],
      ['escalate ClusterRoles', { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'escalate', namespace: '' }],
      ['delete Namespaces', { resource: 'namespaces', verb: 'delete', namespace: '' }],
      ['take another Lease', { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', name: 'kube-scheduler' }],
    ])('may not %s', async (_what, attributes) => {
      const namespace = 'namespace' in attributes ? attributes.namespace : taskNamespace;
      expect(await review({ ...attributes, namespace: namespace || undefined })).toBe(false);
    });

    test('real requests are refused with 403', async () => {
      const asSa = saKc.makeApiClient(CoreV1Api);
      const codeOf = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (isApiError(e) ? e.code : String(e)));
      expect(await codeOf(asSa.listNamespacedSecret({ namespace: taskNamespace }))).toBe(403);
      expect(await codeOf(asSa.listSecretForAllNamespaces())).toBe(403);
      expect(await codeOf(asSa.createNamespacedSecret({ namespace: taskNamespace, body: { metadata: { name: 'x' }, stringData: { a: 'b' } } }))).toBe(403);
      expect(await codeOf(saKc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
        ...G,
        namespace: taskNamespace,
        plural: 'agents',
        body: { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Agent', metadata: { name: 'by-the-controller' }, spec: {} },
      }))).toBe(403);
      expect(await codeOf(saKc.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name: 'tasks.kubeopencode.io' }))).toBe(403);
    });
  });
});
