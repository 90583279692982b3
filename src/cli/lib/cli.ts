/**
 * What every subcommand shares: option parsing with --help, one-line errors on stderr,
 * exit codes (0 ok, 1 failure, 2 usage), and progress lines that never show a secret.
 */
import { parseArgs } from 'node:util';
import { Redactor } from './redact.js';

/** A subcommand of `kubeopencode`. */
export interface Command {
  readonly summary: string;
  /** Runs the command; resolves to the process exit code. */
  readonly run: (args: string[]) => Promise<number>;
  /** What defineCommand was given: shell completion reads the options and arguments from it. */
  readonly definition?: CommandDefinition;
}

/** Bad arguments: exit code 2. `showUsage` adds the command's help (e.g. for an unknown option). */
export class UsageError extends Error {
  constructor(message: string, public readonly showUsage = false) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias, e.g. `f` for `-f`. */
  readonly short?: string;
  readonly multiple?: boolean;
  readonly required?: boolean;
  /** The value when the option is not given (booleans may be turned off with --no-NAME). */
  readonly default?: string | boolean;
  /** Placeholder shown in --help, e.g. URL. */
  readonly arg?: string;
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** An argument without a flag (`kubeopencode logs TASK`); its value lands under its name. */
export interface PositionalSpec {
  readonly name: string;
  /** Shown in --help, e.g. TASK. */
  readonly arg: string;
  readonly required?: boolean;
  readonly description: string;
}

/**
 * A failure whose message is already what the user should read (kubectl-style API errors):
 * printed as it is, without the "kubeopencode NAME: error:" prefix.
 */
export class PlainError extends Error {
  constructor(message: string, public readonly exitCode = 1) {
    super(message);
    this.name = 'PlainError';
  }
}

/** Parsed values: strings, booleans or string lists, keyed by option name. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** Progress and warnings on stderr, scrubbed of the secrets the command registered. */
export class Log {
  constructor(private readonly name: string, public readonly redactor: Redactor) {}

  info(message: string): void {
    process.stderr.write(`kubeopencode ${this.name}: ${this.redactor.scrub(message)}\n`);
  }

  warn(message: string): void {
    this.info(`warning: ${message}`);
  }

  error(message: string): void {
    this.info(`error: ${message.split('\n').filter((l) => l.trim() !== '').join('; ')}`);
  }
}

export interface CommandDefinition {
  readonly name: string;
  readonly summary: string;
  /** Extra lines for --help, after the options. */
  readonly details?: string;
  readonly options: OptionSpecs;
  /** Arguments without a flag, in order; none are accepted without this. */
  readonly positionals?: readonly PositionalSpec[];
  /**
   * Print the whole help after an unknown option or a missing required one (commands people
   * type); without it every usage error is one line (helpers whose stderr ends up in a Pod's
   * termination message).
   * @default false
   */
  readonly usageOnError?: boolean;
  readonly run: (values: OptionValues, log: Log) => Promise<number>;
}

function helpText(def: CommandDefinition): string {
  const lines = Object.entries(def.options).map(([name, spec]) => {
    const negatable = spec.type === 'boolean' && spec.default === true;
    const long = `--${negatable ? '[no-]' : ''}${name}${spec.type === 'string' ? ` ${spec.arg ?? 'VALUE'}` : ''}`;
    const flag = spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
    const shownDefault = spec.default !== undefined && spec.default !== '' ? `default ${JSON.stringify(spec.default)}` : '';
    const notes = [spec.required ? 'required' : '', spec.multiple ? 'repeatable' : '', shownDefault].filter(Boolean).join(', ');
    return `  ${flag.padEnd(38)} ${spec.description}${notes ? ` (${notes})` : ''}`;
  });
  lines.push(`  ${'-h, --help'.padEnd(38)} Show this help`);
  const positionals = def.positionals ?? [];
  const synopsis = positionals.map((p) => (p.required ? p.arg : `[${p.arg}]`)).join(' ');
  const args = positionals.length
    ? `Arguments:\n${positionals.map((p) => `  ${p.arg.padEnd(38)} ${p.description}`).join('\n')}\n\n` : '';
  return `Usage: kubeopencode ${def.name} [options]${synopsis ? ` ${synopsis}` : ''}\n\n${def.summary}\n\n${args}Options:\n${lines.join('\n')}\n${def.details ? `\n${def.details}\n` : ''}`;
}

/** Puts the positional arguments under their names; too many or a missing required one is a usage error. */
function positionalValues(def: CommandDefinition, given: string[]): OptionValues {
  const specs = def.positionals ?? [];
  if (given.length > specs.length) {
    throw new UsageError(specs.length ? `unexpected argument "${given[specs.length]}"` : `unexpected argument "${given[0]}": this command takes options only`);
  }
  const missing = specs.slice(given.length).find((p) => p.required);
  if (missing) throw new UsageError(`${missing.arg} is required`);
  return Object.fromEntries(given.map((value, i) => [specs[i].name, value]));
}

function parse(def: CommandDefinition, args: string[]): OptionValues | 'help' {
  const options = Object.fromEntries(Object.entries(def.options)
    .map(([name, spec]) => [name, { type: spec.type, multiple: spec.multiple ?? false, ...(spec.short ? { short: spec.short } : {}) }]));
  let values: OptionValues;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: def.positionals !== undefined, allowNegative: true,
    });
    values = { ...defaults(def.options), ...parsed.values };
    positionals = parsed.positionals;
  } catch (err) {
    if (errorCode(err)?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message, true);
    throw err;
  }
  if (values.help) return 'help';
  for (const [name, spec] of Object.entries(def.options)) {
    if (spec.required && (values[name] === undefined || values[name] === '')) throw new UsageError(`--${name} is required`, true);
  }
  return { ...values, ...positionalValues(def, positionals) };
}

function defaults(specs: OptionSpecs): OptionValues {
  return Object.fromEntries(Object.entries(specs).filter(([, spec]) => spec.default !== undefined).map(([name, spec]) => [name, spec.default]));
}

/** Turns a definition into a Command: parsing, --help, error reporting and exit codes. */
export function defineCommand(def: CommandDefinition): Command {
  return {
    summary: def.summary,
    definition: def,
    run: async (args) => {
      const log = new Log(def.name, new Redactor());
      try {
        const values = parse(def, args);
        if (values === 'help') {
          process.stdout.write(helpText(def));
          return 0;
        }
        return await def.run(values, log);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof PlainError) {
          process.stderr.write(`${log.redactor.scrub(message)}\n`);
          return err.exitCode;
        }
        if (err instanceof UsageError) {
          if (err.showUsage && def.usageOnError) {
            log.error(message);
            process.stderr.write(`\n${helpText(def)}`);
          } else {
            log.error(`${message} (see "kubeopencode ${def.name} --help")`);
          }
          return 2;
        }
        log.error(message);
        return 1;
      }
    },
  };
}

/** A positive integer option (1 or more). */
export function parsePositive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} must be a whole number of 1 or more, got "${value}"`);
  return Number(value);
}

/** A non-negative integer option. */
export function parseCount(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** A permission mode written in octal, such as 644 or 0600. */
export function parseMode(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^0?[0-7]{3,4}$/.test(value) || parseInt(value, 8) > 0o7777) throw new UsageError(`--${name} must be an octal mode such as 644, got "${value}"`);
  return parseInt(value, 8);
}

export const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);
export const list = (v: OptionValues[string]): string[] => (Array.isArray(v) ? v : []);
export const flag = (v: OptionValues[string]): boolean => v === true;

/** An error's code (ENOENT, ...), if it has one. */
export const errorCode = (err: unknown): string | undefined =>
  err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
