/**
 * Offline validation and defaulting against the same schemas the CRDs carry, so that
 * constructs and `kubeopencode render` refuse what the API server would refuse, with the
 * same field paths and rule messages, and apply the same defaults.
 */
import { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { CRD_DEFINITIONS, CrdDefinition } from './crds.js';
import { JSONSchema, Rule } from './schema.js';

/** One problem with an object, as the API server would word it: a field path and a message. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('\n');
}

const KUBERNETES_KEYWORDS = [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
];

/**
 * Makes objects strict like `kubectl apply` with strict field validation: a field that is
 * not in the schema is an error instead of being silently pruned.
 */
function strictCopy(schema: JSONSchema): JSONSchema {
  const copy: Record<string, unknown> = { ...schema };
  delete copy['x-kubernetes-validations'];
  if (schema.properties) {
    copy.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, strictCopy(v)]));
    if (schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
      copy.additionalProperties = false;
    }
  }
  if (schema.items) copy.items = strictCopy(schema.items);
  if (typeof schema.additionalProperties === 'object') copy.additionalProperties = strictCopy(schema.additionalProperties);
  if (schema.anyOf) copy.anyOf = schema.anyOf.map(strictCopy);
  return copy as JSONSchema;
}

function listMapDuplicates(schema: JSONSchema, value: unknown, path: string): FieldError[] {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || !keys || !Array.isArray(value)) return [];
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  value.forEach((item, i) => {
    const id = JSON.stringify(keys.map((k) => (item as Record<string, unknown>)?.[k]));
    if (seen.has(id)) errors.push({ field: `${path}[${i}]`, message: `Duplicate value: ${keys.map((k) => `${k}=${(item as Record<string, unknown>)[k]}`).join(', ')}` });
    seen.add(id);
  });
  return errors;
}

/** Evaluates the TypeScript twins of the CEL rules, walking the value along its schema. */
function ruleErrors(schema: JSONSchema, value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  const errors: FieldError[] = [];
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const holds = (rule as Rule).holds;
    if (holds && !safely(() => holds(value))) errors.push({ field: path || '<root>', message: rule.message });
  }
  errors.push(...listMapDuplicates(schema, value, path));
  if (schema.properties && typeof value === 'object') {
    for (const [key, sub] of Object.entries(schema.properties)) {
      errors.push(...ruleErrors(sub, (value as Record<string, unknown>)[key], path ? `${path}.${key}` : key));
    }
  }
  if (schema.items && Array.isArray(value)) {
    value.forEach((item, i) => errors.push(...ruleErrors(schema.items!, item, `${path}[${i}]`)));
  }
  if (typeof schema.additionalProperties === 'object' && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      errors.push(...ruleErrors(schema.additionalProperties, item, `${path}[${key}]`));
    }
  }
  return errors;
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

function fieldOf(error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let field = '';
  for (const part of parts) field += /^\d+$/.test(part) ? `[${part}]` : field ? `.${part}` : part;
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return field ? `${field}.${missing}` : missing;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return field ? `${field}.${extra}` : extra;
  }
  return field || '<root>';
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required': return 'Required value';
    case 'additionalProperties': return 'field not declared in schema';
    case 'enum': return `Unsupported value: supported values: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => `"${v}"`).join(', ')}`;
    case 'maxLength': return `Too long: may not be more than ${(error.params as { limit: number }).limit} bytes`;
    default: return error.message ?? error.keyword;
  }
}

/** Compiles the validators once; Ajv compilation is the expensive part. */
class KindValidator {
  private readonly check: ValidateFunction;
  private readonly fill: ValidateFunction;

  constructor(ajv: Ajv, defaults: Ajv, private readonly def: CrdDefinition) {
    const strict = strictCopy(def.schema);
    this.check = ajv.compile(strict);
    this.fill = defaults.compile(strict);
  }

  /** Every problem with `obj`: schema violations first, then rule violations. */
  validate(obj: unknown): FieldError[] {
    const schemaErrors = this.check(obj) ? [] : (this.check.errors ?? []).map((e) => ({ field: fieldOf(e), message: messageOf(e) }));
    return [...dedupe(schemaErrors), ...ruleErrors(this.def.schema, obj, '')];
  }

  /** A copy of `obj` with the schema's defaults applied, as the API server stores it. */
  withDefaults<T>(obj: T): T {
    // A JSON copy, not structuredClone: objects from another realm (Jest's) confuse cdk8s later.
    const copy = JSON.parse(JSON.stringify(obj)) as T;
    this.fill(copy);
    return copy;
  }
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.field}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function newAjv(useDefaults: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults, strict: true, strictRequired: false, strictTypes: false });
  for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword(keyword);
  for (const format of ['int32', 'int64', 'date-time']) ajv.addFormat(format, true);
  return ajv;
}

export type KubeOpenCodeKind = 'Task' | 'Agent' | 'KubeOpenCodeConfig' | 'CronTask';

let validators: Map<string, KindValidator> | undefined;

function validatorFor(kind: KubeOpenCodeKind): KindValidator {
  if (!validators) {
    const ajv = newAjv(false);
    const defaults = newAjv(true);
    validators = new Map(CRD_DEFINITIONS.map((def) => [def.names.kind, new KindValidator(ajv, defaults, def)]));
  }
  const validator = validators.get(kind);
  if (!validator) throw new Error(`no CRD of kind ${kind}`);
  return validator;
}

/** Validates a whole object (apiVersion, kind, metadata, spec, status) of one of our kinds. */
export function validateObject(kind: KubeOpenCodeKind, obj: unknown): FieldError[] {
  return validatorFor(kind).validate(obj);
}

/** Applies the CRD defaults to a whole object of one of our kinds (returns a copy). */
export function applyDefaults<T>(kind: KubeOpenCodeKind, obj: T): T {
  return validatorFor(kind).withDefaults(obj);
}
