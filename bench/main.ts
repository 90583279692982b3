/**
 * `npm run bench` (npx tsx bench/main.ts): the numbers of SPEC.md section 6, each beside a
 * baseline measured in the same run on the same machine, on a control plane started for the
 * run. Prints one table and writes it into docs/benchmarks.md.
 *
 *   --quick            small sizes (about a minute): checks that the bench still works; writes no doc
 *   --workers N        the controller's --workers (default 4, the controller's default)
 *   --concurrency N    requests in flight when the bench creates objects as fast as it can (default 16)
 *   --profile          run the controller with --cpu-prof and summarise the profiles (from lib/,
 *                      not the bundle, so that the profile names modules)
 *   --only a,b         scenarios to run: synthesis,latency,throughput,requests,queue,memory,startup,replicas,ui
 *                      (the default), and scale, which runs only when named (100,000 Tasks: long)
 *   --kubeconfig PATH  use that control plane instead of starting one (for working on the bench)
 *   --controller PATH  run that kubeopencode CLI (bin/kubeopencode.js of another build, e.g. with a
 *                      fix to compare) instead of this checkout's, which is compiled first
 *   --node-options=FLAGS  the controller's NODE_OPTIONS (default: as the chart deploys it, see
 *                      DEPLOYED_NODE_OPTIONS; --node-options= for Node's defaults)
 *   --out PATH         where to write the results (default docs/benchmarks.md; full runs only)
 *   --no-write         print only
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchCluster } from './lib/cluster.js';
import { BenchContext, FULL, QUICK } from './lib/context.js';
import { describe, summarize } from './lib/profile.js';
import { nodeBinary, repoRoot } from './lib/reconciler.js';
import { Figure, machine, machineLines, markdownTable, textTable, writeResults } from './lib/report.js';
import { Distribution } from './lib/stats.js';
import { apiLatencyBaseline, latency } from './scenarios/latency.js';
import { memory } from './scenarios/memory.js';
import { podSize } from './scenarios/pod-size.js';
import { queue } from './scenarios/queue.js';
import { replicas } from './scenarios/replicas.js';
import { requests } from './scenarios/requests.js';
import { scale } from './scenarios/scale.js';
import { startup } from './scenarios/startup.js';
import { synthesis } from './scenarios/synth.js';
import { throughput } from './scenarios/throughput.js';
import { ui } from './scenarios/ui.js';
import { buildCli } from '../scripts/cli-bundle.js';
import { buildAssets } from '../scripts/ui-bundle.js';
import { DEFAULT_OPERATOR_VALUES } from '../src/constructs/operator/values.js';

const SCENARIOS = ['synthesis', 'latency', 'throughput', 'requests', 'queue', 'memory', 'startup', 'replicas', 'ui', 'scale'];
/** Run only when named in --only: they take too long for every run. */
const ON_REQUEST = ['scale'];
const DEFAULT_SCENARIOS = SCENARIOS.filter((s) => !ON_REQUEST.includes(s));

/**
 * The controller's Node as the chart runs it: the chart's NODE_OPTIONS, plus the heap ceiling
 * Node derives from the chart's 512Mi memory limit by itself (heap_size_limit 259 MiB, measured
 * in a 512Mi memory cgroup), which the bench's process, in no such cgroup, must be given.
 */
