/**
 * The Pod of the seed README's quick-start Task (examples/seed-readme) as the controller sends
 * it: the rendered Pod with its ownerReference, as compact JSON (what the client puts on the
 * wire). Baseline: a bare Pod that runs the same command in the same image and nothing else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { renderTask } from '../../src/reconciler/render.js';
import { repoRoot } from '../lib/reconciler.js';
import { Figure } from '../lib/report.js';
import { ratio } from '../lib/stats.js';

const TARGET_BYTES = 5000;

const seed = (file: string) => parse(readFileSync(join(repoRoot, 'examples/seed-readme', file), 'utf8'));

const bytes = (o: object) => Buffer.byteLength(JSON.stringify(o));

export function podSize(log: (line: string) => void): Figure[] {
  const agent = seed('01-quick-start-agent.yaml') as AgentObject;
  const task = seed('02-quick-start-task.yaml') as TaskObject;
  // A uid as the API server gives one: the Pod's ownerReference and uid label carry it.
  const created = { ...task, metadata: { ...task.metadata, uid: '7d2f0b8e-4c1a-4f43-9a51-3b6f2e8c9d10' } };
  const { pod, configMap } = renderTask({ task: created, agent });
  const bare = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
    spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: agent.spec.executorImage, command: agent.spec.command }] },
  };
  const [sent, base] = [bytes(pod), bytes(bare)];
  log(`pod size: the quick-start Task's Pod ${sent} bytes as sent (bare Pod ${base}), its context ConfigMap ${bytes(configMap)}`);
  return [
    { scenario: 'Pod size', figure: 'Quick-start Task\'s Pod as sent (compact JSON)', measured: `${sent} B`, baseline: `${base} B`, ratio: ratio(sent, base), target: `<= ${TARGET_BYTES} B`, met: sent <= TARGET_BYTES },
    { scenario: 'Pod size', figure: 'its context ConfigMap as sent', measured: `${bytes(configMap)} B`, target: '-' },
  ];
}
