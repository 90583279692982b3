/**
 * What the echo agent reports from inside its container: a shell script, run by the Agent's
 * command before the seed's own (`/tools/opencode run "$(cat task.md)"`, the echo image's
 * fake opencode), that prints what it sees (identity, environment, modes and contents of
 * the paths it is told to inspect, which directories it can write) as `@@obs` lines on its
 * standard output, and writes output files. The test reads them back from the container's
 * log through the API server. Only POSIX sh and coreutils: the echo image is Debian minbase.
 */

export interface EchoAgentOptions {
  /** Absolute paths (or relative to the workspace) whose mode and content are recorded. */
  readonly inspect?: readonly string[];
  /** Output parameter files to write: path -> content. */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Shell lines run after the inspection (their output goes to the log). */
  readonly extra?: readonly string[];
}

export const shellQuote = (v: string): string => `'${v.replace(/'/g, "'\\''")}'`;

/** The prefix of every observation line. */
const MARK = '@@obs';

export function inspectScript(options: EchoAgentOptions): string {
  const q = shellQuote;
  return [
    `obs() { printf '${MARK}\\t%s\\t%s\\t%s\\n' "$1" "$2" "$3"; }`,
    'cd "$WORKSPACE_DIR" || exit 1',
    'obs identity - "$(id -u) $(id -G | tr " " ,) $(pwd) $HOME"',
    'obs env - "$(env | base64 -w0)"',
    ...(options.inspect ?? []).flatMap((path) => [
      `obs stat ${q(path)} "$(stat -L -c '%a %u:%g %F' ${q(path)} 2>&1)"`,
      `[ -f ${q(path)} ] && obs content ${q(path)} "$(base64 -w0 < ${q(path)})"`,
    ]),
    // Whether the agent's user can create a file in each directory, and if not why (a read-only mount, or permissions).
    'for d in /tools "$HOME" /tmp "$WORKSPACE_DIR"; do obs writable "$d" "$(touch "$d/.probe" 2>&1 && rm "$d/.probe" && echo writable)"; done',
    ...Object.entries(options.outputs ?? {}).flatMap(([path, content]) => [
      `mkdir -p "$(dirname ${q(path)})"`,
      `printf '%s' ${q(content)} > ${q(path)}`,
    ]),
    ...(options.extra ?? []),
  ].join('\n');
}

export interface Observations {
  /** `id -u`, `id -G` (comma-separated), working directory, HOME. */
  readonly identity: string[];
  readonly env: ReadonlyMap<string, string>;
  /** Path -> `mode uid:gid type` as `stat -L` prints it (or its error). */
  readonly stat: ReadonlyMap<string, string>;
  /** Path -> content, for the regular files among the inspected paths. */
  readonly content: ReadonlyMap<string, string>;
  /** Directory -> `writable`, or touch's error. */
  readonly writable: ReadonlyMap<string, string>;
  /** The log without the observation lines: what the agent itself printed. */
  readonly rest: string;
}

/** Reads the observations back from the agent container's log. */
export function parseObservations(log: string): Observations {
  const lines = log.split('\n');
  const marked = lines.filter((l) => l.startsWith(`${MARK}\t`)).map((l) => l.split('\t').slice(1) as [string, string, string]);
  const of = (kind: string) => marked.filter(([k]) => k === kind);
  const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  const envText = decode(of('env')[0]?.[2] ?? '');
  const env = new Map(envText.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return {
    identity: (of('identity')[0]?.[2] ?? '').split(' '),
    env,
    stat: new Map(of('stat').map(([, path, value]) => [path, value])),
    content: new Map(of('content').map(([, path, value]) => [path, decode(value)])),
    writable: new Map(of('writable').map(([, path, value]) => [path, value])),
    rest: lines.filter((l) => !l.startsWith(`${MARK}\t`)).join('\n'),
  };
}
