/**
 * The chart through the real helm binary (built with the control plane; these tests are
 * skipped in `npm run test:unit` when it has not been built): lint, template with the
 * defaults and with every value changed, the values schema, and the same objects as the
 * construct produces with the same settings.
 */
import { existsSync, readFileSync } from 'node:fs';
import { App, Chart } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import { ALL_VALUES } from './support.js';
import { chartDir, helm, helmBinary, helmOk, valuesFile } from '../../harness/operator/helm.js';
import { DEFAULT_OPERATOR_VALUES, KubeOpenCodeOperator, OperatorValues } from '../../src/constructs/operator/kubeopencode-operator.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

const haveHelm = existsSync(helmBinary());
if (!haveHelm && process.env.KUBEOPENCODE_NO_CLUSTER !== '1') {
  throw new Error(`helm is missing at ${helmBinary()}: harness/control-plane/build-binaries.sh builds it`);
}
const describeWithHelm = haveHelm ? describe : describe.skip;

const parseObjects = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((o) => o?.kind);

async function template(release: string, namespace: string, ...args: string[]): Promise<Obj[]> {
  return parseObjects(await helmOk(['template', release, chartDir, '--namespace', namespace, ...args]));
}

const byKind = (objs: Obj[]) => Object.fromEntries(objs.map((o) => [o.kind, o]));

/** What the construct makes of the same values, named as Helm names a release. */
function constructObjects(values: OperatorValues, release: string, namespace: string): Obj[] {
  const { nameOverride, fullnameOverride, ...settings } = values;
  const chartName = nameOverride || 'kubeopencode';
  const name = fullnameOverride || (release.includes(chartName) ? release : `${release}-${chartName}`);
  const chart = new Chart(new App(), 'plain');
  new KubeOpenCodeOperator(chart, 'operator', { ...settings, name, namespace, crds: false });
  return chart.toJson() as Obj[];
}

