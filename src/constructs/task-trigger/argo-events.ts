/**
 * Argo Events wire types (argoproj.io/v1alpha1): only the fields a TaskTrigger writes into
 * its EventSource and Sensor, and the Task template the Sensor's trigger creates.
 */

/** A key of a Secret (Argo Events' SecretKeySelector). */
export interface ArgoSecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** One webhook endpoint of an EventSource (`spec.webhook.<eventName>`). */
export interface ArgoWebhookContext {
  /** The port, as a string (the Argo Events API takes a string). */
  readonly port: string;
  readonly endpoint: string;
  readonly method: string;
  readonly authSecret?: ArgoSecretKeyRef;
}

export interface ArgoEventSourceSpec {
  readonly eventBusName?: string;
  readonly service?: { readonly ports: readonly { readonly port: number; readonly targetPort: number }[] };
  readonly webhook: Readonly<Record<string, ArgoWebhookContext>>;
}

/** A data filter of a Sensor dependency. */
export interface ArgoDataFilter {
  readonly path: string;
  readonly type: string;
  readonly value: readonly string[];
  readonly comparator?: string;
}

export interface ArgoEventDependency {
  readonly name: string;
  readonly eventSourceName: string;
  readonly eventName: string;
  readonly filters?: { readonly data: readonly ArgoDataFilter[] };
}

/** Where a parameter's value comes from (Argo Events' TriggerParameterSource). */
export interface ArgoTriggerParameterSource {
  readonly dependencyName: string;
  /** A gjson path into the event data. */
  readonly dataKey?: string;
  /** A Go template (with sprig functions) over the event data as `.Input`. */
  readonly dataTemplate?: string;
  /** The value used when the key is missing or the template fails or yields nothing. */
  readonly value?: string;
}

/** A parameter of a trigger (Argo Events' TriggerParameter). */
export interface ArgoTriggerParameter {
  readonly src: ArgoTriggerParameterSource;
  /** An sjson path into the resource (`spec.contexts.0.git.ref`; `\.` escapes a dot in a key). */
  readonly dest: string;
  readonly operation?: 'overwrite' | 'append' | 'prepend';
}

export interface ArgoK8sTrigger {
  readonly operation: 'create';
  readonly source: { readonly resource: TriggerTaskTemplate };
  readonly parameters?: readonly ArgoTriggerParameter[];
}

export interface ArgoTrigger {
  readonly template: { readonly name: string; readonly k8s: ArgoK8sTrigger };
}

export interface ArgoSensorSpec {
  readonly eventBusName?: string;
  readonly template: { readonly serviceAccountName: string };
  readonly dependencies: readonly ArgoEventDependency[];
  readonly triggers: readonly ArgoTrigger[];
}

/** The Task a trigger creates, as a plain object. */
export interface TriggerTaskTemplate {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly generateName: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: Record<string, unknown>;
}
