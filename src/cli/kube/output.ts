/** `-o yaml|json|name` as kubectl prints them: one object as itself, several as a v1 List. */
import { stringify } from 'yaml';
import { qualifiedName, ResourceType } from './resources.js';
import { UsageError } from '../lib/cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubeObject = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';

export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (['wide', 'yaml', 'json', 'name'].includes(value)) return value as OutputFormat;
  throw new UsageError(`--output must be one of wide, yaml, json or name, got "${value}"`);
}

/** kubectl hides managedFields unless asked (--show-managed-fields). */
export function withoutManagedFields(o: KubeObject): KubeObject {
  const { managedFields: _hidden, ...metadata } = o.metadata;
  return { ...o, metadata: metadata as KubeObject['metadata'] };
}

/** The text of `-o yaml|json|name` for one object (`single`) or a list. */
export function formatObjects(type: ResourceType, objects: readonly KubeObject[], format: 'yaml' | 'json' | 'name', single: boolean): string {
  if (format === 'name') return objects.map((o) => `${qualifiedName(type, o.metadata.name)}\n`).join('');
  const items = objects.map(withoutManagedFields);
  const value = single ? items[0] : { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } };
  return format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : stringify(value, { lineWidth: 0 });
}
