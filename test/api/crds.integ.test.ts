/**
 * The CRDs on the real API server: every example applies (server-side apply), and every
 * schema constraint and CEL rule refuses bad input with a clear message, the same one the
 * offline validator (constructs, `kubeopencode render`) gives for the same field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { examplesApp } from '../../examples/synth-all.js';
import { applyYaml, createTestNamespace, loadKubeConfig } from '../../harness/kube.js';
import { CRD_DEFINITIONS, JSONSchema } from '../../src/api/index.js';
import { validateObject } from '../../src/api/validate.js';
import { parseManifests } from '../../src/cli/manifests.js';

jest.setTimeout(120_000);

const kc = loadKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
let ns: string;
beforeAll(async () => {
  ns = await createTestNamespace('crds');
});

async function ensureNamespaces(objects: { metadata?: { namespace?: string } }[]): Promise<void> {
  const names = [...new Set(objects.map((o) => o.metadata?.namespace).filter((n): n is string => !!n))];
  await applyYaml(names.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })), { fieldManager: 'kubeopencode-tests' });
}

describe('examples apply with server-side apply', () => {
  const seedDir = new URL('../../examples/seed-readme/', import.meta.url).pathname;
  const seedFiles = readdirSync(seedDir).filter((f) => /^\d\d-.*\.yaml$/.test(f) && !f.includes('fragment'));

  test.each(seedFiles)('seed README: %s', async (file) => {
    const docs = parseManifests(readFileSync(join(seedDir, file), 'utf8'), file).map((d) => ({ ...d, metadata: { ...d.metadata, namespace: d.metadata?.namespace ?? ns } }));
    await ensureNamespaces(docs);
    const applied = await applyYaml(docs as never, { fieldManager: 'kubeopencode-tests' });
    expect(applied.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(docs.map((d) => `${d.kind}/${d.metadata?.name}`));
  });

  test('every chart of `npm run synth` (all but the Argo and Flux kinds, whose CRDs this cluster lacks)', async () => {
    const all = examplesApp('/nonexistent').charts.flatMap((c) => c.toJson()).filter((o) => o.kind !== 'CustomResourceDefinition');
    const foreign = (o: { apiVersion: string }) => /(^|\.)(argoproj\.io|fluxcd\.io)\//.test(o.apiVersion);
    expect([...new Set(all.filter(foreign).map((o) => o.kind))].sort()).toEqual(['Application', 'EventSource', 'GitRepository', 'Kustomization', 'Sensor']);
    const objects = all.filter((o) => !foreign(o));
    await ensureNamespaces(objects);
    const applied = await applyYaml(objects, { fieldManager: 'kubeopencode-tests', namespace: ns });
    expect(applied).toHaveLength(objects.length);
  });
});

const task = (spec: object) => ({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name: 'bad' }, spec: { description: 'x', ...spec } });
const agent = (spec: object) => ({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Agent', metadata: { name: 'bad' }, spec });
const ctx = (c: object) => task({ contexts: [c] });
const cronTask = (spec: object) => ({ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'CronTask', metadata: { name: 'bad' }, spec: { schedule: '@daily', taskTemplate: { spec: { description: 'x' } }, ...spec } });
const cred = (c: object) => agent({ credentials: [{ name: 'c', secretRef: { name: 's' }, ...c }] });

/** A stand-in for a description over the cap; Jest would choke printing the real one in test titles. */
const HUGE = '<huge>';
const withHugeDescription = (obj: Record<string, any>) =>
  obj.spec?.description === HUGE ? { ...obj, spec: { ...obj.spec, description: 'x'.repeat(128 * 1024 + 1) } } : obj;

/**
 * [what, object, field, message or undefined for schema (OpenAPI) errors]. Every row has four
 * entries: with fewer, Jest would pass its `done` callback as the fourth argument.
 */
