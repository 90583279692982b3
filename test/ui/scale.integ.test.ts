/**
 * 5,000 Tasks: one list and one watch per resource however many tabs are open, a snapshot
 * the browser takes in at once, a page of 50 rows (never 5,000 in the document), filters that
 * answer at typing speed, and a change that reaches every tab. No controller runs here: the
 * Tasks only need to exist.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Page } from 'playwright-core';
import { testAssets, UiClient } from './support.js';
import { HeadlessBrowser, launchChromium } from '../../harness/browser/chromium.js';
import { createTestNamespace, deleteNamespace, loadKubeConfig } from '../../harness/kube.js';
import { RestClient } from '../../src/reconciler/runtime/rest-client.js';
import { KubeconfigCredentials } from '../../src/ui/server/credentials.js';
import { UiServer } from '../../src/ui/server/server.js';
import type { Changes, Snapshot } from '../../src/ui/shared/types.js';

const COUNT = 5000;
const PARALLEL = 16;
let kc: KubeConfig;
let ns: string;
let server: UiServer;
let client: UiClient;
let browser: HeadlessBrowser;

async function createTasks(namespace: string): Promise<void> {
  const api = new RestClient(kc);
  let next = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < COUNT) {
      const i = next++;
      await api.request('POST', `/apis/kubeopencode.io/v1alpha1/namespaces/${namespace}/tasks`, {
        body: {
          apiVersion: 'kubeopencode.io/v1alpha1',
          kind: 'Task',
          metadata: { name: `t-${String(i).padStart(5, '0')}`, labels: { shard: String(i % 10) } },
          spec: { description: `Task number ${i}`, agentRef: { name: i % 2 ? 'odd' : 'even' } },
        },
      });
    }
  }));
  await api.close();
}

beforeAll(async () => {
  kc = loadKubeConfig();
  ns = await createTestNamespace('ui-scale');
  const started = Date.now();
  await createTasks(ns);
  process.stderr.write(`[ui-scale] ${COUNT} Tasks created in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  server = new UiServer({ credentials: new KubeconfigCredentials(kc), assetsDir: await testAssets() });
  client = new UiClient(await server.listen());
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (ns) await deleteNamespace(ns);
});

test('three tabs share one watch per resource, and each gets the whole list in one snapshot', async () => {
  const started = Date.now();
  const tabs = [client.stream('api/stream'), client.stream('api/stream'), client.stream('api/stream')];
  const snaps = await Promise.all(tabs.map((t) => t.next<Snapshot>('snapshot', undefined, 60_000)));
  const ms = Date.now() - started;
  const ours = snaps[0].tasks.filter((t) => t.namespace === ns);
  process.stderr.write(`[ui-scale] first snapshot of ${snaps[0].tasks.length} Tasks in ${ms} ms, ${(JSON.stringify(snaps[0]).length / 1e6).toFixed(2)} MB\n`);
  expect(ours).toHaveLength(COUNT);
  expect(snaps.every((s) => s.tasks.length === snaps[0].tasks.length)).toBe(true);
  expect(server.watchCount).toBe(2); // Tasks and Agents, cluster-wide, for this one user
  expect(ms).toBeLessThan(15_000);

  // One change reaches every tab, in one batch.
  const writer = new RestClient(kc);
  await writer.request('PATCH', `/apis/kubeopencode.io/v1alpha1/namespaces/${ns}/tasks/t-00042`, {
    body: { metadata: { labels: { touched: 'yes' } } }, contentType: 'application/merge-patch+json',
  });
  await writer.close();
  await Promise.all(tabs.map((t) => t.next<Changes>('changes', (c) => c.tasks.some((x) => x.object?.labels.touched === 'yes'))));
  tabs.forEach((t) => t.close());
}, 120_000);

test('the Tasks page shows 50 rows of 5,000 and filters at typing speed', async () => {
  const page: Page = await browser.newPage();
  const started = Date.now();
  await page.goto(`${client.base}#/tasks`);
  await page.locator('#tasks-count').filter({ hasText: /\d+ of \d+ Tasks/ }).waitFor({ timeout: 60_000 });
  await page.getByLabel('Namespace', { exact: true }).selectOption(ns);
  await page.locator('#tasks-count').filter({ hasText: `${COUNT} of` }).waitFor({ timeout: 60_000 });
  const loadMs = Date.now() - started;
  expect(await page.locator('tbody tr').count()).toBe(50);
  expect(await page.locator('.pager').textContent()).toContain(`Page 1 of ${COUNT / 50}`);

  const t0 = Date.now();
  await page.getByLabel('Labels').fill('shard=3');
  await page.locator('#tasks-count').filter({ hasText: `${COUNT / 10} of` }).waitFor();
  await page.getByLabel('Agent').selectOption(`${ns}/odd`);
  await page.locator('#tasks-count').filter({ hasText: `${COUNT / 10} of` }).waitFor();
  await page.getByLabel('Name or description').fill('number 4993');
  await page.locator('#tasks-count').filter({ hasText: /^1 of/ }).waitFor();
  const filterMs = Date.now() - t0;
  process.stderr.write(`[ui-scale] page with ${COUNT} Tasks shown in ${loadMs} ms; three filters applied in ${filterMs} ms\n`);
  expect(loadMs).toBeLessThan(20_000);
  expect(filterMs).toBeLessThan(5_000);
  await page.close();
}, 120_000);
