/**
 * A set of values with every setting changed from its default, for the chart's tests.
 * Running helm itself is the harness's (harness/operator/helm.ts).
 */
import { OperatorValues } from '../../src/constructs/operator/kubeopencode-operator.js';

/** Every setting different from its default (test/chart checks that none is left at it). */
export const ALL_VALUES: OperatorValues = {
  nameOverride: 'kubeopencode-all',
  fullnameOverride: 'koc-all',
  commonLabels: { 'team': 'platform', 'example.com/cost-center': '42' },
  commonAnnotations: { 'example.com/owner': 'platform@example.com' },
  controller: {
    image: { repository: 'registry.example.com/kubeopencode/kubeopencode', tag: 'v9.9.9', pullPolicy: 'IfNotPresent' },
    imagePullSecrets: [{ name: 'regcred' }],
    replicas: 2,
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    logLevel: 'debug',
    logFormat: 'text',
    shards: 1,
    workers: 8,
    nodeOptions: '--max-semi-space-size=8 --max-old-space-size=700',
    watchNamespaces: ['team-*', 'platform'],
    leaderElection: { enabled: false, leaseDurationSeconds: 30 },
    metrics: { port: 9090 },
    health: { port: 9091 },
    podLabels: { 'example.com/tier': 'control' },
    podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
    podSecurityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001 },
    nodeSelector: { 'kubernetes.io/os': 'linux', 'pool': 'system' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'system', effect: 'NoSchedule' }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }],
        },
      },
    },
    priorityClassName: 'system-cluster-critical',
  },
  serviceAccount: { create: true, name: 'koc-all-sa', annotations: { 'iam.example.com/role': 'kubeopencode' } },
  rbac: { create: true },
  config: {
    create: true,
    systemImage: { image: 'registry.example.com/kubeopencode/system:v9.9.9', imagePullPolicy: 'Always' },
    cleanup: { ttlSecondsAfterFinished: 86400, maxRetainedTasks: 100 },
  },
  ui: {
    enabled: true,
    replicas: 2,
    port: 9000,
    listenOnLoopback: true,
    namespaces: ['team-a', 'team-b'],
    allowedOrigins: ['https://ui.example.com'],
    logLevel: 'debug',
    health: { port: 9001 },
    resources: { requests: { cpu: '20m', memory: '200Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    extraContainers: [{
      name: 'oauth2-proxy',
      image: 'quay.io/oauth2-proxy/oauth2-proxy:v7.14.0',
      args: ['--upstream=http://127.0.0.1:9000/', '--http-address=0.0.0.0:4180', '--pass-authorization-header=true'],
      ports: [{ name: 'proxy', containerPort: 4180 }],
      volumeMounts: [{ name: 'oauth2-proxy', mountPath: '/etc/oauth2-proxy', readOnly: true }],
    }],
    extraVolumes: [{ name: 'oauth2-proxy', secret: { secretName: 'ui-oauth2-proxy' } }],
    service: { type: 'NodePort', port: 8080, targetPort: 'proxy' },
    networkPolicy: { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] },
    podLabels: { 'example.com/tier': 'web' },
    podAnnotations: { 'example.com/ui': 'web' },
    nodeSelector: { pool: 'web' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
    affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'kubeopencode-all-ui' } } } }] } },
  },
};

/** Leaf paths of a values object (maps and lists count as leaves). */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.keys(value).length) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}
