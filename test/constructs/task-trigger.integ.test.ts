/**
 * A TaskTrigger on a real API server: the Task its Sensor would create from a GitHub
 * pull_request event is created (as the Sensor's ServiceAccount, with generateName) and
 * passes the API server's validation, and the Sensor's RBAC allows exactly that.
 *
 * Argo Events is not installed (nor needed): the test plays the Sensor. It takes the
 * trigger's `source.resource` and applies its `parameters` to a webhook event the way
 * Argo Events' `ApplyParams` / `ResolveParamValue` do (pkg/sensors/triggers/params.go),
 * then adds the labels the k8s trigger adds on create. The simulation supports the subset
 * that TaskTrigger and the examples emit, and refuses anything else rather than guess:
 *
 * - dependency filters: `string` data filters (regular expressions, comparator `=`);
 * - `dataKey`: gjson dotted paths of keys and list indexes (`\.` escapes a dot); strings as
 *   they are, numbers in digits, objects and lists as JSON;
 * - `dataTemplate`: Go text/template with `{{ }}` actions (and `{{-`/`-}}` trims): field chains
 *   on `.` (`.Input.body.x`; a missing key gives "no value", a field of a JSON null is an
 *   error), `with`/`if`/`else`/`end`, pipelines, parentheses, string and integer literals,
 *   and the functions index, regexReplaceAll, replace, trunc, toJson, int64; printing like
 *   Go's fmt (`<no value>` for a missing value, float64 in %v form);
 *   an empty or `<no value>` result counts as a failure, as in Argo Events;
 * - fallbacks: template, then key, then `value`; no value -> the trigger fails;
 * - `dest`: sjson dotted paths into existing objects and lists; operations overwrite,
 *   append and prepend.
 */
import { AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { App } from 'cdk8s';
import { GithubPrReview } from '../../examples/github-pr-review.js';
import { applyYaml, createTestNamespace, deleteNamespace, isApiError, loadKubeConfig, tokenKubeConfig, waitFor } from '../cluster/helpers.js';

// ---------------------------------------------------------------------------------------
// The Sensor, simulated
// ---------------------------------------------------------------------------------------

/**
 * Go values: JSON numbers are float64 (JS numbers), integer literals and int64() results
 * are Go ints (JS bigints); NIL is Go's nil, and text/template's value of a missing map key.
 */
const NIL = Symbol('nil');
type Value = unknown;

const isMap = (v: Value): v is Record<string, Value> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNil = (v: Value) => v === NIL || v === null || v === undefined;

/** gjson: a dotted path of keys and list indexes. */
function gjsonPathSegments(path: string): string[] {
  if (/[*?#|@]/.test(path)) throw new Error(`gjson path ${path}: wildcards, queries and modifiers are not simulated`);
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '\\' && i + 1 < path.length) {
      current += path[++i];
    } else if (path[i] === '.') {
      segments.push(current);
      current = '';
    } else {
      current += path[i];
    }
  }
  segments.push(current);
  return segments;
}

function gjsonGet(data: Value, path: string): { exists: boolean; value: Value } {
  let value = data;
  for (const segment of gjsonPathSegments(path)) {
    if (Array.isArray(value) && /^\d+$/.test(segment) && Number(segment) < value.length) value = value[Number(segment)];
    else if (isMap(value) && segment in value) value = value[segment];
    else return { exists: false, value: undefined };
  }
  return { exists: true, value };
}

/** gjson Result.String() (Raw for objects, lists and null). */
function gjsonString(value: Value): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** sjson SetBytes with a string value, into existing objects and lists only. */
function sjsonSet(obj: Record<string, Value>, dest: string, value: string): void {
  const segments = gjsonPathSegments(dest);
  let parent: Value = obj;
  for (const segment of segments.slice(0, -1)) {
    const next = Array.isArray(parent) ? parent[Number(segment)] : isMap(parent) ? parent[segment] : undefined;
    if (typeof next !== 'object' || next === null) throw new Error(`dest ${dest}: ${segment} does not exist (creating paths is not simulated)`);
    parent = next;
  }
  const last = segments[segments.length - 1];
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else (parent as Record<string, Value>)[last] = value;
}

/**
 * Go's %v of a float64 (strconv 'g' with the shortest precision): the shortest digits, in
 * exponent form when the exponent is below -4 or at least 6 (so 1000000 prints as 1e+06).
 */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, exp] = n.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 6) {
    return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(n);
}

