/**
 * `kubeopencode collect-outputs`: the `outputs` native sidecar. It starts before the agent,
 * waits for the SIGTERM that Kubernetes sends once the agent has exited (whether it
 * succeeded or not), then reads the output parameter files and reports them through its
 * termination message (format: outputs-format.ts).
 */
import { open, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { defineCommand, errorCode, flag, Log, parseCount, str, UsageError } from './lib/cli.js';
import { CollectedOutputs, formatTerminationMessage, packOutputs, TERMINATION_MESSAGE_LIMIT, TerminationMessage } from '../api/outputs-format.js';

/** Enough to fill any termination message; larger files are cut (and reported as truncated). */
const READ_CAP = 64 * 1024;
const DEFAULT_TERMINATION_LOG = '/dev/termination-log';
/** Room for the smallest message, {"parameters":{},"truncated":["*"],"missing":["*"]}, and a little more. */
const MIN_MESSAGE_BYTES = 64;

/**
 * The message limit: 4096 bytes, but the kubelet also cuts every container's message to
 * 12 KiB divided by the Pod's number of containers, so the Pod passes its own share.
 */
function messageLimit(value: string | undefined): number {
  const limit = parseCount('max-bytes', value, TERMINATION_MESSAGE_LIMIT);
  if (limit < MIN_MESSAGE_BYTES || limit > TERMINATION_MESSAGE_LIMIT) {
    throw new UsageError(`--max-bytes must be between ${MIN_MESSAGE_BYTES} and ${TERMINATION_MESSAGE_LIMIT}, got ${limit}`);
  }
  return limit;
}

interface Parameter {
  readonly name: string;
  readonly path: string;
  readonly default?: string;
}

async function readParameters(file: string): Promise<Parameter[]> {
  const data: unknown = JSON.parse(await readFile(file, 'utf8'));
  const valid = Array.isArray(data) && data.every((p) => p && typeof p === 'object' && typeof p.name === 'string' && p.name !== '' &&
    typeof p.path === 'string' && p.path !== '' && (p.default === undefined || typeof p.default === 'string'));
  if (!valid) throw new Error(`${file} must be a JSON list of {name, path, default?} with string values`);
  return data as Parameter[];
}

/** Reads at most READ_CAP bytes; `cut` tells whether the file was longer. */
async function readCapped(path: string): Promise<{ text: string; cut: boolean }> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(READ_CAP + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { text: buffer.subarray(0, Math.min(length, READ_CAP)).toString('utf8'), cut: length > READ_CAP };
  } finally {
    await handle.close();
  }
}

/** Agents (and `echo`) end files with a newline that is not part of the value. */
const trimOneNewline = (s: string): string => s.replace(/\r?\n$/, '');

async function collect(parameters: readonly Parameter[], workspace: string, log: Log): Promise<CollectedOutputs> {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  const truncated: string[] = [];
  for (const p of parameters) {
    const path = isAbsolute(p.path) ? p.path : join(workspace, p.path);
    try {
      const { text, cut } = await readCapped(path);
      values[p.name] = trimOneNewline(text);
      if (cut) truncated.push(p.name);
    } catch (err) {
      const code = errorCode(err);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') log.warn(`cannot read ${path} for output "${p.name}": ${err instanceof Error ? err.message : String(err)}`);
      if (p.default !== undefined) values[p.name] = p.default;
      else missing.push(p.name);
    }
  }
  return { parameters: values, missing, truncated };
}

/** Resolves on SIGTERM (or SIGINT, for local runs); signal handlers alone do not keep Node running. */
function waitForTermination(log: Log, readyFile: string | undefined): Promise<NodeJS.Signals> {
  return new Promise((resolve, reject) => {
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    const onSignal = (signal: NodeJS.Signals) => {
      clearInterval(keepAlive);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Only now may Kubernetes start the agent (the sidecar's startupProbe waits for this file):
    // a SIGTERM before the handler exists would kill the collector with nothing reported.
    const ready = readyFile ? writeFile(readyFile, `${process.pid}\n`) : Promise.resolve();
    ready.then(() => log.info('waiting for the agent to finish (until SIGTERM)'), reject);
  });
}

async function report(message: TerminationMessage, target: string, log: Log): Promise<void> {
  const text = formatTerminationMessage(message);
  if (target === '-') process.stdout.write(`${text}\n`);
  else await writeFile(target, text);
  const notes = [
    message.missing.length ? `missing: ${message.missing.join(', ')}` : '',
    message.truncated.length ? `truncated: ${message.truncated.join(', ')}` : '',
  ].filter(Boolean).join('; ');
  log.info(`reported ${Object.keys(message.parameters).length} parameter(s) in ${Buffer.byteLength(text)} bytes to ${target}${notes ? ` (${notes})` : ''}`);
}

export const command = defineCommand({
  name: 'collect-outputs',
  summary: 'Report the agent\'s output parameters through the termination message (sidecar)',
  details: 'Waits for SIGTERM (sent by Kubernetes once the agent exits), then writes\n' +
    '{"parameters":{...},"truncated":[...],"missing":[...]} in at most --max-bytes bytes and exits 0.',
  options: {
    'parameters': { type: 'string', required: true, arg: 'FILE', description: 'JSON list of {name, path, default?}' },
    'workspace': { type: 'string', required: true, arg: 'DIR', description: 'Directory that relative paths start from' },
    'termination-log': { type: 'string', arg: 'PATH', description: `Where to write the message ("-" for stdout; default ${DEFAULT_TERMINATION_LOG})` },
    'max-bytes': { type: 'string', arg: 'N', description: `Largest message (default ${TERMINATION_MESSAGE_LIMIT}; a Pod with C containers gets 12288/C)` },
    'once': { type: 'boolean', description: 'Collect now and exit, without waiting for SIGTERM' },
    'ready-file': { type: 'string', arg: 'PATH', description: 'File written once the collector is waiting (for a startupProbe)' },
  },
  run: async (values, log) => {
    const parameters = await readParameters(str(values.parameters)!);
    const workspace = str(values.workspace)!;
    const target = str(values['termination-log']) ?? DEFAULT_TERMINATION_LOG;
    const limit = messageLimit(str(values['max-bytes']));
    if (!flag(values.once)) {
      const signal = await waitForTermination(log, str(values['ready-file']));
      log.info(`${signal} received: collecting ${parameters.length} output parameter(s)`);
    }
    await report(packOutputs(await collect(parameters, workspace, log), limit), target, log);
    return 0;
  },
});
