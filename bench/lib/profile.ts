/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time by
 * function and by area (our source files, each npm package, GC, idle), and inclusive time
 * of our own functions, which shows which reconcile step pays for the library code below it.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: number[];
}

interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time, ms (idle included). */
  readonly totalMs: number;
  readonly idleMs: number;
  readonly byArea: [string, number][];
  readonly bySelf: [string, number][];
  /** Inclusive time of functions in our own code (lib/src), ms. */
  readonly byInclusive: [string, number][];
}

/** Where a frame's code lives: `src/reconciler/kube.ts`, an npm package, or a V8 pseudo-frame. */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/lib\/(src\/.+)\.js$/.exec(url);
  if (ours) return `${ours[1]}.ts`;
  if (url.startsWith('node:')) return 'node (core)';
  return url.replace(/^file:\/\//, '');
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const area = areaOf(url, functionName);
  return url ? `${functionName || '(anonymous)'} ${area}:${lineNumber + 1}` : area;
}

export function summarize(path: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us / 1000);
  const areas = new Map<string, number>();
  const selves = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalMs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    totalMs += us / 1000;
    add(areas, areaOf(node.callFrame.url, node.callFrame.functionName), us);
    add(selves, frameName(node), us);
    // Charge every distinct own function on the stack once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!;
      if (!/\/lib\/src\//.test(frame.callFrame.url)) continue;
      const name = frameName(frame);
      if (!seen.has(name)) add(inclusive, name, us);
      seen.add(name);
    }
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs,
    idleMs: areas.get('(idle)') ?? 0,
    byArea: sorted(areas),
    bySelf: sorted(selves),
    byInclusive: sorted(inclusive),
  };
}

/** Markdown lines: busy time, then the three rankings as shares of busy (non-idle) time. */
export function describe(title: string, path: string, s: ProfileSummary): string {
  const busy = s.totalMs - s.idleMs;
  const pct = (v: number) => `${((v / busy) * 100).toFixed(1)}%`;
  const list = (rows: [string, number][]) => rows.filter(([k]) => k !== '(idle)').map(([k, v]) => `  - ${pct(v)} ${k} (${v.toFixed(0)} ms)`).join('\n');
  return [
    `#### ${title}`,
    '',
    `Profile: \`${path}\`; ${(busy / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s sampled.`,
    '',
    '- Self time by area:',
    list(s.byArea),
    '- Self time by function:',
    list(s.bySelf),
    '- Inclusive time of our functions:',
    list(s.byInclusive),
    '',
  ].join('\n');
}
