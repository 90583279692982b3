import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import {
  CONTROLLER_CLUSTER_RULES, DEFAULT_OPERATOR_VALUES, helmBlock, helmConditionOf, helmExpr, helmItems, helmSplice, helmWith,
  KubeOpenCodeOperator, KubeOpenCodeOperatorProps, mergeValues, renderHelmMarkers,
} from '../../../src/constructs/operator/kubeopencode-operator.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

function manifests(props: KubeOpenCodeOperatorProps = {}, build?: (op: KubeOpenCodeOperator) => void): Obj[] {
  const app = new App();
  const chart = new Chart(app, 'test');
  const op = new KubeOpenCodeOperator(chart, 'operator', props);
  build?.(op);
  return chart.toJson() as Obj[];
}

const byKind = (objs: Obj[], kind: string): Obj[] => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string): Obj => {
  const found = byKind(objs, kind);
  expect(found).toHaveLength(1);
  return found[0];
};
const container = (objs: Obj[]): Obj => one(objs, 'Deployment').spec.template.spec.containers[0];

describe('KubeOpenCodeOperator with its defaults', () => {
  const objs = manifests();

  test('creates the CRDs, the controller, its ServiceAccount and its RBAC, and no KubeOpenCodeConfig', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kubeopencode-controller',
      'ClusterRoleBinding/kubeopencode-controller',
      'CustomResourceDefinition/agents.kubeopencode.io',
      'CustomResourceDefinition/crontasks.kubeopencode.io',
      'CustomResourceDefinition/kubeopencodeconfigs.kubeopencode.io',
      'CustomResourceDefinition/tasks.kubeopencode.io',
      'Deployment/kubeopencode-controller',
      'Role/kubeopencode-leader-election',
      'RoleBinding/kubeopencode-leader-election',
      'ServiceAccount/kubeopencode-controller',
    ]);
    for (const o of objs.filter((x) => ['Deployment', 'ServiceAccount', 'Role', 'RoleBinding'].includes(x.kind))) {
      expect(o.metadata.namespace).toBe('kubeopencode-system');
    }
  });

  test('one replica that elects a leader, with probes on the health port', () => {
    const deployment = one(objs, 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    const c = container(objs);
    expect(c.args).toEqual([
      'controller',
      '--metrics-bind-address=:8080',
      '--health-probe-bind-address=:8081',
      '--leader-elect',
      '--leader-election-id=kubeopencode-controller',
      '--lease-duration=15',
      '--log-format=json',
      '--log-level=info',
      '--workers=4',
      '--shards=1',
    ]);
    expect(c.ports).toEqual([
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
      { name: 'health', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health', scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health', scheme: 'HTTP' });
    expect(c.env).toContainEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    // The young-generation cap that keeps RSS low (docs/benchmarks.md, "Memory").
    expect(c.env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-semi-space-size=4' });
  });

  test('every default that matters is set on purpose', () => {
    const pod = one(objs, 'Deployment').spec.template.spec;
    const c = container(objs);
    expect(c.image).toBe('quay.io/kubeopencode/kubeopencode:latest');
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe('kubeopencode-controller');
    expect(pod.enableServiceLinks).toBe(false);
    expect(one(objs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    // Not managed-by=kubeopencode: that marks the Task Pods the controller (and the simulated node) watch.
    expect(one(objs, 'Deployment').spec.template.metadata.labels['app.kubernetes.io/managed-by']).toBe('cdk8s');
    expect(one(objs, 'Deployment').spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'kubeopencode', 'app.kubernetes.io/instance': 'kubeopencode' });
  });

  test('the ClusterRole holds exactly the reconciler rules, and nothing on Secrets', () => {
    const role = one(objs, 'ClusterRole');
    expect(role.rules).toEqual(CONTROLLER_CLUSTER_RULES.map(({ why: _why, ...r }) => r));
    expect(JSON.stringify(role.rules)).not.toContain('secrets');
    expect(JSON.stringify(role.rules)).not.toContain('*');
    const binding = one(objs, 'ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeopencode-controller' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubeopencode-controller', namespace: 'kubeopencode-system' }]);
  });

  test('the Role allows the controller its own Lease only', () => {
    expect(one(objs, 'Role').rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: ['kubeopencode-controller'] },
    ]);
  });
});

describe('the RBAC rules and the reconciler', () => {
  /**
   * The Kubernetes client calls in src/reconciler. A call that is not listed here needs a
   * look at CONTROLLER_CLUSTER_RULES (and then a line here).
   */
  const KNOWN_CALLS: Record<string, string> = {
    getNamespacedCustomObject: 'tasks get',
    createNamespacedCustomObject: 'tasks create (CronTasks)',
    patchNamespacedCustomObjectStatus: 'tasks/status, agents/status, crontasks/status patch',
    patchNamespacedCustomObject: 'tasks patch',
    deleteNamespacedCustomObject: 'tasks delete',
    readNamespacedPod: 'pods get',
    createNamespacedPod: 'pods create',
    deleteNamespacedPod: 'pods delete',
    readNamespacedConfigMap: 'configmaps get',
    createNamespacedConfigMap: 'configmaps create',
    deleteNamespacedConfigMap: 'configmaps delete',
    createNamespacedEvent: 'events create',
    readNamespacedLease: 'leases get (Role)',
    listNamespacedLease: 'leases list (the shard Role)',
    createNamespacedLease: 'leases create (Role)',
    replaceNamespacedLease: 'leases update (Role)',
  };

  test('every Kubernetes call of src/reconciler is one the rules were written for', () => {
    const dir = new URL('../../../src/reconciler/', import.meta.url).pathname;
    const calls = new Set<string>();
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('runtime/leader.ts');
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/\.(?:core|custom|api)\.([a-zA-Z]+)\(/g)) calls.add(m[1]);
    }
    expect([...calls].filter((c) => !(c in KNOWN_CALLS))).toEqual([]);
  });

  test('informers list and watch only tasks, agents, the KubeOpenCodeConfig and pods', () => {
    const text = readFileSync(new URL('../../../src/reconciler/controller.ts', import.meta.url), 'utf8');
    const informed = [...text.matchAll(/this\.informer<\w+>\('([a-z]+)'/g)].map((m) => m[1]).sort();
    expect(informed).toEqual(['agents', 'crontasks', 'kubeopencodeconfigs', 'pods', 'tasks']);
    const listWatch = CONTROLLER_CLUSTER_RULES.filter((r) => r.verbs.includes('list') && r.verbs.includes('watch')).map((r) => r.resources[0]).sort();
    expect(listWatch).toEqual(informed);
  });
});