const invalid: [string, Record<string, any>, string, string | undefined][] = [
  ['Text without text', ctx({ type: 'Text' }), 'spec.contexts[0]', "type Text needs 'text', and 'text' is only allowed with type Text"],
  ['ConfigMap without configMap', ctx({ type: 'ConfigMap' }), 'spec.contexts[0]', "type ConfigMap needs 'configMap'"],
  ['Git without git', ctx({ type: 'Git', mountPath: 'src' }), 'spec.contexts[0]', "type Git needs 'git'"],
  ['URL without url', ctx({ type: 'URL' }), 'spec.contexts[0]', "type URL needs 'url'"],
  ['runtime on a Text context', ctx({ type: 'Text', text: 'x', runtime: {} }), 'spec.contexts[0]', "'runtime' is only allowed with type Runtime"],
  ['Git without mountPath', ctx({ type: 'Git', git: { repository: 'https://h/r' } }), 'spec.contexts[0]', 'a Git context needs mountPath: the repository is cloned there'],
  ['a mountPath escaping with ..', ctx({ type: 'Text', text: 'x', mountPath: 'a/../../etc' }), 'spec.contexts[0].mountPath', "must not contain '..'"],
  ['a mountPath in /tools', ctx({ type: 'Text', text: 'x', mountPath: '/tools/opencode' }), 'spec.contexts[0].mountPath', 'must not be /tools or inside it'],
  ['a mountPath of /', ctx({ type: 'Text', text: 'x', mountPath: '/' }), 'spec.contexts[0].mountPath', 'must not be / or under /kubeopencode'],
  ['a file:// repository', ctx({ type: 'Git', mountPath: 's', git: { repository: 'file:///etc' } }), 'spec.contexts[0].git.repository', 'must be an https://, http://, ssh:// or git:// URL'],
  ['a ref that is an option', ctx({ type: 'Git', mountPath: 's', git: { repository: 'https://h/r', ref: '--upload-pack=touch /x' } }), 'spec.contexts[0].git.ref', 'must be a branch, tag or commit SHA'],
  ['a repository path escaping', ctx({ type: 'Git', mountPath: 's', git: { repository: 'https://h/r', path: '../x' } }), 'spec.contexts[0].git.path', 'must be a path inside the repository'],
  ['a file: URL', ctx({ type: 'URL', url: { source: 'file:///etc/passwd' } }), 'spec.contexts[0].url.source', 'must be an http:// or https:// URL'],
  ['an output path escaping', task({ outputs: { parameters: [{ name: 'a', path: '../../etc/shadow' }] } }), 'spec.outputs.parameters[0].path', "must not contain '..'"],
  ['a workspaceDir of /', agent({ workspaceDir: '/' }), 'spec.workspaceDir', 'must be an absolute path other than /'],
  ['a workspaceDir with ..', agent({ workspaceDir: '/w/../etc' }), 'spec.workspaceDir', "must not contain '..'"],
  ['a workspaceDir in /tools', agent({ workspaceDir: '/tools/w' }), 'spec.workspaceDir', 'must not be inside /tools or /kubeopencode'],
  ['an Agent Git context without mountPath', agent({ contexts: [{ type: 'Git', git: { repository: 'https://h/r' } }] }), 'spec.contexts[0]', 'a Git context needs mountPath'],
  ['a credential key going nowhere', cred({ secretRef: { name: 's', key: 'k' } }), 'spec.credentials[0]', 'a credential that names a secretRef.key must say where the value goes'],
  ['env without a key', cred({ env: 'TOKEN' }), 'spec.credentials[0]', 'env names one variable, so it needs secretRef.key'],
  ['fileMode without mountPath', cred({ secretRef: { name: 's', key: 'k' }, env: 'K', fileMode: 256 }), 'spec.credentials[0]', 'fileMode applies to files: it needs mountPath'],
  ['a relative credential mountPath', cred({ mountPath: 'etc/creds' }), 'spec.credentials[0].mountPath', 'must be an absolute path'],
  ['a credential mounted over /tools', cred({ mountPath: '/tools' }), 'spec.credentials[0].mountPath', 'must not be /tools or inside it'],
  ['a namespace glob with spaces', agent({ allowedNamespaces: ['dev team'] }), 'spec.allowedNamespaces[0]', 'must be a namespace name or a glob of one'],
  ['a CronTask schedule with four fields', cronTask({ schedule: '0 3 * *' }), 'spec.schedule', 'must have five fields'],
  ['a CronTask schedule with a time zone in it', cronTask({ schedule: 'CRON_TZ=UTC 0 3 * * *' }), 'spec.schedule', 'must not set the time zone with TZ='],
  ['a CronTask time zone that is no IANA name', cronTask({ timeZone: 'UTC+2 hours' }), 'spec.timeZone', 'must be an IANA time zone name'],
  ['a CronTask whose Task template breaks the Task rules', cronTask({ taskTemplate: { spec: { description: 'x', contexts: [{ type: 'Git', git: { repository: 'https://x/r.git' } }] } } }), 'spec.taskTemplate.spec.contexts[0]', undefined],
  ['a CronTask with an unknown concurrency policy', cronTask({ concurrencyPolicy: 'Queue' }), 'spec.concurrencyPolicy', undefined],
  ['an MCP server both remote and local', agent({ mcpServers: [{ name: 'x', remote: { url: 'https://m.example' }, local: { command: ['m'] } }] }), 'spec.mcpServers[0]', 'set exactly one of remote (a URL) and local (a command)'],
  ['an MCP server neither remote nor local', task({ mcpServers: [{ name: 'x' }] }), 'spec.mcpServers[0]', 'set exactly one of remote (a URL) and local (a command)'],
  ['an MCP header with a value and a secretKeyRef', agent({ mcpServers: [{ name: 'x', remote: { url: 'https://m.example', headers: [{ name: 'A', value: 'v', secretKeyRef: { name: 's', key: 'k' } }] } }] }), 'spec.mcpServers[0].remote.headers[0]', 'set exactly one of value and secretKeyRef'],
  ['an MCP server URL that is not HTTP', agent({ mcpServers: [{ name: 'x', remote: { url: 'ftp://m.example' } }] }), 'spec.mcpServers[0].remote.url', 'must be an http:// or https:// URL'],
  ['a local MCP server without a command', agent({ mcpServers: [{ name: 'x', local: { command: [] } }] }), 'spec.mcpServers[0].local.command', undefined],
  ['two MCP servers of one name', agent({ mcpServers: [{ name: 'x', remote: { url: 'https://a' } }, { name: 'x', remote: { url: 'https://b' } }] }), 'spec.mcpServers[1]', 'Duplicate value'],
  ['a retry backoff whose maximum is below its start', task({ retryPolicy: { limit: 1, backoff: { initialSeconds: 60, maxSeconds: 30 } } }), 'spec.retryPolicy.backoff', 'maxSeconds must not be less than initialSeconds'],
  ['too many retries', agent({ retryPolicy: { limit: 11 } }), 'spec.retryPolicy.limit', undefined],
  ['a retry on a stop', task({ retryPolicy: { limit: 1, retryOn: ['UserStopped'] } }), 'spec.retryPolicy.retryOn[0]', undefined],
  ['a namespace glob with an unclosed [', agent({ allowedNamespaces: ['staging', 'dev-[a-z'] }), 'spec.allowedNamespaces[1]', 'is not a glob that can match a namespace'],
  ['a namespace glob with a ! inside', agent({ allowedNamespaces: ['dev!'] }), 'spec.allowedNamespaces[0]', 'is not a glob that can match a namespace'],
  ['a reserved Pod label', agent({ podSpec: { labels: { 'kubeopencode.io/task': 'x' } } }), 'spec.podSpec.labels', 'labels must not use the kubeopencode.io/ prefix'],
  ['an empty description', task({ description: '' }), 'spec.description', undefined],
  ['a description over the size cap', task({ description: HUGE }), 'spec.description', undefined],
  ['an unknown context type', ctx({ type: 'Secret' }), 'spec.contexts[0].type', undefined],
  ['a negative timeout', task({ timeoutSeconds: -5 }), 'spec.timeoutSeconds', undefined],
  ['an absurd timeout', task({ timeoutSeconds: 10 ** 9 }), 'spec.timeoutSeconds', undefined],
  ['a fileMode above 0777', ctx({ type: 'Text', text: 'x', mountPath: 'a', fileMode: 4095 }), 'spec.contexts[0].fileMode', undefined],
  ['duplicate output names', task({ outputs: { parameters: [{ name: 'a', path: 'a' }, { name: 'a', path: 'b' }] } }), 'spec.outputs.parameters[1]', undefined],
  ['an invalid Agent name in agentRef', task({ agentRef: { name: 'Bad_Name' } }), 'spec.agentRef.name', undefined],
  ['a negative maxConcurrentTasks', agent({ maxConcurrentTasks: -1 }), 'spec.maxConcurrentTasks', undefined],
  ['an env name with a dash', cred({ secretRef: { name: 's', key: 'k' }, env: 'MY-TOKEN' }), 'spec.credentials[0].env', undefined],
  ['too many contexts', task({ contexts: Array.from({ length: 33 }, () => ({ type: 'Text', text: 'x' })) }), 'spec.contexts', undefined],
];

