/**
 * Where a parameter writes: a `to` path parsed into segments from the Task's root, and the
 * checks that it is a string field of the Task schema which the template has room for, and
 * not a field that decides which credentials are used or where they are sent.
 */
import { TriggerTaskTemplate } from './argo-events.js';
import { taskCrd } from '../../api/crds.js';
import { JSONSchema } from '../../api/schema.js';
import { ContextItem } from '../types.js';

/** A key of an object or an index of a list. */
export type Segment = string | number;

const FILLS_NOT_CREATES = 'a parameter fills a field of the template, it does not create one';

/** Parses `contexts[0].git.ref` / `spec.contexts.0.git.ref` into segments; undefined if malformed. */
function parseFieldPath(path: string): Segment[] | undefined {
  const segments: Segment[] = [];
  let rest = path;
  let first = true;
  while (rest.length) {
    const m = (first ? /^([A-Za-z_][A-Za-z0-9_-]*)/ : /^(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\.(\d+))/).exec(rest);
    if (!m) return undefined;
    segments.push(m[1] ?? Number(m[2] ?? m[3]));
    rest = rest.slice(m[0].length);
    first = false;
  }
  return segments.length ? segments : undefined;
}

/** A `to` path as segments from the Task's root (a path from the spec gets `spec` in front); undefined if malformed. */
export function taskFieldPath(to: string): Segment[] | undefined {
  const segments = parseFieldPath(to);
  if (!segments) return undefined;
  return segments[0] === 'spec' || segments[0] === 'metadata' || segments[0] === 'status' ? segments : ['spec', ...segments];
}

function describePath(segments: readonly Segment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
}

/** Names the properties of an object schema, for error messages. */
function fieldsOf(schema: JSONSchema): string {
  return Object.keys(schema.properties ?? {}).join(', ');
}

/** What is wrong with a parameter's `to` for this template, or undefined. */
export function parameterDestinationProblem(to: string, template: TriggerTaskTemplate): string | undefined {
  const segments = taskFieldPath(to);
  if (!segments) return `"${to}" is not a field path (write it like "description" or "contexts[0].git.ref")`;
  if (segments[0] === 'metadata') return `"${to}": fill labels and annotations with labelsFromEvent and annotationsFromEvent; names come from task.generateName`;
  if (segments[0] === 'status') return `"${to}": the status belongs to the reconciler`;
  return destinationProblem(segments, template) ?? trustProblem(segments, template);
}

/**
 * Checks a parameter destination against the Task schema and the template: a string field,
 * whose parent exists in the template. Returns a problem, or undefined.
 */
function destinationProblem(segments: readonly Segment[], template: unknown): string | undefined {
  let schema: JSONSchema = taskCrd.schema;
  let value: unknown = template;
  for (let i = 0; i < segments.length; i++) {
    if (i > 0 && (value === undefined || value === null)) {
      return `${describePath(segments.slice(0, i))} is not in the Task template: ${FILLS_NOT_CREATES}`;
    }
    const child = childSchema(schema, segments, i, value);
    if (typeof child === 'string') return child;
    schema = child;
    value = (value as Record<string | number, unknown> | undefined)?.[segments[i] as never];
  }
  if (schema.type !== 'string') {
    return `${describePath(segments)} is ${schema.type === 'integer' ? 'an integer' : `of type ${schema.type ?? 'unknown'}`}: `
      + 'Argo Events sets parameters as strings, so only string fields can be filled from the event';
  }
  return undefined;
}

/**
 * The schema of `segments[i]` inside `schema`, the schema of `segments[i - 1]` whose value in
 * the template is `value`; or, as a string, why there is no such field.
 */
function childSchema(schema: JSONSchema, segments: readonly Segment[], i: number, value: unknown): JSONSchema | string {
  const segment = segments[i];
  const here = describePath(segments.slice(0, i + 1));
  const parent = describePath(segments.slice(0, i));
  if (schema.type === 'array') {
    if (typeof segment !== 'number') return `${parent} is a list: index it with [n]`;
    const length = Array.isArray(value) ? value.length : 0;
    if (segment >= length) return `${here} is not in the Task template (it has ${length} item${length === 1 ? '' : 's'} there): ${FILLS_NOT_CREATES}`;
    return schema.items!;
  }
  if (schema.type === 'object' && schema.properties) {
    if (typeof segment !== 'string' || !schema.properties[segment]) {
      return `${here} is not a field of the Task schema (fields of ${parent || 'Task'}: ${fieldsOf(schema)})`;
    }
    return schema.properties[segment];
  }
  if (typeof schema.additionalProperties === 'object') {
    if (typeof segment !== 'string') return `${parent} is a map: name a key`;
    return schema.additionalProperties;
  }
  return `${here} is not a field of the Task schema (${parent} has no fields)`;
}

/**
 * The fields an event must not choose, because they decide which credentials are used or
 * where they are sent: the Agent, any secretRef, and the URL of a context that has a secretRef.
 */
function trustProblem(segments: readonly Segment[], template: TriggerTaskTemplate): string | undefined {
  const path = describePath(segments);
  if (segments[1] === 'agentRef') return `${path}: the event must not choose the Agent (the Agent decides images and credentials)`;
  if (segments.includes('secretRef')) return `${path}: the event must not choose which Secret is used`;
  const [, list, index, kind, field] = segments;
  if (list === 'contexts' && typeof index === 'number' && ((kind === 'git' && field === 'repository') || (kind === 'url' && field === 'source'))) {
    const context = (template.spec.contexts as ContextItem[] | undefined)?.[index];
    const secret = kind === 'git' ? context?.git?.secretRef : context?.url?.secretRef;
    if (secret) return `${path}: context ${index} sends the credentials of Secret ${secret.name} there; the event must not choose where`;
  }
  return undefined;
}
