/**
 * The committed chart is what scripts/chart.ts generates, and its values, schema and
 * construct agree with each other. (helm itself runs in helm-template.test.ts.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { ALL_VALUES, leafPaths } from './support.js';
import { chartDir } from '../../harness/operator/helm.js';
import { valueRows, valuesSchema, ValuesSchema } from '../../scripts/chart/values-schema.js';
import { chartFiles } from '../../scripts/chart.js';
import { DEFAULT_OPERATOR_VALUES } from '../../src/constructs/operator/kubeopencode-operator.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as object);
const errorsOf = (values: unknown): string[] => (validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

describe('the committed chart', () => {
  const generated = chartFiles();

  test('is fresh: charts/kubeopencode is exactly what `npx tsx scripts/chart.ts` writes', () => {
    const committed = filesUnder(chartDir).map((f) => relative(chartDir, f)).sort();
    expect(committed).toEqual(Object.keys(generated).sort());
    const stale = Object.entries(generated).filter(([path, content]) => readFileSync(join(chartDir, path), 'utf8') !== content).map(([path]) => path);
    // If this fails: run `npx tsx scripts/chart.ts` and commit charts/.
    expect(stale).toEqual([]);
  });

  test('Chart.yaml carries the package version', () => {
    const chart = parse(generated['Chart.yaml']) as Record<string, string>;
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'kubeopencode', type: 'application', version: pkg.version, appVersion: pkg.version });
  });

  test('values.yaml holds the construct\'s defaults, with a comment on every setting', () => {
    expect(parse(generated['values.yaml'])).toEqual(DEFAULT_OPERATOR_VALUES);
    expect(generated['values.yaml']).toContain('# Image repository.');
  });

  test('templates and CRDs: one file per object', () => {
    expect(Object.keys(generated).filter((p) => p.startsWith('templates/') || p.startsWith('crds/')).sort()).toEqual([
      'crds/agents.kubeopencode.io.yaml',
      'crds/crontasks.kubeopencode.io.yaml',
      'crds/kubeopencodeconfigs.kubeopencode.io.yaml',
      'crds/tasks.kubeopencode.io.yaml',
      'templates/NOTES.txt',
      'templates/_helpers.tpl',
      'templates/clusterrole.yaml',
      'templates/clusterrolebinding.yaml',
      'templates/deployment.yaml',
      'templates/kubeopencodeconfig.yaml',
      'templates/role.yaml',
      'templates/rolebinding.yaml',
      'templates/serviceaccount.yaml',
      'templates/shardrole.yaml',
      'templates/shardrolebinding.yaml',
      'templates/uideployment.yaml',
      'templates/uinetworkpolicy.yaml',
      'templates/uiservice.yaml',
      'templates/uiserviceaccount.yaml',
    ]);
    expect(generated['templates/clusterrole.yaml']).toMatch(/^\{\{- \/\* Generated[^\n]*\*\/\}\}\n\{\{- if \.Values\.rbac\.create \}\}\n/);
    expect(generated['templates/uideployment.yaml']).toMatch(/\*\/\}\}\n\{\{- if \.Values\.ui\.enabled \}\}\n/);
    expect(generated['templates/uinetworkpolicy.yaml']).toMatch(/\*\/\}\}\n\{\{- if and \.Values\.ui\.enabled \.Values\.ui\.networkPolicy\.from \}\}\n/);
  });

  test('the README lists every setting', () => {
    for (const row of valueRows()) expect(generated['README.md']).toContain(`| \`${row.path}\` |`);
  });
});

describe('values.schema.json', () => {
  /** The settings the schema describes, down to maps and lists. */
  function schemaPaths(schema: ValuesSchema, prefix = ''): string[] {
    return Object.entries(schema.properties ?? {}).flatMap(([key, child]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      return child.additionalProperties === false && child.properties ? schemaPaths(child, path) : [path];
    });
  }

  test('describes exactly the settings of OperatorValues', () => {
    const fromValues = leafPaths(DEFAULT_OPERATOR_VALUES).map((p) => p.replace(/^(controller\.(resources|podSecurityContext|securityContext|affinity)|ui\.(resources|affinity))\..*$/, '$1'));
    expect([...new Set(fromValues)].sort()).toEqual(schemaPaths(valuesSchema).filter((p) => !p.startsWith('config.cleanup.')).concat('config.cleanup').sort());
  });

  test('accepts the defaults, every setting changed, and the seed README\'s example', () => {
    expect(errorsOf(DEFAULT_OPERATOR_VALUES)).toEqual([]);
    expect(errorsOf(ALL_VALUES)).toEqual([]);
    const seed = parse(readFileSync(new URL('../../examples/seed-readme/helm-values.yaml', import.meta.url), 'utf8')) as unknown;
    expect(errorsOf(seed)).toEqual([]);
  });

  test('ALL_VALUES changes every setting but the two that would leave objects out, and shards (more than 1 needs the leader election ALL_VALUES turns off)', () => {
    const get = (v: unknown, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], v);
    const unchanged = schemaPaths(valuesSchema).filter((p) => JSON.stringify(get(ALL_VALUES, p)) === JSON.stringify(get(DEFAULT_OPERATOR_VALUES, p)));
    // Both false is rendered by helm-template.test.ts.
    expect(unchanged).toEqual(['controller.shards', 'serviceAccount.create', 'rbac.create']);
  });

  test('refuses misspelt keys, wrong types and values outside the enums', () => {
    expect(errorsOf({ controller: { imag: {} } })).toEqual(['/controller must NOT have additional properties']);
    expect(errorsOf({ controller: { replicas: 'two' } })).toEqual(['/controller/replicas must be integer']);
    expect(errorsOf({ controller: { logLevel: 'verbose' } })).toEqual(['/controller/logLevel must be equal to one of the allowed values']);
    expect(errorsOf({ commonLabels: { a: 1 } })).toEqual(['/commonLabels/a must be string']);
    expect(errorsOf({ config: { cleanup: { ttlSecondsAfterFinished: -1 } } })).toEqual(['/config/cleanup/ttlSecondsAfterFinished must be >= 0']);
  });

  test('refuses bad UI settings', () => {
    expect(errorsOf({ ui: { port: 0 } })).toEqual(['/ui/port must be >= 1']);
    expect(errorsOf({ ui: { enabled: 'yes' } })).toEqual(['/ui/enabled must be boolean']);
    expect(errorsOf({ ui: { listenOnLoopbak: true } })).toEqual(['/ui must NOT have additional properties']);
    expect(errorsOf({ ui: { allowedOrigins: ['https://ui.example.com/path'] } })).toEqual(['/ui/allowedOrigins/0 must match pattern "^https?://[^/\\s]+$"']);
    expect(errorsOf({ ui: { service: { type: 'ExternalName' } } })).toEqual(['/ui/service/type must be equal to one of the allowed values']);
    expect(errorsOf({ ui: { service: { targetPort: 4180 } } })).toEqual([]);
    expect(errorsOf({ ui: { service: { targetPort: 'oauth2-proxy-http' } } })).toContain('/ui/service/targetPort must match exactly one schema in oneOf');
    expect(errorsOf({ ui: { networkPolicy: { from: {} } } })).toEqual(['/ui/networkPolicy/from must be array']);
  });
});