/** fmt.Sprint of a template value. */
function goPrint(v: Value): string {
  if (isNil(v)) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw new Error(`printing a ${Array.isArray(v) ? 'list' : 'map'} is not simulated`);
}

/** encoding/json Marshal: map keys sorted, HTML characters escaped. */
function goJson(v: Value): string {
  const sort = (x: Value): Value => (Array.isArray(x) ? x.map(sort) : isMap(x)
    ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort(x[k])])) : x);
  if (typeof v === 'bigint') return String(v);
  return JSON.stringify(isNil(v) ? null : sort(v))
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function goTruth(v: Value): boolean {
  if (isNil(v)) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v as object).length > 0;
}

const wantString = (fn: string, v: Value): string => {
  if (typeof v !== 'string') throw new Error(`${fn}: wrong type for value; expected string; got ${isNil(v) ? '<nil>' : typeof v}`);
  return v;
};

/** The sprig (and builtin) functions the simulation knows. */
const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  index: (item: Value, ...keys: Value[]) => {
    let v = item;
    for (const key of keys) {
      if (isNil(v)) throw new Error('index of untyped nil');
      if (Array.isArray(v)) {
        if (typeof key !== 'bigint') throw new Error(`cannot index slice/array with type ${typeof key === 'number' ? 'float64' : 'string'}`);
        if (key < 0n || key >= BigInt(v.length)) throw new Error(`index out of range: ${key}`);
        v = v[Number(key)];
      } else if (isMap(v)) {
        if (typeof key !== 'string') throw new Error(`value has type ${typeof key === 'bigint' ? 'int' : 'float64'}; should be string`);
        v = key in v ? v[key] : NIL;
      } else {
        throw new Error(`can't index item of type ${typeof v}`);
      }
    }
    return v;
  },
  regexReplaceAll: (re, s, repl) => wantString('regexReplaceAll', s).replace(new RegExp(wantString('regexReplaceAll', re), 'gu'), wantString('regexReplaceAll', repl)),
  replace: (oldS, newS, src) => wantString('replace', src).split(wantString('replace', oldS)).join(wantString('replace', newS)),
  trunc: (c, s) => {
    const bytes = Buffer.from(wantString('trunc', s));
    if (typeof c !== 'bigint') throw new Error('trunc: wrong type for value; expected int');
    const n = Number(c);
    if (n < 0 && bytes.length + n > 0) return bytes.subarray(bytes.length + n).toString();
    return n >= 0 && bytes.length > n ? bytes.subarray(0, n).toString() : bytes.toString();
  },
  toJson: (v) => goJson(v),
  // sprig's int64 is cast.ToInt64: floats truncated, numeric strings parsed, the rest 0.
  int64: (v) => {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') return BigInt(Math.trunc(v));
    if (typeof v === 'string') return /^-?\d+$/.test(v) ? BigInt(v) : 0n;
    if (typeof v === 'boolean') return v ? 1n : 0n;
    return 0n;
  },
};

type Token = { kind: 'string' | 'number' | 'field' | 'ident' | '(' | ')' | '|'; text: string };

function tokenize(action: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)|((?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)|([A-Za-z_][A-Za-z0-9_]*)|([()|]))/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < action.length && (re.lastIndex = at, m = re.exec(action))) {
    at = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'string', text: JSON.parse(m[1]) as string });
    else if (m[2]) tokens.push({ kind: 'string', text: m[2].slice(1, -1) });
    else if (m[3]) tokens.push({ kind: 'number', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'field', text: m[4] });
    else if (m[5]) tokens.push({ kind: 'ident', text: m[5] });
    else if (m[6]) tokens.push({ kind: m[6] as '(' | ')' | '|', text: m[6] });
    if (/^\s*$/.test(action.slice(at))) break;
  }
  if (!/^\s*$/.test(action.slice(at))) throw new Error(`template action "${action}": "${action.slice(at)}" is not simulated`);
  return tokens;
}

