/** The contexts of the New Task form: one fieldset per context, its fields by type. */
import { Field, FieldErrors, fieldId } from './fields.js';
import type { ContextInput } from '../../shared/types.js';

export type ContextType = ContextInput['type'];
export const CONTEXT_TYPES: readonly ContextType[] = ['Text', 'Git', 'ConfigMap', 'URL', 'Runtime'];

/** The form keys a context of this type has fields for (errors go to the nearest one). */
export function contextKeys(i: number, c: ContextInput): string[] {
  const k = `contexts[${i}]`;
  const byType: Record<ContextType, string[]> = {
    Text: ['text'], Git: ['git.repository', 'git.ref'], ConfigMap: ['configMap.name', 'configMap.key'], URL: ['url.source'], Runtime: [],
  };
  return [k, `${k}.type`, `${k}.name`, `${k}.mountPath`, ...byType[c.type].map((f) => `${k}.${f}`)];
}

interface Props {
  readonly index: number;
  readonly value: ContextInput;
  readonly errors: FieldErrors;
  readonly onChange: (c: ContextInput) => void;
  readonly onRemove: () => void;
}

export function ContextEditor({ index, value: c, errors, onChange, onRemove }: Props) {
  const k = `contexts[${index}]`;
  const own = errors[k] ?? [];
  const text = (name: string, label: string, get: () => string | undefined, set: (v: string) => ContextInput, hint?: string) => (
    <Field name={`${k}.${name}`} label={label} errors={errors} hint={hint}>
      {(a11y) => <input {...a11y} value={get() ?? ''} onInput={(e) => onChange(set(e.currentTarget.value))} />}
    </Field>
  );
  return (
    <fieldset class={`context${own.length ? ' invalid' : ''}`} id={fieldId(k)} tabIndex={-1} aria-describedby={own.length ? `${fieldId(k)}-error` : undefined}>
      <legend>Context {index + 1}</legend>
      {own.length > 0 && <p class="field-error" id={`${fieldId(k)}-error`}>{own.join(' ')}</p>}
      <Field name={`${k}.type`} label="Type" errors={errors}>
        {(a11y) => (
          <select
            {...a11y}
            value={c.type}
            onChange={(e) => onChange({ type: e.currentTarget.value as ContextType, name: c.name, mountPath: c.mountPath })}
          >
            {CONTEXT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        )}
      </Field>
      {text('name', 'Name', () => c.name, (v) => ({ ...c, name: v }), 'Shown to the agent')}
      {c.type === 'Text' && (
        <Field name={`${k}.text`} label="Text" errors={errors}>
          {(a11y) => <textarea {...a11y} rows={4} value={c.text ?? ''} onInput={(e) => onChange({ ...c, text: e.currentTarget.value })} />}
        </Field>
      )}
      {c.type === 'Git' && text('git.repository', 'Repository URL', () => c.git?.repository, (v) => ({ ...c, git: { ...c.git, repository: v } }))}
      {c.type === 'Git' && text('git.ref', 'Branch, tag or commit', () => c.git?.ref, (v) => ({ ...c, git: { repository: c.git?.repository ?? '', ref: v } }))}
      {c.type === 'ConfigMap' && text('configMap.name', 'ConfigMap name', () => c.configMap?.name, (v) => ({ ...c, configMap: { ...c.configMap, name: v } }))}
      {c.type === 'ConfigMap' && text('configMap.key', 'Key (empty: all keys)', () => c.configMap?.key, (v) => ({ ...c, configMap: { name: c.configMap?.name ?? '', key: v } }))}
      {c.type === 'URL' && text('url.source', 'URL', () => c.url?.source, (v) => ({ ...c, url: { source: v } }))}
      {c.type !== 'Runtime' && text('mountPath', 'Mount path', () => c.mountPath, (v) => ({ ...c, mountPath: v }),
        c.type === 'Git' ? 'Where the repository is cloned (required for Git)' : 'Empty: the content goes into task.md')}
      <button type="button" class="link" onClick={onRemove}>Remove context {index + 1}</button>
    </fieldset>
  );
}
