/**
 * The synth-time checks of a TaskTrigger: its names, the webhook, the filters, the Task
 * template against the Task CRD, labels and annotations, and where every parameter writes.
 * Each problem names the construct path and the field.
 */
import { TriggerTaskTemplate } from './argo-events.js';
import { parameterDestinationProblem } from './destinations.js';
import { EventFilter, EventLabel, EventValue, TaskParameter, TaskTemplateProps } from './props.js';
import { ResolvedWebhook } from './webhook.js';
import { patterns } from '../../api/schema.js';
import { validateObject } from '../../api/validate.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = new RegExp(patterns.dnsSubdomain);
const DNS_LABEL = new RegExp(patterns.dnsLabel);
const EVENT_PATH_SEGMENT = /^[A-Za-z0-9_-]+$/;
const ALL_DIGITS = /^\d+$/;

/** The longest name of a TaskTrigger: its EventSource's Service, `<name>-eventsource-svc`, must be a DNS label. */
export const MAX_NAME = 47;

/** Whether `value` is a valid label value (at most 63 characters). */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** Whether `key` is a valid label or annotation key (`[prefix/]name`). */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** What the checks look at: a TaskTrigger's settings, with its defaults applied. */
export interface TriggerSettings {
  readonly name: string;
  readonly namespace?: string;
  /** The construct path, for the messages. */
  readonly path: string;
  readonly webhook: ResolvedWebhook;
  readonly filters: readonly EventFilter[];
  readonly task: TaskTemplateProps;
  /** The Task the trigger creates before the event fills it. */
  readonly template: TriggerTaskTemplate;
  readonly labels: ReadonlyMap<string, EventLabel>;
  readonly annotations: ReadonlyMap<string, EventValue>;
  readonly parameters: readonly TaskParameter[];
}

/** Reports a problem with a field. */
type Report = (field: string, message: string) => void;

/** Everything wrong with the trigger, each naming the construct path and the field. */
export function triggerProblems(t: TriggerSettings): string[] {
  const where = `TaskTrigger ${t.name} (${t.path})`;
  const errors: string[] = [];
  const problem: Report = (field, message) => errors.push(`${where}: ${field}: ${message}`);
  checkNames(t.name, t.namespace, problem);
  checkWebhook(t.webhook, problem);
  checkFilters(t.filters, problem);
  checkTemplate(t.template, problem);
  checkFixedMetadata(t.task, problem);
  checkLabelsFromEvent(t.labels, t.task.labels ?? {}, problem);
  checkAnnotationsFromEvent(t.annotations, problem);
  t.parameters.forEach((p, i) => checkParameter(p, `parameters[${i}]`, t.template, problem));
  return errors;
}

function checkNames(name: string, namespace: string | undefined, problem: Report): void {
  if (!namespace) problem('namespace', 'required: set props.namespace or the chart\'s namespace (the Role, its binding and the Tasks live there)');
  else if (!DNS_LABEL.test(namespace) || namespace.length > 63) problem('namespace', `"${namespace}" is not a DNS label`);
  if (name.length > MAX_NAME || !DNS_LABEL.test(name)) {
    problem('name', `"${name}" must be a DNS label of at most ${MAX_NAME} characters (the EventSource's Service adds "-eventsource-svc")`);
  }
}

function checkWebhook({ port, endpoint, eventName }: ResolvedWebhook, problem: Report): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) problem('webhook.port', `${port} is not a port (1-65535)`);
  if (!/^\/[^\s?#]*$/.test(endpoint)) problem('webhook.endpoint', `"${endpoint}" must be a URL path starting with '/'`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(eventName)) problem('webhook.eventName', `"${eventName}" must be letters, digits, '_', '.' or '-'`);
}

function checkFilters(filters: readonly EventFilter[], problem: Report): void {
  filters.forEach((f, i) => {
    if (!f.path) problem(`filters[${i}].path`, 'required');
    if (!f.values.length) problem(`filters[${i}].values`, 'at least one value is required');
  });
}

/** The template's generateName, and the template against the Task CRD schema and rules. */
function checkTemplate(template: TriggerTaskTemplate, problem: Report): void {
  const generateName = template.metadata.generateName;
  if (!/^[a-z0-9]([-a-z0-9]*)?$/.test(generateName) || generateName.length > 58) {
    problem('task.generateName', `"${generateName}" must be lower-case letters, digits and '-', start with a letter or digit, `
      + 'and leave room for the 5-character suffix the API server adds (at most 58 characters)');
  }
  for (const e of validateObject('Task', template)) problem(`task template ${e.field}`, e.message);
}

/** The fixed labels and annotations of the template. */
function checkFixedMetadata(task: TaskTemplateProps, problem: Report): void {
  for (const [key, value] of Object.entries(task.labels ?? {})) {
    if (!isQualifiedName(key)) problem(`task.labels[${key}]`, 'not a valid label key');
    if (!isLabelValue(value)) problem(`task.labels[${key}]`, `"${value}" is not a valid label value`);
  }
  for (const key of Object.keys(task.annotations ?? {})) {
    if (!isQualifiedName(key)) problem(`task.annotations[${key}]`, 'not a valid annotation key');
  }
}

function checkLabelsFromEvent(labels: ReadonlyMap<string, EventLabel>, staticLabels: Readonly<Record<string, string>>, problem: Report): void {
  for (const [key, label] of labels) {
    const field = `labelsFromEvent[${key}]`;
    if (!isQualifiedName(key)) problem(field, 'not a valid label key');
    if (ALL_DIGITS.test(key)) problem(field, 'an all-digit key would be taken as a list index by the Sensor');
    if (key in staticLabels) problem(field, 'also a fixed label in task.labels: keep one');
    if (!label.from || !label.from.split('.').every((s) => EVENT_PATH_SEGMENT.test(s))) {
      problem(`${field}.from`, `"${label.from}" must be a dotted path of keys and list indexes (letters, digits, '_', '-')`);
    }
    const fallback = label.default ?? 'unknown';
    if (!isLabelValue(fallback)) problem(`${field}.default`, `"${fallback}" is not a valid label value`);
  }
}

function checkAnnotationsFromEvent(annotations: ReadonlyMap<string, EventValue>, problem: Report): void {
  for (const [key, value] of annotations) {
    const field = `annotationsFromEvent[${key}]`;
    if (!isQualifiedName(key)) problem(field, 'not a valid annotation key');
    if (ALL_DIGITS.test(key)) problem(field, 'an all-digit key would be taken as a list index by the Sensor');
    checkEventValue(value, field, problem);
  }
}

function checkParameter(p: TaskParameter, field: string, template: TriggerTaskTemplate, problem: Report): void {
  const why = parameterDestinationProblem(p.to, template);
  if (why) problem(`${field}.to`, why);
  if (p.operation !== undefined && !['overwrite', 'append', 'prepend'].includes(p.operation)) {
    problem(`${field}.operation`, `"${p.operation}" is not one of overwrite, append, prepend`);
  }
  checkEventValue(p, field, problem);
}

/** A value taken from the event needs a path or a template, and a template's braces must balance. */
function checkEventValue(value: EventValue, field: string, problem: Report): void {
  if (value.from === undefined && value.template === undefined) problem(field, 'set `from` (a path into the event) or `template`');
  if (value.from !== undefined && !value.from.trim()) problem(`${field}.from`, 'must not be empty');
  if (value.template !== undefined && !bracesBalanced(value.template)) problem(`${field}.template`, 'unbalanced {{ and }}');
}

function bracesBalanced(template: string): boolean {
  return template.split('{{').length === template.split('}}').length;
}
