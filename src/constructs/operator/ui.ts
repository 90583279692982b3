/**
 * The Web UI of the operator (`ui.enabled`): `kubeopencode ui --auth bearer` in a Deployment,
 * its Service, its ServiceAccount and, when asked, a NetworkPolicy. Every API call the UI
 * makes carries the bearer token of the request (which an authenticating proxy in front puts
 * there), so the UI needs no rights: its ServiceAccount has no binding and no token, and the
 * Pod mounts only the cluster's CA, where the Kubernetes client looks for it.
 */
import type { V1Container, V1Deployment, V1NetworkPolicy, V1ObjectMeta, V1Probe, V1Service, V1ServiceAccount, V1Volume } from '@kubernetes/client-node';
import { helmBlock, helmExpr } from './helm-markers.js';
import { HelmHelpers, Source } from './sources.js';
import { OperatorUiValues } from './values.js';

/**
 * Where in-cluster clients (client-node's `loadFromCluster`) read the API server's CA. With no
 * ServiceAccount token mounted, nothing else is in this folder.
 */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The ConfigMap with the cluster's CA that Kubernetes publishes in every namespace (1.21+). */
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';

/** The UI's command line: bearer mode, where it listens, then the lists. */
export function uiArgs(s: Source, ui: OperatorUiValues): string[] | string {
  if (s.helm) return helmBlock(`include "${HelmHelpers.uiArgs}" . | trim`);
  return [
    'ui',
    '--auth=bearer',
    // Loopback: only a proxy in the same Pod reaches it. Otherwise a proxy in another Pod does.
    ...(ui.listenOnLoopback ? ['--address=127.0.0.1'] : ['--address=0.0.0.0', '--allow-remote']),
    `--port=${ui.port}`,
    `--health-port=${ui.health.port}`,
    `--log-level=${ui.logLevel}`,
    ...ui.namespaces.map((ns) => `--namespace=${ns}`),
    ...ui.allowedOrigins.map((origin) => `--allowed-origin=${origin}`),
  ];
}

/** The same command line as a Helm template (in _helpers.tpl), one flag a line. */
export const uiArgsTemplate = `{{- define "${HelmHelpers.uiArgs}" -}}
- ui
- --auth=bearer
{{- if .Values.ui.listenOnLoopback }}
- --address=127.0.0.1
{{- else }}
- --address=0.0.0.0
- --allow-remote
{{- end }}
- {{ printf "--port=%v" .Values.ui.port | quote }}
- {{ printf "--health-port=%v" .Values.ui.health.port | quote }}
- {{ printf "--log-level=%s" .Values.ui.logLevel | quote }}
{{- range .Values.ui.namespaces }}
- {{ printf "--namespace=%s" . | quote }}
{{- end }}
{{- range .Values.ui.allowedOrigins }}
- {{ printf "--allowed-origin=%s" . | quote }}
{{- end }}
{{- end }}`;

/**
 * The container ports: `http` only when other Pods may reach it (on loopback the sidecar
 * proxy's port is the way in, and may well be named `http` itself), and `health`.
 */
function uiPorts(s: Source, ui: OperatorUiValues): V1Container['ports'] | string {
  if (s.helm) return helmBlock(`include "${HelmHelpers.uiPorts}" . | trim`);
  return [
    ...(ui.listenOnLoopback ? [] : [{ name: 'http', containerPort: ui.port, protocol: 'TCP' }]),
    { name: 'health', containerPort: ui.health.port, protocol: 'TCP' },
  ];
}

export const uiPortsTemplate = `{{- define "${HelmHelpers.uiPorts}" -}}
{{- if not .Values.ui.listenOnLoopback }}
- name: http
  containerPort: {{ .Values.ui.port }}
  protocol: TCP
{{- end }}
- name: health
  containerPort: {{ .Values.ui.health.port }}
  protocol: TCP
{{- end }}`;

/** The Service's target port (a port's name or number): as it is, a string quoted in Helm. */
const targetPort = (s: Source): string | number =>
  (s.helm ? helmExpr('{{ .Values.ui.service.targetPort | toJson }}') : s.scalar<string | number>('ui.service.targetPort'));