describe('bad input is refused by the API server and by the offline validator, with the same field', () => {
  test.each(invalid)('%s', async (_what, template, field, message) => {
    const obj = withHugeDescription(template);
    const kind = obj.kind as 'Task' | 'Agent' | 'CronTask';
    const offline = validateObject(kind, obj);
    expect(offline.map((e) => e.field)).toContain(field);
    if (message) expect(offline.find((e) => e.field === field)?.message).toContain(message);
    let refusal = '';
    try {
      await custom.createNamespacedCustomObject({ group: 'kubeopencode.io', version: 'v1alpha1', namespace: ns, plural: `${kind.toLowerCase()}s`, body: obj, dryRun: 'All' });
    } catch (e) {
      refusal = JSON.parse((e as { body: string }).body).message;
    }
    expect(refusal).toContain(field);
    if (message) expect(refusal).toContain(message);
  });

  test('the KubeOpenCodeConfig must be named cluster', async () => {
    const body = { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'KubeOpenCodeConfig', metadata: { name: 'default' }, spec: {} };
    await expect(custom.createClusterCustomObject({ group: 'kubeopencode.io', version: 'v1alpha1', plural: 'kubeopencodeconfigs', body, dryRun: 'All' }))
      .rejects.toMatchObject({ body: expect.stringContaining("its name must be 'cluster'") });
  });

  test('every CEL rule of the CRDs is covered by a case above', () => {
    const messages: string[] = [];
    const walk = (s: JSONSchema) => {
      for (const r of s['x-kubernetes-validations'] ?? []) messages.push(r.message);
      Object.values(s.properties ?? {}).forEach(walk);
      if (s.items) walk(s.items);
    };
    CRD_DEFINITIONS.forEach((d) => walk(d.schema));
    const covered = invalid.map(([, , , m]) => m).filter((m): m is string => !!m);
    const uncovered = [...new Set(messages)].filter((m) => !covered.some((c) => m.includes(c)) && !m.includes("its name must be 'cluster'"));
    expect(uncovered).toEqual([]);
  });
});