describe('KubeOpenCodeOperator with settings', () => {
  test('name, namespace and values reach every object', () => {
    const objs = manifests({
      name: 'koc',
      namespace: 'ops',
      createNamespace: true,
      crds: false,
      commonLabels: { team: 'platform' },
      commonAnnotations: { owner: 'platform@example.com' },
      controller: {
        image: { repository: 'registry.example.com/koc', tag: 'v1.2.3', pullPolicy: 'IfNotPresent' },
        replicas: 2,
        resources: { limits: { cpu: '1' } },
        logLevel: 'debug',
        logFormat: 'text',
        watchNamespaces: ['team-*', 'ops'],
        podLabels: { 'app.kubernetes.io/name': 'not-this', 'extra': 'yes' },
        podAnnotations: { 'prometheus.io/scrape': 'true' },
        nodeSelector: { pool: 'system' },
        tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
        priorityClassName: 'system-cluster-critical',
      },
      serviceAccount: { annotations: { 'iam.example.com/role': 'koc' } },
    });
    expect(objs.map((o) => o.kind)).not.toContain('CustomResourceDefinition');
    expect(one(objs, 'Namespace').metadata.name).toBe('ops');
    const deployment = one(objs, 'Deployment');
    expect(deployment.metadata).toMatchObject({ name: 'koc-controller', namespace: 'ops', annotations: { owner: 'platform@example.com' } });
    expect(deployment.metadata.labels.team).toBe('platform');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template;
    expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'kubeopencode', 'app.kubernetes.io/instance': 'koc', 'extra': 'yes', 'team': 'platform' });
    expect(pod.metadata.annotations).toEqual({ 'owner': 'platform@example.com', 'prometheus.io/scrape': 'true' });
    expect(pod.spec).toMatchObject({
      nodeSelector: { pool: 'system' },
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      priorityClassName: 'system-cluster-critical',
      serviceAccountName: 'koc-controller',
    });
    const c = container(objs);
    expect(c.image).toBe('registry.example.com/koc:v1.2.3');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    // Helm's merge: the default requests and memory limit stay.
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    expect(c.args).toEqual(expect.arrayContaining(['--log-level=debug', '--log-format=text', '--watch-namespaces=team-*,ops', '--leader-election-id=koc-controller']));
    expect(one(objs, 'ServiceAccount').metadata.annotations).toEqual({ 'owner': 'platform@example.com', 'iam.example.com/role': 'koc' });
    expect(one(objs, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'koc-controller', namespace: 'ops' }]);
    expect(one(objs, 'Role').rules[1].resourceNames).toEqual(['koc-controller']);
  });

  test('without RBAC, ServiceAccount or leader election, those objects are left out', () => {
    const objs = manifests({ crds: false, rbac: { create: false }, serviceAccount: { create: false, name: 'existing' }, controller: { leaderElection: { enabled: false } } });
    expect(objs.map((o) => o.kind)).toEqual(['Deployment']);
    expect(one(objs, 'Deployment').spec.template.spec.serviceAccountName).toBe('existing');
    expect(container(objs).args).toContain('--no-leader-elect');

    const noElection = manifests({ crds: false, controller: { leaderElection: { enabled: false } } });
    expect(noElection.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'ServiceAccount']);
    const defaultSa = manifests({ crds: false, serviceAccount: { create: false } });
    expect(one(defaultSa, 'Deployment').spec.template.spec.serviceAccountName).toBe('default');
  });

  test('the KubeOpenCodeConfig defaults its system image to the controller image', () => {
    const objs = manifests({ crds: false, controller: { image: { tag: 'v2' } }, config: { create: true, cleanup: { ttlSecondsAfterFinished: 3600 } } });
    const config = one(objs, 'KubeOpenCodeConfig');
    expect(config.metadata.name).toBe('cluster');
    expect(config.metadata.namespace).toBeUndefined();
    expect(config.spec).toEqual({
      systemImage: { image: 'quay.io/kubeopencode/kubeopencode:v2', imagePullPolicy: 'IfNotPresent' },
      cleanup: { ttlSecondsAfterFinished: 3600 },
    });
    const explicit = one(manifests({ crds: false, config: { create: true, systemImage: { image: 'x/y:z' } } }), 'KubeOpenCodeConfig');
    expect(explicit.spec).toEqual({ systemImage: { image: 'x/y:z', imagePullPolicy: 'IfNotPresent' } });
  });

  test('addEnv() and addArgs() reach the controller container', () => {
    const objs = manifests({ crds: false }, (op) => op.addEnv('NODE_OPTIONS', '--max-old-space-size=400').addArgs('--workers=8'));
    expect(container(objs).env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=400' });
    // It replaces the chart's NODE_OPTIONS instead of adding a second, conflicting variable.
    expect(container(objs).env.filter((e: { name: string }) => e.name === 'NODE_OPTIONS')).toHaveLength(1);
    expect(container(objs).args.at(-1)).toBe('--workers=8');
  });

  test('ui.enabled: the Web UI as a Deployment with no token, a ServiceAccount with no rights, and a Service', () => {
    const objs = manifests({ crds: false, ui: { enabled: true, namespaces: ['team-a'], allowedOrigins: ['https://ui.example.com'] } });
    const ui = objs.filter((o) => o.metadata.name === 'kubeopencode-ui');
    expect(ui.map((o) => o.kind)).toEqual(['ServiceAccount', 'Deployment', 'Service']);
    const [sa, deployment, service] = ui;
    expect(sa.automountServiceAccountToken).toBe(false);
    // No Role or ClusterRole reaches it: its users' tokens are its only rights.
    expect(objs.filter((o) => o.kind.endsWith('RoleBinding')).flatMap((b) => b.subjects.map((x: Obj) => x.name))).not.toContain('kubeopencode-ui');
    const pod = deployment.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'kubeopencode-ui', automountServiceAccountToken: false, enableServiceLinks: false });
    expect(pod.securityContext).toEqual(DEFAULT_OPERATOR_VALUES.controller.podSecurityContext);
    expect(pod.volumes).toEqual([
      { name: 'tmp', emptyDir: {} },
      { name: 'kube-api-ca', configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    const c = pod.containers[0];
    expect(c.args).toEqual([
      'ui', '--auth=bearer', '--address=0.0.0.0', '--allow-remote', '--port=8090', '--health-port=8091', '--log-level=info',
      '--namespace=team-a', '--allowed-origin=https://ui.example.com',
    ]);
    expect(c).toMatchObject({ name: 'ui', image: 'quay.io/kubeopencode/kubeopencode:latest', imagePullPolicy: 'Always' });
    expect(c.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'kube-api-ca', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health', scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'health', scheme: 'HTTP' });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '160Mi' }, limits: { cpu: '500m', memory: '384Mi' } });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    // Its own name label: the controller Deployment's selector (name and instance) would take in its Pods otherwise.
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'kubeopencode-ui', 'app.kubernetes.io/instance': 'kubeopencode' });
    expect(deployment.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'ui' });
    expect(service.spec).toEqual({
      type: 'ClusterIP',
      selector: deployment.spec.selector.matchLabels,
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    });
    expect(objs.map((o) => o.kind)).not.toContain('NetworkPolicy');
  });

  test('the UI behind a sidecar proxy: loopback, the proxy\'s port as the way in, and a NetworkPolicy for it', () => {
    const proxy = { name: 'oauth2-proxy', image: 'quay.io/oauth2-proxy/oauth2-proxy:v7.14.0', ports: [{ name: 'proxy', containerPort: 4180 }] };
    const from = [{ podSelector: { matchLabels: { app: 'ingress' } } }];
    const objs = manifests({
      crds: false,
      ui: {
        enabled: true,
        listenOnLoopback: true,
        extraContainers: [proxy],
        extraVolumes: [{ name: 'proxy-config', secret: { secretName: 'proxy' } }],
        service: { targetPort: 'proxy' },
        networkPolicy: { from },
      },
    });
    const pod = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'kubeopencode-ui')!.spec.template.spec;
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['ui', 'oauth2-proxy']);
    expect(pod.containers[1]).toEqual(proxy);
    const c = pod.containers[0];
    expect(c.args.slice(0, 4)).toEqual(['ui', '--auth=bearer', '--address=127.0.0.1', '--port=8090']);
    expect(c.args).not.toContain('--allow-remote');
    expect(c.ports).toEqual([{ name: 'health', containerPort: 8091, protocol: 'TCP' }]);
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['tmp', 'kube-api-ca', 'proxy-config']);
    expect(one(objs, 'Service').spec.ports[0].targetPort).toBe('proxy');
    expect(one(objs, 'NetworkPolicy').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'kubeopencode-ui', 'app.kubernetes.io/instance': 'kubeopencode' } },
      policyTypes: ['Ingress'],
      ingress: [{ from, ports: [{ protocol: 'TCP', port: 'proxy' }] }],
    });
  });

  test('synthesizes to YAML with App.synthYaml() like any construct', () => {
    const app = new App();
    new KubeOpenCodeOperator(new Chart(app, 'test'), 'operator');
    expect(app.synthYaml()).toContain('kind: Deployment');
  });
});

