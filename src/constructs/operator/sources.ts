/**
 * Where each of the operator's settings comes from: concrete values (a cdk8s app) or Helm
 * expressions over `.Values` (the chart), behind one interface so that the construct has one
 * code path for both.
 */
import { helmBlock, helmExpr, helmSplice, helmWith } from './helm-markers.js';
import { DEFAULT_OPERATOR_VALUES, isPlainObject, jsonClone, OperatorValues, valueAt, ValuesPath } from './values.js';

/** The default prefix of every object's name, and the `app.kubernetes.io/name` and `part-of` labels. */
export const DEFAULT_NAME = 'kubeopencode';
/** The default namespace of the controller. */
export const DEFAULT_NAMESPACE = 'kubeopencode-system';

/** Helm template helpers (defined in the chart's _helpers.tpl) that the templates use. */
export const HelmHelpers = {
  fullname: 'kubeopencode.fullname',
  controllerName: 'kubeopencode.controllerName',
  leaderElectionName: 'kubeopencode.leaderElectionName',
  serviceAccountName: 'kubeopencode.serviceAccountName',
  image: 'kubeopencode.image',
  labels: 'kubeopencode.labels',
  selectorLabels: 'kubeopencode.selectorLabels',
  podLabels: 'kubeopencode.podLabels',
} as const;

/**
 * Where each setting comes from: concrete values (a cdk8s app) or Helm expressions (the
 * chart). The construct reads every setting through this, so both share one code path.
 */
export interface Source {
  readonly helm: boolean;
  readonly namespace: string;
  readonly controllerName: string;
  readonly leaderElectionName: string;
  /** The Role (and RoleBinding) of sharded mode. */
  readonly shardsName: string;
  readonly serviceAccountName: string;
  readonly image: string;
  /** A scalar setting: its value, or `{{ .Values.path }}` (quoted for strings). */
  scalar<T>(path: ValuesPath): T;
  /** A map or list setting that is always present: its value, or a toYaml block. */
  block<T>(path: ValuesPath): T;
  /** A setting left out when empty: its value or undefined, or a `with` block. */
  optional<T>(path: ValuesPath): T | undefined;
  /** A boolean that decides whether something exists (in Helm: always true, plus a condition). */
  enabled(path: ValuesPath): boolean;
  /** The labels of every object. */
  labels(): Record<string, string>;
  selectorLabels(): Record<string, string>;
  podLabels(): Record<string, string>;
  /** Extra annotations, merged with commonAnnotations (the helm form is an expression). */
  annotations(extra?: ValuesPath): Record<string, string> | string | undefined;
}

export class ConcreteSource implements Source {
  public readonly helm = false;
  public readonly controllerName: string;
  public readonly leaderElectionName: string;
  public readonly shardsName: string;
  public readonly serviceAccountName: string;
  public readonly image: string;

  constructor(private readonly values: OperatorValues, private readonly name: string, public readonly namespace: string) {
    this.controllerName = `${name}-controller`;
    this.leaderElectionName = `${name}-leader-election`;
    this.shardsName = `${name}-shards`;
    this.serviceAccountName = values.serviceAccount.name || (values.serviceAccount.create ? this.controllerName : 'default');
    const image = values.controller.image;
    this.image = `${image.repository}:${image.tag || 'latest'}`;
  }

  public scalar<T>(path: ValuesPath): T {
    return valueAt(this.values, path) as T;
  }

  public block<T>(path: ValuesPath): T {
    return jsonClone(valueAt(this.values, path)) as T;
  }

  public optional<T>(path: ValuesPath): T | undefined {
    const value = valueAt(this.values, path);
    const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length) || (isPlainObject(value) && !Object.keys(value).length);
    return empty ? undefined : jsonClone(value) as T;
  }

  public enabled(path: ValuesPath): boolean {
    return valueAt(this.values, path) === true;
  }

  public selectorLabels(): Record<string, string> {
    return { 'app.kubernetes.io/name': DEFAULT_NAME, 'app.kubernetes.io/instance': this.name };
  }

  public labels(): Record<string, string> {
    return {
      ...this.values.commonLabels,
      ...this.selectorLabels(),
      'app.kubernetes.io/component': 'controller',
      'app.kubernetes.io/part-of': DEFAULT_NAME,
      // Not "kubeopencode": that value marks the Task Pods the reconciler watches.
      'app.kubernetes.io/managed-by': 'cdk8s',
    };
  }

  public podLabels(): Record<string, string> {
    return { ...this.values.commonLabels, ...this.values.controller.podLabels, ...this.labels() };
  }

  public annotations(extra?: ValuesPath): Record<string, string> | undefined {
    const merged = { ...this.values.commonAnnotations, ...(extra ? valueAt(this.values, extra) as Record<string, string> : {}) };
    return Object.keys(merged).length ? merged : undefined;
  }
}

export class HelmSource implements Source {
  public readonly helm = true;
  public readonly namespace = helmExpr('{{ .Release.Namespace | quote }}');
  public readonly controllerName = helmExpr(`{{ include "${HelmHelpers.controllerName}" . | quote }}`);
  public readonly leaderElectionName = helmExpr(`{{ include "${HelmHelpers.leaderElectionName}" . | quote }}`);
  public readonly shardsName = helmExpr(`{{ printf "%s-shards" (include "${HelmHelpers.fullname}" .) | quote }}`);
  public readonly serviceAccountName = helmExpr(`{{ include "${HelmHelpers.serviceAccountName}" . | quote }}`);
  public readonly image = helmExpr(`{{ include "${HelmHelpers.image}" . | quote }}`);

  public scalar<T>(path: ValuesPath): T {
    const quote = typeof valueAt(DEFAULT_OPERATOR_VALUES, path) === 'string' ? ' | quote' : '';
    return helmExpr(`{{ .Values.${path}${quote} }}`) as T;
  }

  public block<T>(path: ValuesPath): T {
    return helmBlock(`toYaml .Values.${path}`) as T;
  }

  public optional<T>(path: ValuesPath): T {
    return helmWith(`.Values.${path}`) as T;
  }

  public enabled(): boolean {
    return true;
  }

  public labels(): Record<string, string> {
    return { [helmSplice(`include "${HelmHelpers.labels}" .`)]: '' };
  }

  public selectorLabels(): Record<string, string> {
    return { [helmSplice(`include "${HelmHelpers.selectorLabels}" .`)]: '' };
  }

  public podLabels(): Record<string, string> {
    return { [helmSplice(`include "${HelmHelpers.podLabels}" .`)]: '' };
  }

  public annotations(extra?: ValuesPath): string {
    return helmWith(extra ? `(merge (dict) .Values.${extra} .Values.commonAnnotations)` : '.Values.commonAnnotations');
  }
}