/** Drops what only Helm adds or names its own way (chart, version, managed-by, name and instance labels). */
function normalize(objs: Obj[]): Obj[] {
  const strip = (labels?: Record<string, string>) => {
    for (const key of ['helm.sh/chart', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/name', 'app.kubernetes.io/instance']) delete labels?.[key];
  };
  return structuredClone(objs).map((o) => {
    strip(o.metadata.labels);
    if (o.kind === 'Deployment') {
      strip(o.spec.selector.matchLabels);
      strip(o.spec.template.metadata.labels);
      const c = o.spec.template.spec.containers[0];
      c.args = c.args.filter((a: string) => a !== '--watch-namespaces=');
    }
    if (o.kind === 'Service') strip(o.spec.selector);
    if (o.kind === 'NetworkPolicy') strip(o.spec.podSelector.matchLabels);
    return o;
  }).sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

describeWithHelm('helm and the generated chart', () => {
  test('helm lint --strict is clean, with the defaults and with every value changed', async () => {
    const defaults = await helm(['lint', '--strict', chartDir]);
    expect(defaults.stderr + defaults.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(defaults.code).toBe(0);
    const all = await helm(['lint', '--strict', chartDir, '-f', valuesFile(ALL_VALUES)]);
    expect(all.code).toBe(0);
    expect(all.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  test('the defaults render the controller, its ServiceAccount and RBAC (CRDs only with --include-crds)', async () => {
    const objs = await template('kubeopencode', 'kubeopencode-system');
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/kubeopencode-controller',
      'ClusterRole/kubeopencode-controller',
      'ClusterRoleBinding/kubeopencode-controller',
      'Role/kubeopencode-leader-election',
      'RoleBinding/kubeopencode-leader-election',
      'Deployment/kubeopencode-controller',
    ]);
    const withCrds = await template('kubeopencode', 'kubeopencode-system', '--include-crds');
    expect(withCrds.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name).sort())
      .toEqual(['agents.kubeopencode.io', 'crontasks.kubeopencode.io', 'kubeopencodeconfigs.kubeopencode.io', 'tasks.kubeopencode.io']);
  });

  test('the seed README\'s values example works as it is', async () => {
    const objs = await template('kubeopencode', 'kubeopencode-system', '-f', new URL('../../examples/seed-readme/helm-values.yaml', import.meta.url).pathname);
    const c = byKind(objs).Deployment.spec.template.spec.containers[0];
    expect(c.image).toBe('quay.io/kubeopencode/kubeopencode:latest');
    expect(c.resources.limits).toEqual({ cpu: '500m', memory: '512Mi' });
  });

  test('every value changed reaches the objects', async () => {
    const objs = await template('kubeopencode', 'ops', '-f', valuesFile(ALL_VALUES));
    const k = byKind(objs.filter((o) => o.metadata.labels['app.kubernetes.io/component'] !== 'ui'));
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/koc-all-controller', 'ClusterRoleBinding/koc-all-controller', 'Deployment/koc-all-controller', 'Deployment/koc-all-ui',
      'KubeOpenCodeConfig/cluster', 'NetworkPolicy/koc-all-ui', 'Service/koc-all-ui', 'ServiceAccount/koc-all-sa', 'ServiceAccount/koc-all-ui',
    ]);
    const pod = k.Deployment.spec.template;
    const c = pod.spec.containers[0];
    expect(k.Deployment.spec.replicas).toBe(2);
    expect(c.image).toBe('registry.example.com/kubeopencode/kubeopencode:v9.9.9');
    expect(c.args).toEqual([
      'controller', '--metrics-bind-address=:9090', '--health-probe-bind-address=:9091', '--no-leader-elect',
      '--leader-election-id=koc-all-controller', '--lease-duration=30', '--log-format=text', '--log-level=debug', '--workers=8',
      '--shards=1', '--watch-namespaces=team-*,platform',
    ]);
    expect(c.ports.map((p: Obj) => p.containerPort)).toEqual([9090, 9091]);
    expect(c.env).toContainEqual({ name: 'NODE_OPTIONS', value: ALL_VALUES.controller.nodeOptions });
    expect(pod.metadata.labels).toMatchObject({ 'team': 'platform', 'example.com/tier': 'control', 'app.kubernetes.io/name': 'kubeopencode-all' });
    expect(pod.metadata.annotations).toEqual({ 'example.com/owner': 'platform@example.com', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' });
    expect(pod.spec).toMatchObject({
      imagePullSecrets: [{ name: 'regcred' }],
      priorityClassName: 'system-cluster-critical',
      serviceAccountName: 'koc-all-sa',
      nodeSelector: ALL_VALUES.controller.nodeSelector,
      tolerations: ALL_VALUES.controller.tolerations,
      affinity: ALL_VALUES.controller.affinity,
      securityContext: ALL_VALUES.controller.podSecurityContext,
    });
    expect(k.ServiceAccount.metadata.annotations).toEqual({ 'example.com/owner': 'platform@example.com', 'iam.example.com/role': 'kubeopencode' });
    expect(k.ClusterRoleBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'koc-all-sa', namespace: 'ops' }]);
    expect(k.KubeOpenCodeConfig.spec).toEqual({
      systemImage: { image: 'registry.example.com/kubeopencode/system:v9.9.9', imagePullPolicy: 'Always' },
      cleanup: { ttlSecondsAfterFinished: 86400, maxRetainedTasks: 100 },
    });
  });

  test('every UI value changed reaches the UI\'s objects', async () => {
    const objs = (await template('kubeopencode', 'ops', '-f', valuesFile(ALL_VALUES))).filter((o) => o.metadata.name === 'koc-all-ui');
    const k = byKind(objs);
    const ui = ALL_VALUES.ui;
    const pod = k.Deployment.spec.template;
    expect(k.Deployment.spec.replicas).toBe(2);
    expect(k.Deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'kubeopencode', 'app.kubernetes.io/name': 'kubeopencode-all-ui' });
    expect(pod.metadata.labels).toMatchObject({ 'example.com/tier': 'web', 'team': 'platform', 'app.kubernetes.io/component': 'ui' });
    expect(pod.metadata.annotations).toEqual({ 'example.com/owner': 'platform@example.com', 'example.com/ui': 'web' });
    const [c, proxy] = pod.spec.containers;
    expect(c.args).toEqual([
      'ui', '--auth=bearer', '--address=127.0.0.1', '--port=9000', '--health-port=9001', '--log-level=debug',
      '--namespace=team-a', '--namespace=team-b', '--allowed-origin=https://ui.example.com',
    ]);
    // On loopback the UI's own port is not a way in: only the health port is declared.
    expect(c.ports).toEqual([{ name: 'health', containerPort: 9001, protocol: 'TCP' }]);
    expect(c.image).toBe('registry.example.com/kubeopencode/kubeopencode:v9.9.9');
    expect(c.resources).toEqual(ui.resources);
    expect(c.securityContext).toEqual(ALL_VALUES.controller.securityContext);
    expect(proxy).toEqual(ui.extraContainers[0]);
    expect(pod.spec.volumes.map((v: Obj) => v.name)).toEqual(['tmp', 'kube-api-ca', 'oauth2-proxy']);
    expect(pod.spec).toMatchObject({
      serviceAccountName: 'koc-all-ui',
      automountServiceAccountToken: false,
      nodeSelector: ui.nodeSelector,
      tolerations: ui.tolerations,
      affinity: ui.affinity,
      imagePullSecrets: [{ name: 'regcred' }],
      securityContext: ALL_VALUES.controller.podSecurityContext,
    });
    expect(k.Service.spec).toMatchObject({ type: 'NodePort', ports: [{ name: 'http', port: 8080, targetPort: 'proxy', protocol: 'TCP' }] });
    expect(k.Service.spec.selector).toEqual(k.Deployment.spec.selector.matchLabels);
    expect(k.NetworkPolicy.spec.ingress).toEqual([{ from: ui.networkPolicy.from, ports: [{ port: 'proxy', protocol: 'TCP' }] }]);
  });

  test('ui.enabled=true: the UI with no rights and no token, reached on its own port from any Pod (no NetworkPolicy)', async () => {
    const objs = await template('kubeopencode', 'kubeopencode-system', '--set', 'ui.enabled=true');
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/kubeopencode-controller',
      'ServiceAccount/kubeopencode-ui',
      'ClusterRole/kubeopencode-controller',
      'ClusterRoleBinding/kubeopencode-controller',
      'Role/kubeopencode-leader-election',
      'RoleBinding/kubeopencode-leader-election',
      'Service/kubeopencode-ui',
      'Deployment/kubeopencode-controller',
      'Deployment/kubeopencode-ui',
    ]);
    const sa = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'kubeopencode-ui')!;
    expect(sa.automountServiceAccountToken).toBe(false);
    const bindings = objs.filter((o) => o.kind.endsWith('RoleBinding'));
    expect(bindings.flatMap((b) => b.subjects).filter((sub: Obj) => sub.name === 'kubeopencode-ui')).toEqual([]);
    const [controller, ui] = objs.filter((o) => o.kind === 'Deployment');
    // The controller's selector must not take in the UI's Pods.
    const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([key, v]) => labels[key] === v);
    expect(matches(controller.spec.selector.matchLabels, ui.spec.template.metadata.labels)).toBe(false);
    expect(matches(ui.spec.selector.matchLabels, controller.spec.template.metadata.labels)).toBe(false);
    const pod = ui.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.volumes).toContainEqual({ name: 'kube-api-ca', configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    const c = pod.containers[0];
    expect(c.args).toEqual(['ui', '--auth=bearer', '--address=0.0.0.0', '--allow-remote', '--port=8090', '--health-port=8091', '--log-level=info']);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8090, protocol: 'TCP' }, { name: 'health', containerPort: 8091, protocol: 'TCP' }]);
    expect(c.volumeMounts).toContainEqual({ name: 'kube-api-ca', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const service = objs.find((o) => o.kind === 'Service')!;
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    const lint = await helm(['lint', '--strict', chartDir, '--set', 'ui.enabled=true']);
    expect(lint.code).toBe(0);
  });

  test('docs/ui.md\'s sidecar example renders: the proxy is the way in, the UI on loopback', async () => {
    const doc = readFileSync(new URL('../../docs/ui.md', import.meta.url), 'utf8');
    const example = /```yaml\n(# ui-values\.yaml[^]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const objs = await template('kubeopencode', 'kubeopencode-system', '-f', valuesFile(parse(example!)));
    const pod = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'kubeopencode-ui')!.spec.template.spec;
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['ui', 'oauth2-proxy']);
    expect(pod.containers[0].args).toContain('--address=127.0.0.1');
    expect(pod.containers[1].args).toContain('--upstream=http://127.0.0.1:8090/');
    expect(pod.containers[1].ports).toEqual([{ name: 'http', containerPort: 4180 }]);
    expect(objs.find((o) => o.kind === 'NetworkPolicy')!.spec.ingress[0].ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
  });

  test('the values schema refuses a bad UI port with a readable message', async () => {
    const bad = await helm(['template', 'x', chartDir, '--set', 'ui.enabled=true', '--set', 'ui.port=0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(bad.stderr).toMatch(/ui\/port.*minimum/s);
  });

  test('helm template and the construct make the same objects, with the defaults and with every value changed', async () => {
    expect(normalize(await template('kubeopencode', 'kubeopencode-system'))).toEqual(normalize(constructObjects(DEFAULT_OPERATOR_VALUES, 'kubeopencode', 'kubeopencode-system')));
    expect(normalize(await template('my-release', 'ops', '-f', valuesFile(ALL_VALUES)))).toEqual(normalize(constructObjects(ALL_VALUES, 'my-release', 'ops')));
    const other = { ...DEFAULT_OPERATOR_VALUES, serviceAccount: { create: false, name: '', annotations: {} }, rbac: { create: false } };
    expect(normalize(await template('team-a', 'team-a', '-f', valuesFile(other)))).toEqual(normalize(constructObjects(other, 'team-a', 'team-a')));
    const ui = { ...DEFAULT_OPERATOR_VALUES, ui: { ...DEFAULT_OPERATOR_VALUES.ui, enabled: true, namespaces: ['a'], service: { type: 'ClusterIP' as const, port: 80, targetPort: 8090 } } };
    expect(normalize(await template('kubeopencode', 'x', '-f', valuesFile(ui)))).toEqual(normalize(constructObjects(ui, 'kubeopencode', 'x')));
  });

  test('controller.shards > 1: --shards, and a Role to read and take over any Lease of the release namespace', async () => {
    const sharded = await template('kubeopencode', 'kubeopencode-system', '--set', 'controller.shards=3', '--set', 'controller.replicas=3');
    const deployment = sharded.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.template.spec.containers[0].args).toContain('--shards=3');
    const roles = sharded.filter((o) => o.kind === 'Role').map((o) => [o.metadata.name, o.rules]);
    expect(roles).toContainEqual(['kubeopencode-shards', [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['list', 'get', 'update'] }]]);
    expect(sharded.filter((o) => o.kind === 'RoleBinding').map((o) => o.metadata.name)).toContain('kubeopencode-shards');
    const plain = await template('kubeopencode', 'kubeopencode-system');
    expect(plain.filter((o) => o.kind === 'Role').map((o) => o.metadata.name)).toEqual(['kubeopencode-leader-election']);
  });

  test('rbac.create and serviceAccount.create false leave only the Deployment, running as the named ServiceAccount', async () => {
    const objs = await template('kubeopencode', 'x', '--set', 'rbac.create=false', '--set', 'serviceAccount.create=false', '--set', 'serviceAccount.name=existing');
    expect(objs.map((o) => o.kind)).toEqual(['Deployment']);
    expect(objs[0].spec.template.spec.serviceAccountName).toBe('existing');
  });

  test('releases get their own names for cluster-scoped objects', async () => {
    const a = await template('kubeopencode-a', 'ns-a');
    const b = await template('team-b', 'ns-b');
    const clusterScoped = (objs: Obj[]) => objs.filter((o) => o.kind.startsWith('Cluster')).map((o) => o.metadata.name);
    expect(clusterScoped(a)).toEqual(['kubeopencode-a-controller', 'kubeopencode-a-controller']);
    expect(clusterScoped(b)).toEqual(['team-b-kubeopencode-controller', 'team-b-kubeopencode-controller']);
  });

  test('the values schema refuses a misspelt key or a wrong type with a readable message', async () => {
    const typo = await helm(['template', 'x', chartDir, '--set', 'controller.imag.tag=v1']);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(typo.stderr).toContain('imag');
    const type = await helm(['template', 'x', chartDir, '--set-string', 'controller.replicas=two']);
    expect(type.code).not.toBe(0);
    expect(type.stderr).toContain('replicas');
  });

  test('the chart\'s CRDs are the ones the harness installs', () => {
    const inChart = ['tasks', 'agents', 'kubeopencodeconfigs'].map((p) => readFileSync(`${chartDir}/crds/${p}.kubeopencode.io.yaml`, 'utf8'));
    expect(inChart.every((text) => text.includes('kind: CustomResourceDefinition'))).toBe(true);
  });
});
