/**
 * Where each of the operator's settings comes from: concrete values (a cdk8s app) or Helm
 * expressions over `.Values` (the chart), behind one interface so that the construct has one
 * code path for both.
 */
import { helmBlock, helmExpr, helmItems, helmSplice, helmWith } from './helm-markers.js';
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
  uiName: 'kubeopencode.uiName',
  uiLabels: 'kubeopencode.uiLabels',
  uiSelectorLabels: 'kubeopencode.uiSelectorLabels',
  uiPodLabels: 'kubeopencode.uiPodLabels',
  uiArgs: 'kubeopencode.uiArgs',
  uiPorts: 'kubeopencode.uiPorts',
} as const;

/**
 * Which part of the operator an object belongs to. The UI's Pods carry their own
 * `app.kubernetes.io/name` (`<name>-ui`): the controller Deployment's selector (name and
 * instance, fixed for the life of a release) would otherwise match them too.
 */
export type Component = 'controller' | 'ui';

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
  /** The UI's Deployment, Service, ServiceAccount and NetworkPolicy. */
  readonly uiName: string;
  readonly image: string;
  /** A scalar setting: its value, or `{{ .Values.path }}` (quoted for strings). */
  scalar<T>(path: ValuesPath): T;
  /** A map or list setting that is always present: its value, or a toYaml block. */
  block<T>(path: ValuesPath): T;
  /** A setting left out when empty: its value or undefined, or a `with` block. */
  optional<T>(path: ValuesPath): T | undefined;
  /** A list setting whose items go at the end of a list: its items, or one helmItems marker. */
  items<T>(path: ValuesPath): T[];
  /** A boolean that decides whether something exists (in Helm: always true, plus a condition). */
  enabled(path: ValuesPath): boolean;
  /** The labels of every object of the component. */
  labels(component?: Component): Record<string, string>;
  selectorLabels(component?: Component): Record<string, string>;
  podLabels(component?: Component): Record<string, string>;
  /** Extra annotations, merged with commonAnnotations (the helm form is an expression). */
  annotations(extra?: ValuesPath): Record<string, string> | string | undefined;
}

export class ConcreteSource implements Source {
  public readonly helm = false;
  public readonly controllerName: string;
  public readonly leaderElectionName: string;
  public readonly shardsName: string;
  public readonly serviceAccountName: string;
  public readonly uiName: string;
  public readonly image: string;

  constructor(private readonly values: OperatorValues, private readonly name: string, public readonly namespace: string) {
    this.controllerName = `${name}-controller`;
    this.uiName = `${name}-ui`;
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

  public items<T>(path: ValuesPath): T[] {
    return jsonClone(valueAt(this.values, path) as T[]);
  }

  public enabled(path: ValuesPath): boolean {
    return valueAt(this.values, path) === true;
  }

  public selectorLabels(component: Component = 'controller'): Record<string, string> {
    return { 'app.kubernetes.io/name': component === 'ui' ? `${DEFAULT_NAME}-ui` : DEFAULT_NAME, 'app.kubernetes.io/instance': this.name };
  }

  public labels(component: Component = 'controller'): Record<string, string> {
    return {
      ...this.values.commonLabels,
      ...this.selectorLabels(component),
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/part-of': DEFAULT_NAME,
      // Not "kubeopencode": that value marks the Task Pods the reconciler watches.
      'app.kubernetes.io/managed-by': 'cdk8s',
    };
  }

  public podLabels(component: Component = 'controller'): Record<string, string> {
    return { ...this.values.commonLabels, ...this.values[component].podLabels, ...this.labels(component) };
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
  public readonly uiName = helmExpr(`{{ include "${HelmHelpers.uiName}" . | quote }}`);
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

  public items<T>(path: ValuesPath): T[] {
    return [helmItems(`.Values.${path}`) as T];
  }

  public enabled(): boolean {
    return true;
  }

  public labels(component: Component = 'controller'): Record<string, string> {
    return { [helmSplice(`include "${component === 'ui' ? HelmHelpers.uiLabels : HelmHelpers.labels}" .`)]: '' };
  }

  public selectorLabels(component: Component = 'controller'): Record<string, string> {
    return { [helmSplice(`include "${component === 'ui' ? HelmHelpers.uiSelectorLabels : HelmHelpers.selectorLabels}" .`)]: '' };
  }

  public podLabels(component: Component = 'controller'): Record<string, string> {
    return { [helmSplice(`include "${component === 'ui' ? HelmHelpers.uiPodLabels : HelmHelpers.podLabels}" .`)]: '' };
  }

  public annotations(extra?: ValuesPath): string {
    return helmWith(extra ? `(merge (dict) .Values.${extra} .Values.commonAnnotations)` : '.Values.commonAnnotations');
  }
}
