/** Our resource types as people type them (tasks, task, tk, ...) and their API paths. */
import { API_VERSION, GROUP, Kinds } from '../../api/constants.js';
import { groupPath } from '../../reconciler/runtime/rest-client.js';
import { UsageError } from '../lib/cli.js';

export interface ResourceType {
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly shortName: string;
}

export const TASKS: ResourceType = Kinds.task;
export const AGENTS: ResourceType = Kinds.agent;

/** `tasks`, `task`, `tk`, `tasks.kubeopencode.io`, ... -> the resource type. */
export function resourceType(word: string, allowed: readonly ResourceType[] = [TASKS, AGENTS]): ResourceType {
  const w = word.toLowerCase().replace(new RegExp(`\\.${GROUP.replace(/\./g, '\\.')}$`), '');
  const found = allowed.find((r) => [r.plural, r.singular, r.shortName].includes(w));
  if (!found) {
    const names = allowed.map((r) => `${r.plural} (${r.shortName})`).join(' or ');
    throw new UsageError(`unknown resource type "${word}": use ${names}`);
  }
  return found;
}

/** `/apis/kubeopencode.io/v1alpha1[/namespaces/NS]/PLURAL[/NAME]`; no namespace: across all namespaces. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string): string {
  return groupPath(API_VERSION, type.plural, namespace, name);
}

/** How kubectl names an object in messages and `-o name`: `task.kubeopencode.io/NAME`. */
export const qualifiedName = (type: ResourceType, name: string): string => `${type.singular}.${GROUP}/${name}`;
