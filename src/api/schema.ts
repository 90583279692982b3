/**
 * A small vocabulary for writing Kubernetes structural schemas (OpenAPI v3 as the API
 * server reads it, wire key names included) so that every field carries a description.
 *
 * The schemas written with it are the single source of truth of the API: the CRDs, the
 * offline validator and (through `cdk8s import`) the generated TypeScript types all come
 * from them.
 */

/** A CEL rule as the API server reads it in `x-kubernetes-validations`. */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  /** JSONPath (relative to the schema the rule sits on) of the field to blame. */
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/**
 * A CEL rule together with the same rule in TypeScript. The CRD carries the CEL (the API
 * server enforces it); the constructs and `kubeopencode render` evaluate `holds` so that
 * bad input fails at synth time with the same message. A test on the real API server
 * checks that both halves agree.
 */
export interface Rule extends CelRule {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly holds: (self: any) => boolean;
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps that our API uses, with wire names. */
export interface JSONSchema {
  readonly 'type'?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  readonly 'description'?: string;
  readonly 'properties'?: Readonly<Record<string, JSONSchema>>;
  readonly 'required'?: readonly string[];
  readonly 'additionalProperties'?: JSONSchema | boolean;
  readonly 'items'?: JSONSchema;
  readonly 'enum'?: readonly (string | number)[];
  readonly 'default'?: unknown;
  readonly 'pattern'?: string;
  readonly 'format'?: string;
  readonly 'minLength'?: number;
  readonly 'maxLength'?: number;
  readonly 'minimum'?: number;
  readonly 'maximum'?: number;
  readonly 'minItems'?: number;
  readonly 'maxItems'?: number;
  readonly 'maxProperties'?: number;
  readonly 'anyOf'?: readonly JSONSchema[];
  readonly 'x-kubernetes-validations'?: readonly (CelRule | Rule)[];
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
}

type Extra = Omit<JSONSchema, 'type' | 'description'>;

export function str(description: string, extra: Extra = {}): JSONSchema {
  return { type: 'string', description, ...extra };
}

export function int(description: string, extra: Extra = {}): JSONSchema {
  return { type: 'integer', format: 'int32', description, ...extra };
}

export function bool(description: string, extra: Extra = {}): JSONSchema {
  return { type: 'boolean', description, ...extra };
}

/** An object with known properties; `required` lists the mandatory ones. */
export function obj(description: string, properties: Record<string, JSONSchema>, extra: Extra = {}): JSONSchema {
  return { type: 'object', description, properties, ...extra };
}

export function arr(description: string, items: JSONSchema, extra: Extra = {}): JSONSchema {
  return { type: 'array', description, items, ...extra };
}

/** A string-to-string map (labels, headers, nodeSelector). */
export function stringMap(description: string, extra: Extra = {}): JSONSchema {
  return { type: 'object', description, additionalProperties: { type: 'string' }, ...extra };
}

/** A Kubernetes quantity ("500m", "1Gi", 2). */
export function quantity(description: string): JSONSchema {
  return {
    description,
    'x-kubernetes-int-or-string': true,
    'anyOf': [{ type: 'integer' }, { type: 'string' }],
    'pattern': '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  };
}

export function timestamp(description: string): JSONSchema {
  return { type: 'string', format: 'date-time', description };
}

/** Adds rules to a schema. */
export function withRules(schema: JSONSchema, ...rules: Rule[]): JSONSchema {
  return { ...schema, 'x-kubernetes-validations': [...(schema['x-kubernetes-validations'] ?? []), ...rules] };
}

/** Patterns shared by several fields. */
export const patterns = {
  /** RFC 1123 DNS label: names of namespaces, Agents, Tasks. */
  dnsLabel: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  /** RFC 1123 DNS subdomain: names of ConfigMaps, Secrets, ServiceAccounts. */
  dnsSubdomain: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  /** A C identifier, as environment variable names must be. */
  envName: '^[A-Za-z_][A-Za-z0-9_]*$',
  /** An absolute path. */
  absolutePath: '^/',
};

/** The schema as the API server takes it: TypeScript twins of the CEL rules removed. */
export function toCrdSchema(schema: JSONSchema): JSONSchema {
  return JSON.parse(JSON.stringify(schema)) as JSONSchema;
}

/** True when `path` has a `..` segment. */
export function hasDotDotSegment(path: string): boolean {
  return path.split('/').includes('..');
}

/** True when `path` is `/tools` or inside it. */
export function isUnderTools(path: string): boolean {
  return path === '/tools' || path.startsWith('/tools/');
}

/** Rules every mountPath obeys, wherever it appears. */
export const mountPathRules: Rule[] = [
  {
    rule: "!self.split('/').exists(s, s == '..')",
    message: "must not contain '..': a mountPath may not escape its root",
    holds: (p: string) => !hasDotDotSegment(p),
  },
  {
    rule: "self != '/tools' && !self.startsWith('/tools/')",
    message: 'must not be /tools or inside it: /tools holds the agent binary',
    holds: (p: string) => !isUnderTools(p),
  },
  {
    rule: "self != '/' && !self.startsWith('/kubeopencode')",
    message: 'must not be / or under /kubeopencode, which the Pod uses internally',
    holds: (p: string) => p !== '/' && !p.startsWith('/kubeopencode'),
  },
];
