/** Reading Kubernetes YAML files the way kubectl does. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; [k: string]: any }; [k: string]: any };

/**
 * Parses multi-document YAML. YAML 1.1, as kubectl reads it, so that `fileMode: 0400`
 * is the octal number the seed README means (256), not decimal 400.
 */
export function parseManifests(text: string, source: string): Doc[] {
  // Timestamps stay strings, as Kubernetes objects carry them.
  const docs = parseAllDocuments(text, { version: '1.1', customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp') });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Doc[] = [];
  for (const doc of list) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0].message}`);
    const value = doc.toJS() as Doc | null;
    if (value === null || value === undefined) continue;
    if (value.kind === 'List' && Array.isArray(value.items)) out.push(...(value.items as Doc[]));
    else out.push(value);
  }
  return out;
}

export function readManifestFile(path: string): Doc[] {
  const text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  return parseManifests(text, path === '-' ? 'stdin' : path);
}

export function toYaml(docs: readonly object[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