describe('mergeValues', () => {
  test('merges objects key by key and replaces lists, as Helm merges values', () => {
    const merged = mergeValues(DEFAULT_OPERATOR_VALUES, { controller: { tolerations: [{ key: 'a', operator: 'Exists' }], image: { tag: 'x' } } });
    expect(merged.controller.image).toEqual({ repository: 'quay.io/kubeopencode/kubeopencode', tag: 'x', pullPolicy: 'Always' });
    expect(merged.controller.tolerations).toEqual([{ key: 'a', operator: 'Exists' }]);
    expect(merged.controller.replicas).toBe(1);
    expect(DEFAULT_OPERATOR_VALUES.controller.image.tag).toBe('latest'); // untouched
  });
});

describe('Helm mode', () => {
  const app = new App();
  const op = new KubeOpenCodeOperator(new Chart(app, 'helm'), 'operator', { helm: true });

  test('leaves the CRDs to the chart\'s crds/ folder and marks optional objects with their condition', () => {
    expect(op.crds).toBeUndefined();
    expect(Object.fromEntries(op.objects.map((o) => [o.node.id, helmConditionOf(o)]))).toEqual({
      ServiceAccount: '.Values.serviceAccount.create',
      ClusterRole: '.Values.rbac.create',
      ClusterRoleBinding: '.Values.rbac.create',
      Role: 'and .Values.rbac.create .Values.controller.leaderElection.enabled',
      RoleBinding: 'and .Values.rbac.create .Values.controller.leaderElection.enabled',
      ShardRole: 'and .Values.rbac.create .Values.controller.leaderElection.enabled (gt (int .Values.controller.shards) 1)',
      ShardRoleBinding: 'and .Values.rbac.create .Values.controller.leaderElection.enabled (gt (int .Values.controller.shards) 1)',
      Resource: undefined,
      KubeOpenCodeConfig: '.Values.config.create',
      UiServiceAccount: '.Values.ui.enabled',
      UiDeployment: '.Values.ui.enabled',
      UiService: '.Values.ui.enabled',
      UiNetworkPolicy: 'and .Values.ui.enabled .Values.ui.networkPolicy.from',
    });
  });

  test('every setting of the Deployment becomes an expression over .Values', () => {
    const text = renderHelmMarkers(stringify(op.deployment.toJson(), { lineWidth: 0 }));
    expect(text).not.toMatch(/__HELM/);
    for (const expected of [
      'replicas: {{ .Values.controller.replicas }}',
      'image: {{ include "kubeopencode.image" . | quote }}',
      'imagePullPolicy: {{ .Values.controller.image.pullPolicy | quote }}',
      '{{- toYaml .Values.controller.resources | nindent 12 }}',
      '{{- toYaml .Values.controller.podSecurityContext | nindent 8 }}',
      '{{- with .Values.controller.nodeSelector }}',
      '{{- include "kubeopencode.podLabels" . | nindent 8 }}',
      'containerPort: {{ .Values.controller.metrics.port }}',
      'namespace: {{ .Release.Namespace | quote }}',
    ]) expect(text).toContain(expected);
  });
});