/** Evaluates a pipeline of tokens with `dot` as `.`. */
function evalPipeline(tokens: Token[], dot: Value): Value {
  let pos = 0;
  const operand = (): Value => {
    const t = tokens[pos++];
    if (!t) throw new Error('missing operand');
    switch (t.kind) {
      case 'string': return t.text;
      case 'number': return /^-?\d+$/.test(t.text) ? BigInt(t.text) : Number(t.text);
      case 'field': {
        if (t.text === '.') return dot;
        let v = dot;
        for (const name of t.text.slice(1).split('.')) {
          // A field of a missing key is missing too (text/template's default missingkey
          // option); a field of a JSON null is an error.
          if (v === NIL) continue;
          if (isNil(v)) throw new Error(`nil pointer evaluating interface {}.${name}`);
          if (!isMap(v)) throw new Error(`can't evaluate field ${name} in type ${typeof v}`);
          v = name in v ? v[name] : NIL;
        }
        return v;
      }
      case '(': {
        const start = pos;
        let depth = 1;
        while (depth && pos < tokens.length) {
          if (tokens[pos].kind === '(') depth++;
          if (tokens[pos].kind === ')') depth--;
          pos++;
        }
        if (depth) throw new Error('unclosed (');
        return evalPipeline(tokens.slice(start, pos - 1), dot);
      }
      default: throw new Error(`unexpected ${t.text}`);
    }
  };
  const command = (piped: Value[]): Value => {
    const t = tokens[pos];
    if (t?.kind === 'ident') {
      pos++;
      const fn = FUNCTIONS[t.text];
      if (!fn) throw new Error(`function "${t.text}" is not simulated`);
      const args: Value[] = [];
      while (pos < tokens.length && tokens[pos].kind !== '|' && tokens[pos].kind !== ')') args.push(operand());
      return fn(...args, ...piped);
    }
    if (piped.length) throw new Error('can\'t give argument to non-function');
    return operand();
  };
  let value = command([]);
  while (pos < tokens.length && tokens[pos].kind === '|') {
    pos++;
    value = command([value]);
  }
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos].text}`);
  return value;
}

type Node = { text: string } | { block: 'with' | 'if'; pipeline: Token[]; then: Node[]; otherwise: Node[] } | { print: Token[] };

function parseTemplate(template: string): Node[] {
  // Split into text and actions, applying the trim markers.
  const parts: (string | { action: string })[] = [];
  let rest = template;
  while (rest.length) {
    const open = rest.indexOf('{{');
    if (open < 0) { parts.push(rest); break; }
    let text = rest.slice(0, open);
    let body = rest.slice(open + 2);
    if (body.startsWith('- ')) { text = text.replace(/\s+$/, ''); body = body.slice(2); }
    const close = body.indexOf('}}');
    if (close < 0) throw new Error('unclosed action');
    let action = body.slice(0, close);
    rest = body.slice(close + 2);
    if (action.endsWith(' -')) { action = action.slice(0, -2); rest = rest.replace(/^\s+/, ''); }
    if (text) parts.push(text);
    parts.push({ action: action.trim() });
  }
  let i = 0;
  const parseList = (stopAt: string[]): { nodes: Node[]; stop?: string } => {
    const nodes: Node[] = [];
    while (i < parts.length) {
      const part = parts[i++];
      if (typeof part === 'string') { nodes.push({ text: part }); continue; }
      const [keyword] = part.action.split(/\s+/, 1);
      if (stopAt.includes(keyword)) return { nodes, stop: keyword };
      if (keyword === 'with' || keyword === 'if') {
        const pipeline = tokenize(part.action.slice(keyword.length));
        const then = parseList(['else', 'end']);
        const otherwise = then.stop === 'else' ? parseList(['end']).nodes : [];
        nodes.push({ block: keyword, pipeline, then: then.nodes, otherwise });
      } else if (['range', 'define', 'template', 'block', 'else', 'end'].includes(keyword) || part.action.startsWith('/*') || part.action.startsWith('$')) {
        throw new Error(`{{ ${part.action} }} is not simulated`);
      } else {
        nodes.push({ print: tokenize(part.action) });
      }
    }
    if (stopAt.length) throw new Error('missing {{ end }}');
    return { nodes };
  };
  return parseList([]).nodes;
}

function execute(nodes: Node[], dot: Value): string {
  return nodes.map((node) => {
    if ('text' in node) return node.text;
    if ('print' in node) return goPrint(evalPipeline(node.print, dot));
    const value = evalPipeline(node.pipeline, dot);
    if (!goTruth(value)) return execute(node.otherwise, dot);
    return execute(node.then, node.block === 'with' ? value : dot);
  }).join('');
}

/** Argo Events' getValueWithTemplate. */
function goTemplate(template: string, data: Value): string {
  const out = execute(parseTemplate(template), { Input: data });
  if (out === '' || out === '<no value>') throw new Error(`template evaluated to empty string or no value: ${template}`);
  return out;
}

interface ParameterSource { dependencyName: string; dataKey?: string; dataTemplate?: string; value?: string }
interface Parameter { src: ParameterSource; dest: string; operation?: 'overwrite' | 'append' | 'prepend' }

/** Argo Events' ResolveParamValue for data sources of the one dependency. */
function resolveParamValue(src: ParameterSource, events: Record<string, Value>): string | undefined {
  if (!(src.dependencyName in events)) return src.value;
  const data = events[src.dependencyName];
  if (src.dataTemplate === undefined && src.dataKey === undefined) throw new Error('context keys and whole-event parameters are not simulated');
  if (src.dataTemplate !== undefined) {
    try {
      return goTemplate(src.dataTemplate, data);
    } catch { /* falls back to the key, then the value */ }
  }
  if (src.dataKey !== undefined) {
    const found = gjsonGet(data, src.dataKey);
    if (found.exists) return gjsonString(found.value);
  }
  if (src.value !== undefined) return src.value;
  throw new Error(`unable to resolve '${src.dependencyName}' parameter value (${src.dataTemplate ?? src.dataKey})`);
}

interface DataFilter { path: string; type: string; value: string[]; comparator?: string }

/** Argo Events' data filters ("and"), for strings. */
function passesFilters(filters: DataFilter[] | undefined, data: Value): boolean {
  return (filters ?? []).every((f) => {
    if (f.type !== 'string' || (f.comparator && f.comparator !== '=')) throw new Error(`filter ${f.path}: only string filters are simulated`);
    const found = gjsonGet(data, f.path);
    return found.exists && f.value.some((re) => new RegExp(re, 'u').test(gjsonString(found.value)));
  });
}

/**
 * What the Sensor does with an event: filters, then the k8s trigger's create. Returns the
 * object it would send to the API server, or undefined when the filters drop the event.
 */
function sensorCreates(sensor: any, data: Value): any {
  const [dependency] = sensor.spec.dependencies;
  if (!passesFilters(dependency.filters?.data, data)) return undefined;
  const { template } = sensor.spec.triggers[0];
  const resource = structuredClone(template.k8s.source.resource);
  const events = { [dependency.name]: data };
  for (const param of (template.k8s.parameters ?? []) as Parameter[]) {
    let value = resolveParamValue(param.src, events);
    if (value === undefined) continue;
    const current = gjsonGet(resource, param.dest);
    if (param.operation === 'append' && current.exists) value = gjsonString(current.value) + value;
    if (param.operation === 'prepend' && current.exists) value = value + gjsonString(current.value);
    sjsonSet(resource, param.dest, value);
  }
  resource.metadata.namespace ??= sensor.metadata.namespace;
  resource.metadata.labels = {
    ...resource.metadata.labels,
    'events.argoproj.io/sensor': sensor.metadata.name,
    'events.argoproj.io/trigger': template.name,
    'events.argoproj.io/action-timestamp': String(Date.now()),
  };
  return resource;
}

// ---------------------------------------------------------------------------------------
// A GitHub pull_request event, as the webhook EventSource hands it to the Sensor
// ---------------------------------------------------------------------------------------

function pullRequestEvent(overrides: { action?: string; number?: number; fullName?: string; cloneUrl?: string; headRef?: string } = {}) {
  const number = overrides.number ?? 1347;
  const fullName = overrides.fullName ?? 'octo-org/hello-world';
  return {
    // Go's http.Header: canonical keys, lists of values.
    header: {
      'Content-Type': ['application/json'],
      'User-Agent': ['GitHub-Hookshot/1a2b3c4'],
      'X-Github-Event': ['pull_request'],
      'X-Github-Delivery': ['72d3162e-cc78-11e3-81ab-4c9367dc0958'],
    },
    body: {
      action: overrides.action ?? 'opened',
      number,
      pull_request: {
        html_url: `https://github.com/${fullName}/pull/${number}`,
        number,
        state: 'open',
        title: 'Fix the <script> & "quotes" in the README',
        head: {
          ref: overrides.headRef ?? 'fix/readme',
          sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
          repo: { full_name: 'contributor/hello-world', clone_url: overrides.cloneUrl ?? 'https://github.com/contributor/hello-world.git' },
        },
        base: { ref: 'main', sha: '9049f1265b7d61be4a8904a9a27120d2064dab3b', repo: { full_name: fullName } },
      },
      repository: { full_name: fullName, clone_url: `https://github.com/${fullName}.git` },
      sender: { login: 'contributor' },
    },
  };
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

