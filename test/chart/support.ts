/**
 * Running the helm binary that test/cluster/build-binaries.sh builds, and a set of values
 * with every setting changed from its default.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { chartDir } from '../../scripts/chart.js';
import { OperatorValues } from '../../src/constructs/kubeopencode-operator.js';

export { chartDir };

export const helmBinary = (): string => join(process.env.KUBEOPENCODE_BIN ?? join(process.env.HOME ?? '/root', '.cache', 'kubeopencode', 'bin'), 'helm');

const helmHome = mkdtempSync(join(tmpdir(), 'kubeopencode-helm-'));
process.once('exit', () => rmSync(helmHome, { recursive: true, force: true }));

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with its caches in a temp dir; resolves with the exit code (never rejects on a failing helm). */
export function helm(args: string[], options: { kubeconfig?: string } = {}): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    execFile(helmBinary(), [...args, ...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : [])], {
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(helmHome, 'cache'),
        HELM_CONFIG_HOME: join(helmHome, 'config'),
        HELM_DATA_HOME: join(helmHome, 'data'),
      },
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? error.code as number : 0, stdout, stderr });
    });
  });
}

/** Like helm(), but fails with helm's own output when it exits non-zero. */
export async function helmOk(args: string[], options: { kubeconfig?: string } = {}): Promise<string> {
  const result = await helm(args, options);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Writes values to a temp file for `-f`. */
export function valuesFile(values: unknown): string {
  const file = join(mkdtempSync(join(helmHome, 'values-')), 'values.yaml');
  writeFileSync(file, stringify(values));
  return file;
}

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
};

/** Leaf paths of a values object (maps and lists count as leaves). */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.keys(value).length) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}
