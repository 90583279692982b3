/**
 * What the image cache needs to know of a Dockerfile, read from its text: each stage's base
 * image (ARG defaults and build args substituted) and the build-context paths that COPY and
 * ADD read. Only the subset of the syntax our Dockerfiles use; pure functions.
 */

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  /** The image named by FROM, or an earlier stage's alias. */
  readonly base: string;
  readonly alias?: string;
}

/** Instructions in order: comments and blank lines dropped, continuation lines joined. */
export function parseDockerfile(text: string): Instruction[] {
  const joined = text.split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

const substitute = (value: string, vars: Readonly<Record<string, string>>): string =>
  value.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced?: string, bare?: string) => vars[braced ?? bare ?? ''] ?? match);

/**
 * The stages, with the global ARGs (those before the first FROM) substituted in FROM:
 * their defaults, overridden by buildArgs, as `docker build --build-arg` does.
 */
export function stages(instructions: readonly Instruction[], buildArgs: Readonly<Record<string, string>> = {}): Stage[] {
  const vars: Record<string, string> = {};
  const result: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && result.length === 0) {
      const [name, value] = ins.args.split('=', 2);
      const given = buildArgs[name] ?? value;
      if (given !== undefined) vars[name] = given;
    } else if (ins.keyword === 'FROM') {
      const [image, as, alias] = ins.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      result.push({ base: substitute(image, vars), ...(as?.toUpperCase() === 'AS' && alias ? { alias } : {}) });
    }
  }
  return result;
}

/** The images a build pulls: FROM and COPY --from= bases that are not earlier stages. */
export function baseImages(instructions: readonly Instruction[], buildArgs: Readonly<Record<string, string>> = {}): string[] {
  const all = stages(instructions, buildArgs);
  const aliases = new Set(all.flatMap((s) => (s.alias ? [s.alias] : [])));
  const fromCopies = instructions.filter((i) => i.keyword === 'COPY')
    .flatMap((i) => /--from=(\S+)/.exec(i.args)?.[1] ?? [])
    .filter((from) => !aliases.has(from) && !/^\d+$/.test(from));
  return [...new Set([...all.map((s) => s.base).filter((b) => !aliases.has(b) && b !== 'scratch'), ...fromCopies])];
}

/** The build-context paths (as written, relative to the context) that COPY and ADD read. */
export function contextSources(instructions: readonly Instruction[]): string[] {
  const sources = instructions
    .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args))
    .flatMap((i) => i.args.split(/\s+/).filter((part) => !part.startsWith('--')).slice(0, -1));
  return [...new Set(sources)];
}

/**
 * The name Docker and buildah give a short image name: `debian:x` is
 * `docker.io/library/debian:x`, `alpine/helm:x` is `docker.io/alpine/helm:x`; a name whose
 * first part has a dot, a colon or is `localhost` names its registry already.
 */
export function normalizeImageName(name: string): string {
  const [first, ...rest] = name.split('/');
  if (rest.length > 0 && (/[.:]/.test(first) || first === 'localhost')) return name;
  return rest.length === 0 ? `docker.io/library/${name}` : `docker.io/${name}`;
}