const admin = loadKubeConfig();
const tasksOf = (kc: KubeConfig) => kc.makeApiClient(CustomObjectsApi);
const TASKS = { group: 'kubeopencode.io', version: 'v1alpha1', plural: 'tasks' };

async function apiErrorOf(promise: Promise<unknown>): Promise<{ code: number; text: string }> {
  try {
    await promise;
  } catch (e) {
    if (isApiError(e)) return { code: e.code, text: `${e.message} ${String(e.body)}` };
    throw e;
  }
  throw new Error('expected the API server to reject the request');
}

describe('the simulated Sensor (self-check against Go semantics)', () => {
  test('Go template printing, fallbacks and label sanitizing', () => {
    expect(goTemplate('#{{ .Input.n }} #{{ int64 .Input.big }} {{ .Input.big }}', { n: 42, big: 12345678 })).toBe('#42 #12345678 1.2345678e+07');
    expect(goTemplate('{{ .Input.missing }}!', {})).toBe('<no value>!');
    expect(() => goTemplate('{{ .Input.missing }}', {})).toThrow(/no value/);
    expect(goTemplate('{{ .Input.a.b }}!', {})).toBe('<no value>!');
    expect(() => goTemplate('{{ .Input.a.b }}', { a: null })).toThrow(/nil pointer/);
    expect(() => goTemplate('{{ index .Input "a" "b" }}', {})).toThrow(/index of untyped nil/);
    expect(() => goTemplate('{{ trunc 3 .Input.n }}', { n: 12345 })).toThrow(/expected string/);
    expect(goTemplate('{{ with .Input.a }}yes{{ else }}no{{ end }}', { a: '' })).toBe('no');
    expect(goTemplate('{{ toJson .Input }}', { b: '<&>', a: 1 })).toBe('{"a":1,"b":"\\u003c\\u0026\\u003e"}');
    expect(goTemplate('{{ "a/b" | replace "/" "." }}', {})).toBe('a.b');
    expect(goFloat(999999)).toBe('999999');
    expect(goFloat(1000000)).toBe('1e+06');
    expect(goFloat(0.5)).toBe('0.5');
  });
});

