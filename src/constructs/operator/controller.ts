/**
 * The controller Deployment of the operator: its flags, its container (probes, security
 * context, resources) and the Pod around it, every setting read through a Source.
 */
import type { V1Container, V1Deployment, V1EnvVar, V1ObjectMeta, V1Probe } from '@kubernetes/client-node';
import { helmExpr } from './helm-markers.js';
import { HelmHelpers, Source } from './sources.js';
import { OperatorControllerValues } from './values.js';

/** The controller's command line: `controller`, a flag per setting, then `extraArgs`. */
export function controllerArgs(s: Source, controller: OperatorControllerValues, extraArgs: readonly string[]): string[] {
  return ['controller', ...(s.helm ? helmFlags() : concreteFlags(controller, s.controllerName)), ...extraArgs];
}

/** The flags as Helm expressions over `.Values.controller`. */
function helmFlags(): string[] {
  return [
    helmExpr('{{ printf "--metrics-bind-address=:%v" .Values.controller.metrics.port | quote }}'),
    helmExpr('{{ printf "--health-probe-bind-address=:%v" .Values.controller.health.port | quote }}'),
    helmExpr('{{ ternary "--leader-elect" "--no-leader-elect" .Values.controller.leaderElection.enabled | quote }}'),
    helmExpr(`{{ printf "--leader-election-id=%s" (include "${HelmHelpers.controllerName}" .) | quote }}`),
    helmExpr('{{ printf "--lease-duration=%v" .Values.controller.leaderElection.leaseDurationSeconds | quote }}'),
    helmExpr('{{ printf "--log-format=%s" .Values.controller.logFormat | quote }}'),
    helmExpr('{{ printf "--log-level=%s" .Values.controller.logLevel | quote }}'),
    helmExpr('{{ printf "--workers=%v" .Values.controller.workers | quote }}'),
    helmExpr('{{ printf "--shards=%v" .Values.controller.shards | quote }}'),
    helmExpr('{{ printf "--watch-namespaces=%s" (join "," .Values.controller.watchNamespaces) | quote }}'),
  ];
}

/** The flags for concrete settings; `leaderElectionId` names the Lease. */
function concreteFlags(c: OperatorControllerValues, leaderElectionId: string): string[] {
  return [
    `--metrics-bind-address=:${c.metrics.port}`,
    `--health-probe-bind-address=:${c.health.port}`,
    c.leaderElection.enabled ? '--leader-elect' : '--no-leader-elect',
    `--leader-election-id=${leaderElectionId}`,
    `--lease-duration=${c.leaderElection.leaseDurationSeconds}`,
    `--log-format=${c.logFormat}`,
    `--log-level=${c.logLevel}`,
    `--workers=${c.workers}`,
    `--shards=${c.shards}`,
    ...(c.watchNamespaces.length ? [`--watch-namespaces=${c.watchNamespaces.join(',')}`] : []),
  ];
}

/** An HTTP GET probe on the `health` port. */
function healthProbe(path: string, initialDelaySeconds: number, periodSeconds: number): V1Probe {
  return {
    httpGet: { path, port: 'health' as never, scheme: 'HTTP' },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: 3,
    successThreshold: 1,
  };
}

/** The controller container, running `args` with `env` after POD_NAMESPACE. */
export function controllerContainer(s: Source, args: string[], env: readonly V1EnvVar[]): V1Container {
  return {
    name: 'controller',
    image: s.image,
    imagePullPolicy: s.scalar('controller.image.pullPolicy'),
    args,
    env: [
      // The leader-election Lease lives in the controller's own namespace.
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      // addEnv('NODE_OPTIONS', ...) replaces the setting rather than adding a second variable.
      ...(env.some((e) => e.name === 'NODE_OPTIONS') ? [] : [{ name: 'NODE_OPTIONS', value: s.scalar<string>('controller.nodeOptions') }]),
      ...env,
    ],
    ports: [
      { name: 'metrics', containerPort: s.scalar('controller.metrics.port'), protocol: 'TCP' },
      { name: 'health', containerPort: s.scalar('controller.health.port'), protocol: 'TCP' },
    ],
    livenessProbe: healthProbe('/healthz', 5, 10),
    readinessProbe: healthProbe('/readyz', 2, 5),
    resources: s.block('controller.resources'),
    securityContext: s.block('controller.securityContext'),
    // Node needs a writable /tmp (nothing else) under the read-only root filesystem.
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** The controller Deployment: `container` in a Pod that runs as the controller's ServiceAccount. */
export function controllerDeployment(s: Source, metadata: V1ObjectMeta, container: V1Container): V1Deployment {
  const podAnnotations = s.annotations('controller.podAnnotations');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: s.scalar('controller.replicas'),
      revisionHistoryLimit: 10,
      // A new Pod stands by (ready) before the old one releases the Lease.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 as never, maxUnavailable: 0 as never } },
      selector: { matchLabels: s.selectorLabels() },
      template: {
        metadata: {
          labels: s.podLabels(),
          ...(podAnnotations !== undefined ? { annotations: podAnnotations as Record<string, string> } : {}),
        },
        spec: {
          serviceAccountName: s.serviceAccountName,
          // The controller talks to the API server with this token; nothing else in the Pod.
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: s.block('controller.podSecurityContext'),
          imagePullSecrets: s.optional('controller.imagePullSecrets'),
          priorityClassName: s.optional('controller.priorityClassName'),
          nodeSelector: s.optional('controller.nodeSelector'),
          tolerations: s.optional('controller.tolerations'),
          affinity: s.optional('controller.affinity'),
          containers: [container],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}
