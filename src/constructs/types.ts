/**
 * The API's types as constructs and the reconciler use them: the interfaces generated
 * into imports/ by `cdk8s import`, with the generated enums and int-or-string classes
 * relaxed to their wire values, so that a plain object read from the API server (or
 * written by hand, `type: 'Text'`) fits.
 */
import * as koc from '../../imports/kubeopencode.io.js';
import { ContextTypeName } from '../api/constants.js';
import { RetryPolicy } from '../api/retry.js';

/** A URL context as on the wire (`cdk8s import` renames insecureSkipTLSVerify to insecureSkipTlsVerify). */
export type UrlContext = Omit<koc.TaskSpecContextsUrl, 'insecureSkipTlsVerify'> & { readonly insecureSkipTLSVerify?: boolean };

export type ContextItem = Omit<koc.TaskSpecContexts, 'type' | 'url'> & {
  readonly type: ContextTypeName;
  readonly url?: UrlContext;
};

/** A context in the form the generated L1 classes take. */
export function toL1Context(item: ContextItem): koc.TaskSpecContexts {
  if (!item.url) return item as unknown as koc.TaskSpecContexts;
  const { insecureSkipTLSVerify, ...url } = item.url;
  return { ...item, url: { ...url, insecureSkipTlsVerify: insecureSkipTLSVerify } } as unknown as koc.TaskSpecContexts;
}
export type OutputParameter = koc.TaskSpecOutputsParameters;
export type Credential = koc.AgentSpecCredentials;
export type AgentRef = koc.TaskSpecAgentRef;

export interface Outputs {
  readonly parameters?: readonly OutputParameter[];
}

export type Toleration = Omit<koc.AgentSpecPodSpecSchedulingTolerations, 'operator' | 'effect'> & {
  readonly operator?: 'Exists' | 'Equal';
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
};

export type Quantity = string | number;

export interface ResourceRequirements {
  readonly limits?: Readonly<Record<string, Quantity>>;
  readonly requests?: Readonly<Record<string, Quantity>>;
}

export type AgentPodSpec = Omit<koc.AgentSpecPodSpec, 'resources' | 'scheduling'> & {
  readonly resources?: ResourceRequirements;
  readonly scheduling?: Omit<koc.AgentSpecPodSpecScheduling, 'tolerations'> & { readonly tolerations?: readonly Toleration[] };
};

export type AgentSpec = Omit<koc.AgentSpec, 'contexts' | 'credentials' | 'outputs' | 'podSpec' | 'allowedNamespaces' | 'command' | 'retryPolicy'> & {
  readonly retryPolicy?: RetryPolicy;
  readonly contexts?: readonly ContextItem[];
  readonly credentials?: readonly Credential[];
  readonly outputs?: Outputs;
  readonly podSpec?: AgentPodSpec;
  readonly allowedNamespaces?: readonly string[];
  readonly command?: readonly string[];
};

export type TaskSpec = Omit<koc.TaskSpec, 'contexts' | 'outputs' | 'retryPolicy'> & {
  readonly retryPolicy?: RetryPolicy;
  readonly contexts?: readonly ContextItem[];
  readonly outputs?: Outputs;
};

export type ConfigSpec = koc.KubeOpenCodeConfigSpec;

export type CronTaskSpec = Omit<koc.CronTaskSpec, 'concurrencyPolicy' | 'taskTemplate'> & {
  readonly concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  readonly taskTemplate: {
    readonly metadata?: { readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
    readonly spec: TaskSpec;
  };
};

/** The metadata fields our objects are identified by. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
  readonly ownerReferences?: readonly {
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    readonly uid: string;
    readonly controller?: boolean;
    readonly blockOwnerDeletion?: boolean;
  }[];
}
