/**
 * Generates the Helm chart charts/kubeopencode/ from the KubeOpenCodeOperator construct:
 *
 *   npx tsx scripts/chart.ts [--out DIR]
 *
 * - Chart.yaml: version and appVersion from package.json
 * - values.yaml: DEFAULT_OPERATOR_VALUES, commented from the schema
 * - values.schema.json: scripts/chart/values-schema.ts
 * - templates/: one file per object of the construct in Helm mode, its markers turned into
 *   Helm expressions (renderHelmMarkers), optional objects wrapped in `{{- if }}`
 * - templates/_helpers.tpl, templates/NOTES.txt, .helmignore, README.md
 * - crds/: the CRDs (Helm installs them before the templates and never upgrades them)
 *
 * test/chart/chart.test.ts regenerates the chart in memory and compares it with the
 * committed one.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { App, Chart } from 'cdk8s';
import { Document, isMap, Scalar, stringify, YAMLMap } from 'yaml';
import { chartReadme, GENERATED, helmIgnore, helpersTpl, notesTxt } from './chart/text.js';
import { defaultValues, valueRows, valuesSchema, ValuesSchema } from './chart/values-schema.js';
import { repoRoot } from '../harness/control-plane/state.js';
import { chartDir } from '../harness/operator/helm.js';
import { KubeOpenCodeCrds } from '../src/constructs/kubeopencode-crds.js';
import { helmConditionOf, KubeOpenCodeOperator, renderHelmMarkers } from '../src/constructs/operator/kubeopencode-operator.js';


/** The lowest Kubernetes the chart supports: native sidecars (Task Pods' outputs collector) are on by default from 1.29. */
export const KUBE_VERSION = '>=1.29.0-0';

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

const yamlOptions = { lineWidth: 0 } as const;

function chartYaml(version: string): string {
  return `# ${GENERATED}\n${stringify({
    apiVersion: 'v2',
    name: 'kubeopencode',
    description: 'KubeOpenCode: run AI coding agents as Kubernetes Pods. The operator: Task, Agent and KubeOpenCodeConfig CRDs, the controller, least-privilege RBAC.',
    type: 'application',
    version,
    appVersion: version,
    kubeVersion: KUBE_VERSION,
    keywords: ['ai', 'agents', 'opencode', 'operator', 'cdk8s'],
  }, yamlOptions)}`;
}

/** values.yaml: the defaults, each key preceded by its description. */
function valuesYaml(): string {
  const doc = new Document(defaultValues);
  doc.commentBefore = ` Default values of the kubeopencode chart.\n ${GENERATED}\n values.schema.json checks every value; the chart's README lists them all.`;
  const annotate = (node: unknown, schema: ValuesSchema, top: boolean) => {
    if (!isMap(node)) return;
    for (const pair of (node as YAMLMap).items) {
      const key = pair.key as Scalar;
      const child = schema.properties?.[String(key.value)];
      if (!child) throw new Error(`values: "${String(key.value)}" has no schema`);
      if (child.description) key.commentBefore = ` ${child.description}`;
      if (top && pair !== (node as YAMLMap).items[0]) key.spaceBefore = true;
      if (child.properties && child.additionalProperties === false) annotate(pair.value, child, false);
    }
  };
  annotate(doc.contents, valuesSchema, true);
  return doc.toString(yamlOptions);
}

/** The templates: one per object of the construct in Helm mode. */
function templates(): Record<string, string> {
  const app = new App();
  const operator = new KubeOpenCodeOperator(new Chart(app, 'kubeopencode'), 'kubeopencode', { helm: true });
  const files: Record<string, string> = {};
  for (const obj of operator.objects) {
    // Named after the construct id (shardrole.yaml, uiservice.yaml); the controller Deployment,
    // the construct's default child `Resource`, after its kind (deployment.yaml).
    const name = `templates/${(obj.node.id === 'Resource' ? obj.kind : obj.node.id).toLowerCase()}.yaml`;
    if (files[name]) throw new Error(`two objects named ${name}`);
    const body = renderHelmMarkers(stringify(obj.toJson(), yamlOptions)).trimEnd();
    const condition = helmConditionOf(obj);
    // A template comment: a `#` line would leave a non-empty document when the condition is false.
    files[name] = [`{{- /* ${GENERATED} */}}`, ...(condition ? [`{{- if ${condition} }}`, body, '{{- end }}'] : [body])].join('\n') + '\n';
  }
  return files;
}

function crds(): Record<string, string> {
  const app = new App();
  const crd = new KubeOpenCodeCrds(new Chart(app, 'crds'), 'crds');
  const files: Record<string, string> = {};
  for (const obj of crd.all) {
    files[`crds/${obj.name}.yaml`] = `# ${GENERATED}\n${stringify(obj.toJson(), yamlOptions)}`;
  }
  return files;
}

/** Every file of the chart, by path relative to the chart's folder. */
export function chartFiles(): Record<string, string> {
  const version = packageVersion();
  const { $schema, title, ...schema } = valuesSchema;
  return {
    'Chart.yaml': chartYaml(version),
    'values.yaml': valuesYaml(),
    'values.schema.json': `${JSON.stringify({ $schema, title, ...schema }, null, 2)}\n`,
    '.helmignore': helmIgnore,
    'README.md': chartReadme(valueRows(), version),
    'templates/_helpers.tpl': helpersTpl,
    'templates/NOTES.txt': notesTxt,
    ...templates(),
    ...crds(),
  };
}

/** Writes the chart into `dir`, replacing whatever was there. */
export function writeChart(dir: string = chartDir): string[] {
  rmSync(dir, { recursive: true, force: true });
  const files = chartFiles();
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return Object.keys(files).sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const dir = resolve(values.out ?? chartDir);
  const written = writeChart(dir);
  process.stdout.write(`wrote ${written.length} files to ${dir}:\n${written.map((f) => `  ${f}`).join('\n')}\n`);
}