describe('TaskTrigger on a real API server (examples/github-pr-review.ts)', () => {
  let namespace: string;
  let otherNamespace: string;
  let sensor: any;
  let serviceAccount: string;
  let asSensor: KubeConfig;

  beforeAll(async () => {
    namespace = await createTestNamespace('trigger');
    otherNamespace = await createTestNamespace('trigger-other');
    const chart = new GithubPrReview(new App(), 'github-pr-review', { namespace });
    const objects = chart.toJson();
    sensor = objects.find((o) => o.kind === 'Sensor');
    serviceAccount = sensor.spec.template.serviceAccountName;
    // Everything but the Argo Events kinds, whose CRDs this cluster does not have.
    const kube = objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding', 'Agent'].includes(o.kind));
    expect(kube.map((o) => o.kind).sort()).toEqual(['Agent', 'Role', 'RoleBinding', 'ServiceAccount']);
    await applyYaml(kube, { fieldManager: 'task-trigger-test' });
    await admin.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace, body: { metadata: { name: 'github-creds' }, stringData: { token: 'ghp_secret' } } });
    asSensor = await tokenKubeConfig(namespace, serviceAccount);
    // The authorizer learns of new bindings through an informer: wait until it has.
    const ssar = asSensor.makeApiClient(AuthorizationV1Api);
    await waitFor(async () => (await ssar.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace, verb: 'create', group: 'kubeopencode.io', resource: 'tasks' } } },
    })).status?.allowed, { timeoutMs: 30_000, description: 'the RoleBinding to take effect' });
  }, 60_000);

  afterAll(async () => {
    await deleteNamespace(namespace);
    await deleteNamespace(otherNamespace);
  });

  test('the Sensor keeps opened, synchronized and reopened pull requests and drops the rest', () => {
    for (const action of ['opened', 'synchronize', 'reopened']) expect(sensorCreates(sensor, pullRequestEvent({ action }))).toBeDefined();
    for (const action of ['closed', 'labeled', 'reopened-ish']) expect(sensorCreates(sensor, pullRequestEvent({ action }))).toBeUndefined();
    const push = { ...pullRequestEvent(), header: { 'X-Github-Event': ['push'] } };
    expect(sensorCreates(sensor, push)).toBeUndefined();
  });

  test('the Task created from a pull_request event is filled from the payload and admitted by the API server', async () => {
    const task = sensorCreates(sensor, pullRequestEvent());
    expect(task.metadata).toEqual({
      generateName: 'pr-review-',
      namespace,
      labels: {
        'app.kubernetes.io/part-of': 'pr-review',
        'example.com/repo': 'octo-org.hello-world',
        'example.com/pr': '1347',
        'events.argoproj.io/sensor': 'github-pr-review',
        'events.argoproj.io/trigger': 'create-task',
        'events.argoproj.io/action-timestamp': expect.stringMatching(/^\d+$/),
      },
      annotations: {
        'example.com/pr-url': 'https://github.com/octo-org/hello-world/pull/1347',
        'example.com/head-ref': 'fix/readme',
      },
    });
    expect(task.spec.description).toBe([
      'Review pull request #1347 of octo-org/hello-world:',
      'https://github.com/octo-org/hello-world/pull/1347',
      '',
      'Its head commit 6dcb09b5b57875f334f61aebed695e2e4193db5e (branch fix/readme)',
      'is checked out in src/; it targets main.',
      'Read the diff against the base branch, then post one review on the pull request with',
      '`gh pr review` (GITHUB_TOKEN is set): correctness first, then tests, then style.',
      'Write the review you posted to .outputs/review.md.',
    ].join('\n'));
    expect(task.spec.contexts).toEqual([{
      type: 'Git',
      name: 'pull-request',
      description: 'The pull request\'s head commit',
      git: { repository: 'https://github.com/contributor/hello-world.git', ref: '6dcb09b5b57875f334f61aebed695e2e4193db5e', depth: 0 },
      mountPath: 'src',
    }]);

    // Created as the Sensor's ServiceAccount, as Argo Events does.
    const created = await tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace, body: task });
    expect(created.metadata.name).toMatch(/^pr-review-[a-z0-9]{5}$/);
    const stored = await tasksOf(admin).getNamespacedCustomObject({ ...TASKS, namespace, name: created.metadata.name });
    expect(stored.metadata.labels).toEqual(task.metadata.labels);
    expect(stored.spec.description).toBe(task.spec.description);
    expect(stored.spec.agentRef).toEqual({ name: 'pr-reviewer' });
    expect(stored.spec.outputs).toEqual({ parameters: [{ name: 'review', path: '.outputs/review.md', default: 'No review written' }] });
    expect(stored.spec.timeoutSeconds).toBe(1800);
  });

  test('hostile and large payload values still make a valid Task: the labels are sanitized', async () => {
    const fullName = `Weird Org!/${'--my.repo_'.repeat(8)}`;
    const task = sensorCreates(sensor, pullRequestEvent({ fullName, number: 12_345_678 }));
    const repoLabel = task.metadata.labels['example.com/repo'];
    // The JSON quotes and '!' become '-', '/' becomes '.', then the cut at 63 and the trim.
    expect(repoLabel).toBe('Weird-Org-.--my.repo_--my.repo_--my.repo_--my.repo_--my.repo');
    expect(repoLabel.length).toBeLessThanOrEqual(63);
    expect(task.metadata.labels['example.com/pr']).toBe('12345678');
    expect(task.spec.description).toMatch(/^Review pull request #12345678 of Weird Org!\//);
    const created = await tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace, body: task });
    expect(created.metadata.labels['example.com/repo']).toBe(repoLabel);

    // The raw value would have been refused: that is why labels go through the template.
    const raw = { ...task, metadata: { ...task.metadata, labels: { ...task.metadata.labels, 'example.com/repo': fullName } } };
    const error = await apiErrorOf(tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace, body: raw }));
    expect(error.code).toBe(422);
    expect(error.text).toContain('metadata.labels');
  });

  test('a missing field: labels and annotations fall back to their defaults; a field without one fails the trigger', () => {
    const event = pullRequestEvent();
    delete (event.body as Record<string, unknown>).number;
    delete (event.body.pull_request as Record<string, unknown>).html_url;
    const task = sensorCreates(sensor, event);
    expect(task.metadata.labels['example.com/pr']).toBe('unknown');
    expect(task.metadata.annotations['example.com/pr-url']).toBe('');
    // Go templates print a missing key as <no value> (and int64 of nothing is 0).
    expect(task.spec.description.split('\n').slice(0, 2)).toEqual(['Review pull request #0 of octo-org/hello-world:', '<no value>']);
    const noHead = pullRequestEvent();
    delete (noHead.body.pull_request.head as Record<string, unknown>).sha;
    expect(() => sensorCreates(sensor, noHead)).toThrow(/unable to resolve 'webhook' parameter value \(body\.pull_request\.head\.sha\)/);
  });

  test('a payload that breaks the Task schema is refused by the API server, not created half-right', async () => {
    // A clone URL that is not a URL: the CRD's repository rule refuses it.
    const task = sensorCreates(sensor, pullRequestEvent({ cloneUrl: 'not a url' }));
    const error = await apiErrorOf(tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace, body: task }));
    expect(error.code).toBe(422);
    expect(error.text).toContain('spec.contexts[0].git.repository');
  });

  test('RBAC, with real requests: the Sensor can create Tasks in its namespace only, and cannot read Secrets or Tasks', async () => {
    const task = sensorCreates(sensor, pullRequestEvent());
    const elsewhere = { ...task, metadata: { ...task.metadata, namespace: otherNamespace } };
    const denied = await apiErrorOf(tasksOf(asSensor).createNamespacedCustomObject({ ...TASKS, namespace: otherNamespace, body: elsewhere }));
    expect(denied.code).toBe(403); // 401 would mean the token itself was refused
    expect(denied.text).toContain(`system:serviceaccount:${namespace}:${serviceAccount}`);

    const core = asSensor.makeApiClient(CoreV1Api);
    expect((await apiErrorOf(core.readNamespacedSecret({ namespace, name: 'github-creds' }))).code).toBe(403);
    expect((await apiErrorOf(core.listNamespacedSecret({ namespace }))).code).toBe(403);
    expect((await apiErrorOf(tasksOf(asSensor).listNamespacedCustomObject({ ...TASKS, namespace }))).code).toBe(403);
  });

  test('RBAC, asked of the API server (SelfSubjectAccessReview as the Sensor): create tasks here, nothing else', async () => {
    const ssar = asSensor.makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, resource: string, ns: string, group = '', subresource?: string) => (await ssar.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace: ns, verb, group, resource, subresource } } },
    })).status?.allowed ?? false;
    expect(await can('create', 'tasks', namespace, 'kubeopencode.io')).toBe(true);
    expect(await can('create', 'tasks', otherNamespace, 'kubeopencode.io')).toBe(false);
    for (const verb of ['get', 'list', 'watch', 'update', 'patch', 'delete']) expect(`${verb} tasks: ${await can(verb, 'tasks', namespace, 'kubeopencode.io')}`).toBe(`${verb} tasks: false`);
    expect(await can('update', 'tasks', namespace, 'kubeopencode.io', 'status')).toBe(false);
    for (const verb of ['get', 'list', 'watch', 'create']) expect(`${verb} secrets: ${await can(verb, 'secrets', namespace)}`).toBe(`${verb} secrets: false`);
    expect(await can('create', 'agents', namespace, 'kubeopencode.io')).toBe(false);
    expect(await can('create', 'pods', namespace)).toBe(false);
  });
});
