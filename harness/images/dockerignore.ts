/**
 * .dockerignore, as Docker and buildah read it: patterns in order, `!` re-includes, the
 * last pattern that matches a path wins, and a pattern that matches a directory matches
 * everything under it. Matching uses minimatch (glob `*`, `?`, `**`) on paths relative to
 * the context, with `/` separators. Pure.
 */
import { minimatch } from 'minimatch';

interface Rule { readonly pattern: string; readonly exclude: boolean }

export function parseDockerignore(text: string): Rule[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#')).map((line) => {
    const exclude = !line.startsWith('!');
    const pattern = (exclude ? line : line.slice(1)).trim().replace(/^\/+/, '').replace(/\/+$/, '');
    return { pattern, exclude };
  });
}

/** The path itself and each of its parent directories: `a/b/c` -> `a`, `a/b`, `a/b/c`. */
const selfAndParents = (path: string): string[] => path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));

/** Whether the build context keeps `path` (relative, `/`-separated) under these rules. */
export function isIncluded(rules: readonly Rule[], path: string): boolean {
  const candidates = selfAndParents(path);
  let included = true;
  for (const rule of rules) {
    if (candidates.some((candidate) => minimatch(candidate, rule.pattern, { dot: true }))) included = !rule.exclude;
  }
  return included;
}
