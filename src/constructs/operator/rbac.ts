/**
 * The operator's RBAC: exactly the calls of src/reconciler, and nothing else. The rule tables
 * (each rule with the reason it exists) and the ClusterRole, Role and bindings built from them.
 */
import type { RbacV1Subject, V1ClusterRole, V1ClusterRoleBinding, V1ObjectMeta, V1PolicyRule, V1Role, V1RoleBinding } from '@kubernetes/client-node';
import { CLUSTER_CONFIG_NAME, GROUP, Kinds } from '../../api/constants.js';

/** A PolicyRule with the reason it exists. */
export interface OperatorRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
  /** Which reconciler call needs it. */
  readonly why: string;
}

/**
 * The controller's cluster-wide rules. Every verb maps to a call in src/reconciler (see
 * `why`); Secrets are absent on purpose: Task Pods mount them, the controller never reads them.
 */
export const CONTROLLER_CLUSTER_RULES: readonly OperatorRule[] = [
  {
    apiGroups: [GROUP],
    resources: [Kinds.task.plural],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    why: 'informer (list, watch); re-read after a 409 (get); CronTasks make Tasks (create); the finalizer of cross-namespace Tasks (patch); '
      + 'cleanup by TTL, maxRetainedTasks and CronTask history, and CronTask Replace (delete)',
  },
  { apiGroups: [GROUP], resources: [`${Kinds.task.plural}/status`], verbs: ['patch'], why: 'every phase transition is a merge patch of the status subresource' },
  {
    apiGroups: [GROUP],
    resources: [`${Kinds.task.plural}/finalizers`],
    verbs: ['update'],
    why: 'Pods and ConfigMaps carry an ownerReference with blockOwnerDeletion to their Task, which the OwnerReferencesPermissionEnforcement admission plugin allows only with this',
  },
  { apiGroups: [GROUP], resources: [Kinds.agent.plural], verbs: ['list', 'watch'], why: 'informer (Agents are only read from the cache)' },
  { apiGroups: [GROUP], resources: [`${Kinds.agent.plural}/status`], verbs: ['patch'], why: 'runningTasks, queuedTasks and conditions' },
  { apiGroups: [GROUP], resources: [Kinds.cronTask.plural], verbs: ['list', 'watch'], why: 'informer (CronTasks are only read from the cache)' },
  { apiGroups: [GROUP], resources: [`${Kinds.cronTask.plural}/status`], verbs: ['patch'], why: 'active Tasks, last and next schedule times, conditions' },
  {
    apiGroups: [GROUP],
    resources: [`${Kinds.cronTask.plural}/finalizers`],
    verbs: ['update'],
    why: 'Tasks made by a CronTask carry an ownerReference with blockOwnerDeletion to it (OwnerReferencesPermissionEnforcement)',
  },
  {
    apiGroups: [GROUP],
    resources: [Kinds.config.plural],
    verbs: ['list', 'watch'],
    resourceNames: [CLUSTER_CONFIG_NAME],
    why: `informer on the singleton (fieldSelector metadata.name=${CLUSTER_CONFIG_NAME}, which lets RBAC restrict it by name)`,
  },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'], why: 'informer on Task Pods; read when not cached yet; create; delete on stop, timeout, stale Pods and finalization' },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'delete'], why: 'read ConfigMap contexts; create and delete the context ConfigMap of a Task' },
  { apiGroups: [''], resources: ['events'], verbs: ['create'], why: 'an Event on every Task transition' },
];

/** The Role in the controller's namespace: leader election on one Lease. */
export function leaderElectionRules(leaseName: string): OperatorRule[] {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'], why: 'the first candidate creates the Lease (create cannot be limited by name)' },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [leaseName], why: 'read, renew, take over and release the Lease' },
  ];
}

/** The extra Role of sharded mode: shard and member Leases have names made at run time. */
export const SHARD_RULES: readonly OperatorRule[] = [
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['list', 'get', 'update'],
    why: 'sharded mode: read every shard and member Lease of the namespace, renew and take over shards (their names are made at run time)',
  },
];

const toPolicyRule = ({ why: _why, ...rule }: OperatorRule): V1PolicyRule => ({
  apiGroups: [...rule.apiGroups],
  resources: [...rule.resources],
  verbs: [...rule.verbs],
  ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
});

const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1';

/** The ServiceAccount a binding grants its role to. */
export interface RbacServiceAccount {
  readonly name: string;
  readonly namespace: string;
}

const subjectOf = (serviceAccount: RbacServiceAccount): RbacV1Subject => ({ kind: 'ServiceAccount', name: serviceAccount.name, namespace: serviceAccount.namespace });

/** The controller's ClusterRole: CONTROLLER_CLUSTER_RULES. */
export function controllerClusterRole(metadata: V1ObjectMeta): V1ClusterRole {
  return { apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata, rules: CONTROLLER_CLUSTER_RULES.map(toPolicyRule) };
}

/** Binds the ClusterRole `roleName` to the controller's ServiceAccount. */
export function controllerClusterRoleBinding(metadata: V1ObjectMeta, roleName: string, serviceAccount: RbacServiceAccount): V1ClusterRoleBinding {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [subjectOf(serviceAccount)],
  };
}

/** The Role in the controller's namespace: leaderElectionRules on the Lease `leaseName`. */
export function leaderElectionRole(metadata: V1ObjectMeta, leaseName: string): V1Role {
  return { apiVersion: RBAC_API_VERSION, kind: 'Role', metadata, rules: leaderElectionRules(leaseName).map(toPolicyRule) };
}

/** The Role of sharded mode in the controller's namespace: SHARD_RULES. */
export function shardRole(metadata: V1ObjectMeta): V1Role {
  return { apiVersion: RBAC_API_VERSION, kind: 'Role', metadata, rules: SHARD_RULES.map(toPolicyRule) };
}

/** Binds the Role `roleName` to the controller's ServiceAccount. */
export function leaderElectionRoleBinding(metadata: V1ObjectMeta, roleName: string, serviceAccount: RbacServiceAccount): V1RoleBinding {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'RoleBinding',
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
    subjects: [subjectOf(serviceAccount)],
  };
}
