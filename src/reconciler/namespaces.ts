import { minimatch } from 'minimatch';
import { AgentObject } from './objects.js';

/**
 * Whether the Agent admits Tasks from `namespace`: its own namespace always, others when
 * allowedNamespaces is empty or one of its globs matches.
 */
export function isNamespaceAllowed(agent: AgentObject, namespace: string): boolean {
  if (namespace === agent.metadata.namespace) return true;
  const globs = agent.spec.allowedNamespaces ?? [];
  return globs.length === 0 || globs.some((glob) => minimatch(namespace, glob));
}