const DEPLOYED_NODE_OPTIONS = `${DEFAULT_OPERATOR_VALUES.controller.nodeOptions} --max-old-space-size=256`.trim();
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  log(`${name}...`);
  try {
    return await run();
  } finally {
    log(`${name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

function flags() {
  const { values } = parseArgs({
    allowNegative: true,
    options: {
      'quick': { type: 'boolean', default: false },
      'workers': { type: 'string', default: '4' },
      'concurrency': { type: 'string', default: '16' },
      'profile': { type: 'boolean', default: false },
      'only': { type: 'string' },
      'kubeconfig': { type: 'string' },
      'controller': { type: 'string' },
      'node-options': { type: 'string', default: DEPLOYED_NODE_OPTIONS },
      'out': { type: 'string' },
      'write': { type: 'boolean', default: true },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim()) ?? DEFAULT_SCENARIOS;
  const unknown = only.filter((s) => !SCENARIOS.includes(s));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  return { ...values, only, workers: Number(values.workers), concurrency: Number(values.concurrency), nodeOptions: values['node-options'] };
}

/** The controller (lib/bundle) and the UI (lib/) run from the compiled code: bring it up to date with src/ first. */
async function compile(): Promise<void> {
  const tsc = spawnSync(nodeBinary(), [join(repoRoot, 'node_modules/typescript/bin/tsc'), '--build'], { cwd: repoRoot, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('npx tsc --build failed; the controller under test would be stale');
  await buildAssets(join(repoRoot, 'lib/ui'));
  await buildCli(join(repoRoot, 'lib/bundle'));
}

async function main(): Promise<number> {
  const f = flags();
  const sizes = f.quick ? QUICK : FULL;
  const figures: Figure[] = [];
  const runs = (name: string) => f.only.includes(name);

  if (runs('synthesis')) figures.push(...synthesis(sizes.synthTasks, sizes.synthRuns, log), ...podSize(log));
  const needsCluster = f.only.some((s) => s !== 'synthesis');
  let cluster: BenchCluster | undefined;
  let ctx: BenchContext | undefined;
  try {
    if (needsCluster) {
      if (!f.controller) await compile();
      log(f.kubeconfig ? `using the control plane of ${f.kubeconfig}` : 'starting a control plane for this run');
      cluster = await BenchCluster.start(f.kubeconfig);
      const profileDir = f.profile ? mkdtempSync(join(tmpdir(), 'kubeopencode-bench-profiles-')) : undefined;
      ctx = {
        cluster,
        sizes,
        workers: f.workers,
        concurrency: f.concurrency,
        profileDir,
        // A profile of the bundle would name minified chunks: profile the same code from lib/.
        cli: f.controller ?? (f.profile ? join(repoRoot, 'bin/kubeopencode.js') : undefined),
        nodeOptions: f.nodeOptions,
        profiles: [],
        notes: [],
        log,
      };
      const c = ctx;
      let apiBaseline: Distribution | undefined;
      if (runs('latency')) {
        const result = await timed('latency', () => latency(c));
        figures.push(...result.figures);
        apiBaseline = result.apiBaseline;
      }
      if (runs('throughput')) figures.push(...await timed('throughput', () => throughput(c)));
      if (runs('requests')) figures.push(...await timed('requests', () => requests(c)));
      if (runs('queue')) {
        apiBaseline ??= await apiLatencyBaseline(ctx, sizes.rate * sizes.seconds);
        const base = apiBaseline;
        figures.push(...await timed('queue', () => queue(c, base)));
      }
      if (runs('memory')) figures.push(...await timed('memory', () => memory(c)));
      if (runs('startup')) figures.push(...await timed('startup', () => startup(c)));
      if (runs('replicas')) figures.push(...await timed('replicas', () => replicas(c)));
      if (runs('ui')) figures.push(...await timed('ui', () => ui(c)));
      if (runs('scale')) figures.push(...await timed('scale', () => scale(c)));
    }
    const versions = cluster ? await cluster.versions() : { kubernetes: 'n/a', etcd: 'n/a' };
    const nodeVersion = spawnSync(nodeBinary(), ['--version'], { encoding: 'utf8' }).stdout.trim();
    const settings = `${f.quick ? 'quick' : 'full'} run; controller --workers ${f.workers}, NODE_OPTIONS "${f.nodeOptions}"; bench concurrency ${f.concurrency}`
      + `${f.controller ? `; controller from ${f.controller}` : ''}${cluster && !cluster.dedicated ? '; SHARED control plane' : ''}${f.profile ? '; controller under --cpu-prof, run from lib/ (not bundled)' : ''}`;
    const about = machineLines(machine(versions, nodeVersion), settings);
    process.stdout.write(`\n${about.join('\n')}\n\n${textTable(figures)}\n`);
    if (ctx?.notes.length) process.stdout.write(`\n${ctx.notes.join('\n')}\n`);

    const profiles = (ctx?.profiles ?? []).map(({ scenario, path }) => describe(`Controller CPU profile: ${scenario}`, path, summarize(path)));
    if (profiles.length) process.stdout.write(`\n${profiles.join('\n')}\n`);
    const complete = DEFAULT_SCENARIOS.every(runs);
    if (f.write && (f.out || (!f.quick && complete))) {
      const out = f.out ?? join(repoRoot, 'docs/benchmarks.md');
      const notes = ctx?.notes.length ? ['Where the CPU and the API requests went (per unit of work, from /proc and apiserver_request_total):', '', ...ctx.notes, ''] : [];
      writeResults(out, [...about, '', markdownTable(figures), '', ...notes, ...profiles].join('\n'));
      log(`results written to ${out}`);
    }
    return 0;
  } finally {
    if (cluster) {
      log('stopping the control plane');
      await cluster.stop();
    }
  }
}

main().then(
  (code) => process.exit(code), // explicit: keep-alive sockets must not hold the process
  (e: unknown) => {
    log(`failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  },
);
