/**
 * Logging for the reconciler. Modules depend on the small `Logger` interface only; winston is
 * an implementation detail of `createLogger`. Child loggers carry fields (e.g. the Task key) on
 * every line they write.
 */
import { Writable } from 'node:stream';
import winston from 'winston';

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `log.child({ task: 'ns/name' })`. */
  child(fields: LogFields): Logger;
}

export type LogFormat = 'json' | 'text';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LoggerOptions {
  /** `json` for the cluster, `text` for a person. @default 'json' */
  readonly format?: LogFormat;
  /** @default 'info' */
  readonly level?: LogLevel;
  /** Where lines go. @default process.stderr */
  readonly stream?: Writable;
}

const RESERVED = new Set(['level', 'message', 'timestamp']);

/** Errors become their message (plus the stack at debug level, see below); the rest is kept. */
function normalize(fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!fields) return out;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    // A field named like winston's own keys would overwrite them; rename instead.
    const key = RESERVED.has(k) ? `field.${k}` : k;
    out[key] = v instanceof Error ? errorText(v) : v;
  }
  return out;
}

function errorText(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return code !== undefined && !err.message.includes(String(code)) ? `${err.message} (code ${String(code)})` : err.message;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** `2026-11-25T10:00:00.000Z INFO  reconciled task=ns/name phase=Running` */
const textLine = winston.format.printf((info) => {
  const fields = Object.keys(info)
    .filter((k) => !RESERVED.has(k))
    .map((k) => `${k}=${formatValue(info[k])}`);
  const level = info.level.toUpperCase().padEnd(5);
  return [String(info.timestamp), level, String(info.message), ...fields].join(' ');
});

class WinstonLogger implements Logger {
  constructor(private readonly w: winston.Logger) {}

  public error(message: string, fields?: LogFields): void {
    this.w.error(message, normalize(fields));
  }

  public warn(message: string, fields?: LogFields): void {
    this.w.warn(message, normalize(fields));
  }

  public info(message: string, fields?: LogFields): void {
    this.w.info(message, normalize(fields));
  }

  public debug(message: string, fields?: LogFields): void {
    if (!this.w.isDebugEnabled()) return;
    const normalized = normalize(fields);
    for (const [k, v] of Object.entries(fields ?? {})) {
      if (v instanceof Error && v.stack) normalized[`${k}Stack`] = v.stack;
    }
    this.w.debug(message, normalized);
  }

  public child(fields: LogFields): Logger {
    return new WinstonLogger(this.w.child(normalize(fields)));
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'json';
  const stream = options.stream ?? process.stderr;
  const w = winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(
      winston.format.timestamp(),
      format === 'json' ? winston.format.json() : textLine,
    ),
    transports: [new winston.transports.Stream({ stream })],
  });
  return new WinstonLogger(w);
}

/** Discards everything: the default for modules given no logger, and for tests. */
export const nullLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => nullLogger,
};

/** Parses `--log-format` / `--log-level` style values, rejecting typos. */
export function parseLogFormat(value: string): LogFormat {
  if (value === 'json' || value === 'text') return value;
  throw new Error(`log format "${value}": expected json or text`);
}

export function parseLogLevel(value: string): LogLevel {
  if (value === 'error' || value === 'warn' || value === 'info' || value === 'debug') return value;
  throw new Error(`log level "${value}": expected error, warn, info or debug`);
}
