/**
 * 1. Synthesis: N TaskConstructs -> YAML with app.synthYaml(), against the same objects as
 * raw ApiObjects (no construct logic, no schema validation): what the construct layer costs.
 */
import { isDeepStrictEqual } from 'node:util';
import { ApiObject, App, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { TaskConstruct } from '../../src/constructs/index.js';
import { AGENT, taskName } from '../lib/load.js';
import { Figure } from '../lib/report.js';
import { median, ms, now, ratio } from '../lib/stats.js';

const description = (name: string) => `Benchmark task ${name}: update the dependencies and open a pull request.`;

function chart(): { app: App; chart: Chart } {
  const app = new App({ outdir: '/dev/null' });
  return { app, chart: new Chart(app, 'bench', { namespace: 'bench' }) };
}

/** Building the constructs is part of what a user pays, so it is inside the timing. */
function withConstructs(count: number): string {
  const { app, chart: c } = chart();
  for (let i = 0; i < count; i++) {
    new TaskConstruct(c, `task-${i}`, { metadata: { name: taskName(i) }, agent: { name: AGENT }, description: description(taskName(i)) });
  }
  return app.synthYaml();
}

function withApiObjects(count: number): string {
  const { app, chart: c } = chart();
  for (let i = 0; i < count; i++) {
    new ApiObject(c, `task-${i}`, {
      apiVersion: 'kubeopencode.io/v1alpha1',
      kind: 'Task',
      metadata: { name: taskName(i) },
      spec: { description: description(taskName(i)), agentRef: { name: AGENT } },
    });
  }
  return app.synthYaml();
}

function timed(fn: () => string): { ms: number; yaml: string } {
  const started = now();
  const yaml = fn();
  return { ms: now() - started, yaml };
}

export function synthesis(count: number, runs: number, log: (line: string) => void): Figure[] {
  // Warm-up (module loading, JIT), and a check that both sides produce the same objects.
  const a = parseAllDocuments(withConstructs(count)).map((d) => d.toJS());
  const b = parseAllDocuments(withApiObjects(count)).map((d) => d.toJS());
  if (!isDeepStrictEqual(a, b)) throw new Error('synthesis: TaskConstructs and raw ApiObjects produced different objects');

  const constructs: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Alternate, so that a burst of load on the shared machine hits both sides alike.
    constructs.push(timed(() => withConstructs(count)).ms);
    raw.push(timed(() => withApiObjects(count)).ms);
  }
  const [c, base] = [median(constructs), median(raw)];
  log(`synthesis: ${count} Tasks, median of ${runs}: constructs ${ms(c)}, raw ApiObjects ${ms(base)}`);
  return [
    { scenario: 'Synthesis', figure: `${count} TaskConstructs -> YAML`, measured: ms(c), baseline: ms(base), ratio: ratio(c, base), target: '< 1 s', met: c < 1000 },
    { scenario: 'Synthesis', figure: 'per Task', measured: ms(c / count), baseline: ms(base / count), ratio: ratio(c, base), target: '< 1 ms', met: c / count < 1 },
  ];
}
