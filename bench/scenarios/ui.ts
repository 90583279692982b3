/**
 * The Web UI with many Tasks, in a real headless Chromium against `kubeopencode ui` (the
 * compiled CLI, with the bench's kubeconfig). No controller runs: the Tasks only need to exist,
 * and the bench moves their status itself.
 *
 * - First page: from navigating to the Tasks page until its count shows every Task and the
 *   first page of rows is in the document. The first tab also pays for the server's first
 *   list and watch (cold); later tabs share them (warm). Baseline: one LIST of the same Tasks
 *   straight from the API server, parsed, as `kubectl get tasks` starts with.
 * - Live update: from sending a status change of a Task to the moment the page shows it (a
 *   MutationObserver in the page stamps it; browser and bench read the same wall clock).
 *   Baseline: the same change seen by a plain watch of the API server.
 */
import type { Page } from 'playwright-core';
import { launchChromium } from '../../harness/browser/chromium.js';
import { RestClient } from '../../src/reconciler/runtime/rest-client.js';
import { BenchContext, cleanUp, until } from '../lib/context.js';
import { createTask, taskName, withConcurrency } from '../lib/load.js';
import { Recorder } from '../lib/recorder.js';
import { Figure } from '../lib/report.js';
import { median, ms, now, percentile, ratio } from '../lib/stats.js';
import { UiProcess } from '../lib/ui-process.js';

const WARM_LOADS = 5;
const LIST_RUNS = 5;
const UPDATES = 20;
const ROWS_PER_PAGE = 50;
const TASKS = (ns: string) => `/apis/kubeopencode.io/v1alpha1/namespaces/${ns}/tasks`;

/**
 * Waits, checking on every frame, until `condition` (JavaScript text) is true in the page.
 * Text, because the bench compiles without the DOM's types; evaluated through the DevTools
 * protocol, because the page's Content-Security-Policy forbids eval (and so waitForFunction).
 */
async function inPage(page: Page, condition: string, timeoutMs = 120_000): Promise<void> {
  await page.evaluate(`new Promise((resolve, reject) => {
    const deadline = Date.now() + ${timeoutMs};
    const check = () => {
      if (${condition}) resolve(true);
      else if (Date.now() > deadline) reject(new Error('timed out after ${timeoutMs} ms waiting for: ' + ${JSON.stringify(condition)}));
      else requestAnimationFrame(check);
    };
    check();
  })`);
}

/** Milliseconds from navigating a new tab to the Tasks page until it lists `count` Tasks. */
async function firstPageMs(newPage: () => Promise<Page>, url: string, count: number): Promise<number> {
  const page = await newPage();
  try {
    const started = now();
    await page.goto(`${url}#/tasks`);
    await inPage(page, `(() => {
      const m = /of (\\d+) Tasks/.exec(document.querySelector('#tasks-count')?.textContent ?? '');
      return m !== null && Number(m[1]) >= ${count} && document.querySelectorAll('tbody tr[data-task]').length >= ${Math.min(count, ROWS_PER_PAGE)};
    })()`);
    return now() - started;
  } finally {
    await page.close();
  }
}

/** Milliseconds to LIST the namespace's Tasks from the API server and parse them. */
async function listMs(api: RestClient, ns: string, count: number): Promise<number> {
  const started = now();
  const list = await api.get<{ items: unknown[] }>(TASKS(ns));
  if (list.items.length < count) throw new Error(`listed ${list.items.length} Tasks, expected ${count}`);
  return now() - started;
}

/** Sets a Task's phase through the status subresource (what the controller does). */
async function setPhase(api: RestClient, ns: string, name: string, phase: string): Promise<void> {
  await api.request('PATCH', `${TASKS(ns)}/${name}/status`, { body: { status: { phase } }, contentType: 'application/merge-patch+json' });
}

/**
 * Shows Task `name` alone on the page, then changes its phase to Running and returns when the
 * page showed it: [sent, shown] in wall-clock ms.
 */
async function liveUpdate(page: Page, api: RestClient, ns: string, name: string): Promise<[number, number]> {
  const key = `${ns}/${name}`;
  await page.getByLabel('Name or description').fill(name);
  await page.locator(`tr[data-task="${key}"]`).waitFor();
  // Armed before the change is sent; resolves with the wall clock of the first render that shows it.
  // Ends in `undefined`: evaluate() would otherwise wait for the Promise, i.e. for the change not yet sent.
  await page.evaluate(`window.benchSeen = new Promise((resolve, reject) => {
    const row = () => document.querySelector(${JSON.stringify(`tr[data-task="${key}"]`)});
    setTimeout(() => reject(new Error('the page did not show ${key} Running within 30 s; its row: ' + row()?.textContent)), 30000);
    const shown = () => row()?.textContent?.includes('Running');
    const observer = new MutationObserver(() => {
      if (!shown()) return;
      observer.disconnect();
      resolve(Date.now());
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  }); undefined`);
  const sent = Date.now();
  await setPhase(api, ns, name, 'Running');
  const shown = await page.evaluate('window.benchSeen') as number;
  return [sent, shown];
}

