/**
 * Form fields with their label, hint and error wired for assistive technology: the error is
 * the field's description and marks it invalid. Error keys are the server's form keys
 * (`description`, `contexts[0].git.repository`); `fieldId` turns one into the element's id.
 */
import type { ComponentChildren } from 'preact';

export const fieldId = (key: string): string => `f-${key.replace(/[[\].]+/g, '-').replace(/-+$/, '')}`;

export type FieldErrors = Readonly<Record<string, readonly string[]>>;

export interface FieldProps {
  readonly name: string;
  readonly label: string;
  readonly errors: FieldErrors;
  readonly hint?: string;
  readonly children: (a11y: Record<string, string | undefined>) => ComponentChildren;
}

/** The label, the control (rendered by `children` with the ids and aria attributes), the hint and the error. */
export function Field({ name, label, errors, hint, children }: FieldProps) {
  const id = fieldId(name);
  const messages = errors[name] ?? [];
  const described = [hint ? `${id}-hint` : '', messages.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${messages.length ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children({ 'id': id, 'aria-invalid': messages.length ? 'true' : undefined, 'aria-describedby': described || undefined })}
      {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
      {messages.length > 0 && <p class="field-error" id={`${id}-error`}>{messages.join(' ')}</p>}
    </div>
  );
}

/**
 * Puts each error at the nearest field the form has: `contexts[0].git.depth` goes to
 * `contexts[0]` when there is no depth field; a key with no field at all goes to the form.
 */
export function placeErrors(errors: FieldErrors, known: ReadonlySet<string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, messages] of Object.entries(errors)) {
    let k = key;
    while (k && !known.has(k)) k = k.replace(/(\.[^.[\]]+|\[\d+\])$/, '') === k ? '' : k.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    (out[k] ??= []).push(...messages);
  }
  return out;
}

const LABELS: Record<string, string> = {
  'name': 'Name',
  'namespace': 'Namespace',
  'agent': 'Agent',
  'description': 'Description',
  'labels': 'Labels',
  'timeoutSeconds': 'Timeout',
  'contexts': 'Contexts',
  'type': 'Type',
  'mountPath': 'Mount path',
  'text': 'Text',
  'git.repository': 'Repository URL',
  'git.ref': 'Branch, tag or commit',
  'configMap.name': 'ConfigMap name',
  'configMap.key': 'Key',
  'url.source': 'URL',
};

/** How the error summary names a field: "Name", "Context 1", "Context 1: Repository URL". */
export function fieldLabel(key: string): string {
  const m = /^contexts\[(\d+)\](?:\.(.+))?$/.exec(key);
  if (!m) return LABELS[key] ?? key;
  const ctx = `Context ${Number(m[1]) + 1}`;
  return m[2] ? `${ctx}: ${LABELS[m[2]] ?? m[2]}` : ctx;
}
