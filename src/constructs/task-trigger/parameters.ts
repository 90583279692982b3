/**
 * How the Sensor fills the Task from the event: Argo Events trigger parameters, each a source
 * in the event data and an sjson destination in the Task, and the Go template that makes a
 * label value of whatever the event holds.
 */
import { ArgoTriggerParameter, ArgoTriggerParameterSource } from './argo-events.js';
import { taskFieldPath } from './destinations.js';
import { EventLabel, EventValue, TaskParameter } from './props.js';

/**
 * The Go template (Argo Events `dataTemplate`) that reads the event data at a dotted path
 * and makes it a valid label value: the value as JSON (so numbers keep their digits), '/'
 * replaced by '.', runs of other characters outside `[A-Za-z0-9_.-]` by '-', cut to 63
 * bytes, trimmed to start and end with a letter or digit. A missing or empty value renders
 * nothing, which Argo Events treats as a failure and replaces with the parameter's `value`.
 */
export function labelValueTemplate(from: string): string {
  const keys = from.split('.').map((s) => (/^\d+$/.test(s) ? s : JSON.stringify(s)));
  return `{{ with (index .Input ${keys.join(' ')}) }}`
    + '{{ regexReplaceAll "^[^A-Za-z0-9]+|[^A-Za-z0-9]+$" '
    + '(trunc 63 (regexReplaceAll "[^A-Za-z0-9_.-]+" (replace "/" "." (toJson .)) "-")) "" }}'
    + '{{ end }}';
}

/** An sjson path (Argo Events `dest`) from path segments: dots in keys escaped. */
export function sjsonPath(segments: readonly (string | number)[]): string {
  return segments.map((s) => String(s).replace(/\\/g, '\\\\').replace(/\./g, '\\.')).join('.');
}

function sourceOf(dependencyName: string, value: EventValue): ArgoTriggerParameterSource {
  return { dependencyName, dataKey: value.from, dataTemplate: value.template, value: value.default };
}

/** Fills the label `key` with the event's value at `label.from`, made a valid label value (else the default, 'unknown' if none). */
export function labelParameter(dependencyName: string, key: string, label: EventLabel): ArgoTriggerParameter {
  return {
    src: { dependencyName, dataTemplate: labelValueTemplate(label.from), value: label.default ?? 'unknown' },
    dest: sjsonPath(['metadata', 'labels', key]),
  };
}

/** Fills the annotation `key` from the event. */
export function annotationParameter(dependencyName: string, key: string, value: EventValue): ArgoTriggerParameter {
  return {
    // An annotation missing from the event is left empty rather than failing the trigger.
    src: sourceOf(dependencyName, { ...value, default: value.default ?? '' }),
    dest: sjsonPath(['metadata', 'annotations', key]),
  };
}

/** Fills the Task field `parameter.to` from the event. */
export function fieldParameter(dependencyName: string, parameter: TaskParameter): ArgoTriggerParameter {
  const { to, operation } = parameter;
  return {
    src: sourceOf(dependencyName, parameter),
    dest: sjsonPath(taskFieldPath(to) ?? [to]),
    ...(operation && operation !== 'overwrite' ? { operation } : {}),
  };
}