/** The same changes seen by a plain watch: ms from sending each to its event. */
async function watchDelays(ctx: BenchContext, api: RestClient, ns: string, names: readonly string[]): Promise<number[]> {
  const recorder = await Recorder.start(ctx.cluster.kc, [ns]);
  try {
    const delays: number[] = [];
    for (const name of names) {
      const sent = now();
      const seen = recorder.tasks.length;
      await setPhase(api, ns, name, 'Running');
      await until(() => recorder.tasks.slice(seen).some((e) => e.obj.metadata?.name === name && e.obj.status?.phase === 'Running'), `the watch event of ${name}`, 30_000);
      delays.push(recorder.tasks.slice(seen).find((e) => e.obj.metadata?.name === name)!.at - sent);
    }
    return delays;
  } finally {
    recorder.stop();
  }
}

export async function ui(ctx: BenchContext): Promise<Figure[]> {
  const count = ctx.sizes.uiTasks;
  const ns = await ctx.cluster.namespace('ui');
  const api = new RestClient(ctx.cluster.kc);
  const server = await UiProcess.start(ctx.cluster.kubeconfigPath);
  const browser = await launchChromium();
  try {
    await withConcurrency(count, ctx.concurrency, (i) => createTask(ctx.cluster.custom, ns, taskName(i)));
    ctx.log(`ui: ${count} Tasks created; UI at ${server.url}`);
    const lists: number[] = [];
    for (let i = 0; i < LIST_RUNS; i++) lists.push(await listMs(api, ns, count));

    const cold = await firstPageMs(() => browser.newPage(), server.url, count);
    const warm: number[] = [];
    for (let i = 0; i < WARM_LOADS; i++) warm.push(await firstPageMs(() => browser.newPage(), server.url, count));
    const rss = server.rssMiB();
    ctx.log(`ui: first page cold ${ms(cold)}, warm p50 ${ms(median(warm))}; LIST p50 ${ms(median(lists))}; UI server RSS ${rss.toFixed(0)} MiB`);

    const page = await browser.newPage();
    await page.goto(`${server.url}#/tasks`);
    const shownDelays: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const [sent, shown] = await liveUpdate(page, api, ns, taskName(i));
      shownDelays.push(shown - sent);
    }
    await page.close();
    const watched = await watchDelays(ctx, api, ns, Array.from({ length: UPDATES }, (_, i) => taskName(UPDATES + i)));
    ctx.log(`ui: live update p50 ${ms(median(shownDelays))} (watch ${ms(median(watched))})`);

    const listBase = median(lists);
    return [
      { scenario: 'Web UI', figure: `First page with ${count} Tasks, first tab (server lists and watches)`, measured: ms(cold), baseline: ms(listBase), ratio: ratio(cold, listBase), target: '<= 3000 ms', met: cold <= 3000 },
      { scenario: 'Web UI', figure: `First page with ${count} Tasks, a later tab (p50 of ${WARM_LOADS})`, measured: ms(median(warm)), baseline: ms(listBase), ratio: ratio(median(warm), listBase), target: '<= 2000 ms', met: median(warm) <= 2000 },
      { scenario: 'Web UI', figure: `Live update, status change -> page (p50 of ${UPDATES})`, measured: ms(median(shownDelays)), baseline: ms(median(watched)), ratio: ratio(median(shownDelays), median(watched)), target: '-' },
      { scenario: 'Web UI', figure: `Live update, status change -> page (p95 of ${UPDATES})`, measured: ms(percentile(shownDelays, 95)), baseline: ms(percentile(watched, 95)), ratio: ratio(percentile(shownDelays, 95), percentile(watched, 95)), target: '<= 1000 ms', met: percentile(shownDelays, 95) <= 1000 },
      { scenario: 'Web UI', figure: `UI server RSS with ${count} Tasks and ${WARM_LOADS + 2} tabs served`, measured: `${rss.toFixed(0)} MiB`, target: '-' },
    ];
  } finally {
    await browser.close();
    await server.stop();
    await api.close();
    // Must not hide the scenario's own error.
    await cleanUp(ctx, [ns]).catch((e: Error) => ctx.log(`ui: cleaning up ${ns} failed: ${e.message}`));
  }
}
