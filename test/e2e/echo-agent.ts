/**
 * The seed's "echo" agent, as the fake `opencode` that the simulated tools image copies
 * into /tools: no model; it prints its prompt (task.md), writes output parameter files and
 * records what it sees from inside the agent container (identity, environment, modes and
 * contents of the paths it is told to inspect), for the test to check afterwards.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellQuote } from '../support/container-sandbox.js';

/** Where the agent leaves its observations, relative to the workspace. */
export const OBSERVED_DIR = '.observed';

export interface EchoAgentOptions {
  /** Absolute paths (or relative to the workspace) whose mode and content are recorded. */
  readonly inspect: readonly string[];
  /** Output parameter files to write: path relative to the workspace -> content. */
  readonly outputs: Readonly<Record<string, string>>;
  /** A Git checkout whose HEAD is recorded. */
  readonly gitCheckout?: string;
}

export function echoAgentScript(options: EchoAgentOptions): string {
  const lines = [
    '#!/bin/sh',
    '# Fake opencode: the echo agent of the seed\'s end-to-end tests.',
    'set -u',
    '[ "${1:-}" = run ] || { echo "usage: opencode run PROMPT" >&2; exit 2; }',
    'printf \'%s\\n\' "$2"',
    'cd "$WORKSPACE_DIR" || exit 1',
    `mkdir -p ${OBSERVED_DIR}/content`,
    `{ id -u; id -G; pwd; echo "$HOME"; } > ${OBSERVED_DIR}/identity`,
    `env > ${OBSERVED_DIR}/env`,
    ...options.inspect.flatMap((path, i) => [
      `printf '%s\\t%s\\n' ${shellQuote(path)} "$(stat -L -c '%a %u:%g %F' ${shellQuote(path)} 2>&1)" >> ${OBSERVED_DIR}/stat`,
      `[ -f ${shellQuote(path)} ] && cat ${shellQuote(path)} > ${OBSERVED_DIR}/content/${i}`,
    ]),
    ...(options.gitCheckout ? [`git -C ${shellQuote(options.gitCheckout)} rev-parse HEAD > ${OBSERVED_DIR}/git-head 2>&1`] : []),
    // Whether the agent's user can create a file in each directory, and if not why (read-only mount, or permissions).
    `for d in /tools "$HOME" /tmp "$WORKSPACE_DIR"; do printf '%s\\t%s\\n' "$d" "$(touch "$d/.probe" 2>&1 && rm "$d/.probe" && echo writable)"; done > ${OBSERVED_DIR}/writable`,
    ...Object.entries(options.outputs).flatMap(([path, content]) => [
      `mkdir -p "$(dirname ${shellQuote(path)})"`,
      `printf '%s' ${shellQuote(content)} > ${shellQuote(path)}`,
    ]),
    'exit 0',
  ];
  return `${lines.join('\n')}\n`;
}

export interface Observations {
  /** `id -u`, `id -G`, working directory, HOME. */
  readonly identity: string[];
  readonly env: ReadonlyMap<string, string>;
  /** Path -> `mode uid:gid type` as `stat -L` prints it (or its error). */
  readonly stat: ReadonlyMap<string, string>;
  /** Path -> content, for the regular files among the inspected paths. */
  readonly content: ReadonlyMap<string, string>;
  readonly gitHead?: string;
  /** Directory -> `writable`, or touch's error. */
  readonly writable: ReadonlyMap<string, string>;
}

/** Reads what the echo agent recorded, from the workspace volume on the host. */
export function readObservations(workspaceVolume: string, inspect: readonly string[]): Observations {
  const dir = join(workspaceVolume, OBSERVED_DIR);
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const env = new Map(read('env').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const stat = new Map(read('stat').trimEnd().split('\n').map((l) => l.split('\t') as [string, string]));
  const content = new Map(readdirSync(join(dir, 'content')).map((i) => [inspect[Number(i)], read(`content/${i}`)]));
  let gitHead: string | undefined;
  try {
    gitHead = read('git-head').trim();
  } catch { /* no checkout inspected */ }
  const lines = (name: string) => read(name).trimEnd().split('\n');
  const writable = new Map(lines('writable').map((l) => l.split('\t') as [string, string]));
  return { identity: lines('identity'), env, stat, content, gitHead, writable };
}