describe('renderHelmMarkers', () => {
  test('turns each kind of marker into template syntax at the right indentation', () => {
    const yaml = stringify({
      a: { n: helmExpr('{{ .Values.n }}'), list: [helmExpr('{{ .Values.s | quote }}')] },
      b: { block: helmBlock('toYaml .Values.b'), opt: helmWith('.Values.o'), labels: { [helmSplice('include "x" .')]: '', fixed: 'v' } },
      c: [{ args: helmBlock('include "args" .'), name: 'first' }, helmItems('.Values.more')],
    }, { lineWidth: 0 });
    expect(renderHelmMarkers(yaml)).toBe([
      'a:',
      '  n: {{ .Values.n }}',
      '  list:',
      '    - {{ .Values.s | quote }}',
      'b:',
      '  block:',
      '{{- toYaml .Values.b | nindent 4 }}',
      '{{- with .Values.o }}',
      '  opt:',
      '{{- toYaml . | nindent 4 }}',
      '{{- end }}',
      '  labels:',
      '{{- include "x" . | nindent 4 }}',
      '    fixed: v',
      'c:',
      '  - args:',
      '{{- include "args" . | nindent 6 }}',
      '    name: first',
      '{{- with .Values.more }}',
      '{{- toYaml . | nindent 2 }}',
      '{{- end }}',
      '',
    ].join('\n'));
  });

  test('refuses a literal {{ that Helm would evaluate, and markers in places they cannot be', () => {
    expect(() => renderHelmMarkers('a: "{{ not mine }}"\n')).toThrow(/literal/);
    expect(() => renderHelmMarkers(`- k: ${helmWith('x')}\n`)).toThrow(/list item/);
    expect(() => renderHelmMarkers(`k: prefix-${helmBlock('x')}\n`)).toThrow(/cannot be/);
  });
});