/** `GET /healthz` on the health port, which listens on every address even when the UI does not. */
function healthProbe(initialDelaySeconds: number, periodSeconds: number): V1Probe {
  return {
    httpGet: { path: '/healthz', port: 'health' as never, scheme: 'HTTP' },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: 3,
    successThreshold: 1,
  };
}

/** The UI's own ServiceAccount: no token, and no binding anywhere (it needs no rights). */
export function uiServiceAccount(metadata: V1ObjectMeta): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false };
}

/** The UI container: the controller's image (the same `kubeopencode` binary), read-only, its CA mounted. */
export function uiContainer(s: Source, ui: OperatorUiValues): V1Container {
  return {
    name: 'ui',
    image: s.image,
    imagePullPolicy: s.scalar('controller.image.pullPolicy'),
    args: uiArgs(s, ui) as string[],
    ports: uiPorts(s, ui) as V1Container['ports'],
    livenessProbe: healthProbe(5, 10),
    readinessProbe: healthProbe(2, 5),
    resources: s.block('ui.resources'),
    // The same image and user as the controller: the same hardening.
    securityContext: s.block('controller.securityContext'),
    volumeMounts: [
      // Node needs a writable /tmp (nothing else) under the read-only root filesystem.
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'kube-api-ca', mountPath: SERVICE_ACCOUNT_DIR, readOnly: true },
    ],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** The CA volume (ca.crt only, from `kube-root-ca.crt`) and /tmp, then `ui.extraVolumes`. */
function uiVolumes(s: Source): V1Volume[] {
  return [
    { name: 'tmp', emptyDir: {} },
    { name: 'kube-api-ca', configMap: { name: ROOT_CA_CONFIG_MAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ...s.items<V1Volume>('ui.extraVolumes'),
  ];
}

/** The UI Deployment: `container` and `ui.extraContainers` in a Pod with no ServiceAccount token. */
export function uiDeployment(s: Source, metadata: V1ObjectMeta, container: V1Container): V1Deployment {
  const podAnnotations = s.annotations('ui.podAnnotations');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: s.scalar('ui.replicas'),
      revisionHistoryLimit: 10,
      // Sessions live in one process: the new Pod is ready before the old one goes.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 as never, maxUnavailable: 0 as never } },
      selector: { matchLabels: s.selectorLabels('ui') },
      template: {
        metadata: {
          labels: s.podLabels('ui'),
          ...(podAnnotations !== undefined ? { annotations: podAnnotations as Record<string, string> } : {}),
        },
        spec: {
          serviceAccountName: s.uiName,
          // The UI acts only with its users' tokens: none of its own anywhere in the Pod.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: s.block('controller.podSecurityContext'),
          imagePullSecrets: s.optional('controller.imagePullSecrets'),
          nodeSelector: s.optional('ui.nodeSelector'),
          tolerations: s.optional('ui.tolerations'),
          affinity: s.optional('ui.affinity'),
          containers: [container, ...s.items<V1Container>('ui.extraContainers')],
          volumes: uiVolumes(s),
        },
      },
    },
  };
}

/** The Service in front of the UI Pods (or of their sidecar proxy: `ui.service.targetPort`). */
export function uiService(s: Source, metadata: V1ObjectMeta): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      type: s.scalar('ui.service.type'),
      selector: s.selectorLabels('ui'),
      ports: [{ name: 'http', port: s.scalar('ui.service.port'), targetPort: targetPort(s) as never, protocol: 'TCP' }],
    },
  };
}

/**
 * Only `ui.networkPolicy.from` (the proxy) may reach the UI Pods, and only on the Service's
 * target port: whoever reaches the UI directly could present a token without the proxy's
 * sign-in (the API server still checks it; the UI lends no rights of its own).
 */
export function uiNetworkPolicy(s: Source, metadata: V1ObjectMeta): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: {
      podSelector: { matchLabels: s.selectorLabels('ui') },
      policyTypes: ['Ingress'],
      // `from` as the API spells it (client-node's type calls it `_from`).
      ingress: [{ from: s.block('ui.networkPolicy.from'), ports: [{ protocol: 'TCP', port: targetPort(s) }] } as never],
    },
  };
}
