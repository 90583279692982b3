import { CRD_DEFINITIONS, crdManifest, JSONSchema, Rule } from '../../src/api/index.js';

/** Walks a schema, calling `visit` with each sub-schema and its path. */
function walk(schema: JSONSchema, path: string, visit: (s: JSONSchema, path: string) => void): void {
  visit(schema, path);
  for (const [key, sub] of Object.entries(schema.properties ?? {})) walk(sub, `${path}.${key}`, visit);
  if (schema.items) walk(schema.items, `${path}[]`, visit);
  if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${path}{}`, visit);
}

describe.each(CRD_DEFINITIONS.map((d) => [d.names.kind, d] as const))('the %s schema', (_kind, def) => {
  test('describes every field', () => {
    const undocumented: string[] = [];
    walk(def.schema, def.names.kind, (s, path) => {
      const isMapValue = path.endsWith('{}');
      const isMetadata = path === `${def.names.kind}.metadata`; // the API server forbids describing it
      if (!isMapValue && !isMetadata && !s.description) undocumented.push(path);
    });
    expect(undocumented).toEqual([]);
  });

  test('pairs every CEL rule with its TypeScript twin and a message', () => {
    const incomplete: string[] = [];
    walk(def.schema, def.names.kind, (s, path) => {
      for (const rule of s['x-kubernetes-validations'] ?? []) {
        if (typeof (rule as Rule).holds !== 'function' || !rule.message) incomplete.push(`${path}: ${rule.rule}`);
      }
    });
    expect(incomplete).toEqual([]);
  });

  test('gives every string a length cap (CEL cost estimation needs it)', () => {
    const uncapped: string[] = [];
    walk(def.schema, def.names.kind, (s, path) => {
      const inRuleScope = path.includes('.spec');
      if (s.type === 'string' && inRuleScope && s.maxLength === undefined && !s.enum && s.format !== 'date-time' && !path.endsWith('{}')) {
        uncapped.push(path);
      }
    });
    expect(uncapped).toEqual([]);
  });
});

describe('the CRD manifests', () => {
  const byKind = Object.fromEntries(CRD_DEFINITIONS.map((d) => [d.names.kind, crdManifest(d) as any]));

  test('have the documented names, scopes and short names', () => {
    expect(byKind.Task.metadata.name).toBe('tasks.kubeopencode.io');
    expect(byKind.Task.spec.scope).toBe('Namespaced');
    expect(byKind.Task.spec.names.shortNames).toEqual(['tk']);
    expect(byKind.Agent.spec.names.shortNames).toEqual(['ag']);
    expect(byKind.KubeOpenCodeConfig.spec.scope).toBe('Cluster');
    expect(byKind.KubeOpenCodeConfig.spec.names.shortNames).toEqual(['koc']);
  });

  test('Task and Agent have a status subresource; the config has none', () => {
    expect(byKind.Task.spec.versions[0].subresources).toEqual({ status: {} });
    expect(byKind.Agent.spec.versions[0].subresources).toEqual({ status: {} });
    expect(byKind.KubeOpenCodeConfig.spec.versions[0].subresources).toBeUndefined();
  });

  test('Task prints Phase, Agent, Pod and Age', () => {
    const columns = byKind.Task.spec.versions[0].additionalPrinterColumns.map((c: any) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['Phase', 'Agent', 'Pod', 'Age']));
  });

  test('carry no TypeScript functions (the API server takes plain JSON)', () => {
    const keys = new Set<string>();
    const collect = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => { keys.add(k); collect(x); });
    };
    collect(byKind);
    expect(keys.has('holds')).toBe(false);
    expect(JSON.parse(JSON.stringify(byKind))).toEqual(byKind);
  });
});
