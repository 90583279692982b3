/**
 * What every Task Pod container gets on purpose: the restricted Pod Security Standard,
 * explicit pull policies and resources, label values that fit.
 */
import { k8s } from 'cdk8s-plus-28';
import { ResourceRequirements } from './types.js';
import { shortHash } from '../api/names.js';

/** The user and group every container runs as (and the fsGroup of the volumes). */
export const RUN_AS = 1000;

/** The restricted Pod Security Standard, at Pod level. */
export const restrictedPod: k8s.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUN_AS,
  runAsGroup: RUN_AS,
  fsGroup: RUN_AS,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** The restricted Pod Security Standard, for one container. */
export const restrictedContainer = (readOnlyRootFilesystem: boolean): k8s.SecurityContext => ({
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  readOnlyRootFilesystem,
  seccompProfile: { type: 'RuntimeDefault' },
});

/** Small requests for the helper containers; a memory limit so a runaway clone cannot starve the node. */
export const systemResources: k8s.ResourceRequirements = {
  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
  limits: { memory: k8s.Quantity.fromString('512Mi') },
};

/** The Agent's resources, as the L1 Pod takes them. */
export function toK8sResources(resources: ResourceRequirements | undefined): k8s.ResourceRequirements | undefined {
  if (!resources) return undefined;
  const convert = (list?: Readonly<Record<string, string | number>>) => list && Object.fromEntries(
    Object.entries(list).map(([k, v]) => [k, typeof v === 'number' ? k8s.Quantity.fromNumber(v) : k8s.Quantity.fromString(v)]));
  return { limits: convert(resources.limits), requests: convert(resources.requests) };
}

/** Labels allow 63 characters; longer names are cut and made unique with a hash. */
export function labelValue(value: string): string {
  return value.length <= 63 ? value : `${value.slice(0, 54).replace(/[^A-Za-z0-9]+$/, '')}-${shortHash(value)}`;
}

/** What `kubelet` does when imagePullPolicy is left out, made explicit. */
export function defaultPullPolicy(image: string): string {
  const lastPart = image.split('/').pop() ?? image;
  const tagged = lastPart.includes(':') || image.includes('@');
  return !tagged || lastPart.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

/** Empty lists are left out of the manifest, as the API server would store them. */
export const orUndefined = <T>(list: T[]): T[] | undefined => (list.length ? list : undefined);