describe('selecting Tasks by Agent with a field selector (no label write per Task)', () => {
  const G = { group: 'kubeopencode.io', version: 'v1alpha1', plural: 'tasks' };
  const names = async (namespace: string | undefined, fieldSelector: string) => {
    const list = (namespace
      ? await custom.listNamespacedCustomObject({ ...G, namespace, fieldSelector })
      : await custom.listClusterCustomObject({ ...G, fieldSelector })) as { items: { metadata: { namespace: string; name: string } }[] };
    return list.items.map((t) => `${t.metadata.namespace}/${t.metadata.name}`).sort();
  };

  test('spec.agentRef.name and spec.agentRef.namespace select on the real API server', async () => {
    const other = await createTestNamespace('crds-select');
    const tasks = [
      task({ agentRef: { name: 'coder' } }),
      task({ agentRef: { name: 'reviewer' } }),
      task({}),
      task({ agentRef: { name: 'coder', namespace: other } }),
    ].map((t, i) => ({ ...t, metadata: { name: `select-${i}`, namespace: ns } }));
    await applyYaml(tasks, { fieldManager: 'kubeopencode-tests' });

    expect(await names(ns, 'spec.agentRef.name=coder')).toEqual([`${ns}/select-0`, `${ns}/select-3`]);
    // The CRD's default ("default") is stored, so it selects too.
    expect(await names(ns, 'spec.agentRef.name=default')).toEqual([`${ns}/select-2`]);
    expect(await names(undefined, `spec.agentRef.namespace=${other}`)).toEqual([`${ns}/select-3`]);
    expect(await names(ns, `spec.agentRef.name=coder,spec.agentRef.namespace!=${other}`)).toEqual([`${ns}/select-0`]);
    await expect(names(ns, 'spec.description=x')).rejects.toMatchObject({ code: 400 });
  });
});
