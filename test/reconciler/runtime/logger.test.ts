import { Writable } from 'node:stream';
import { createLogger, nullLogger, parseLogFormat, parseLogLevel } from '../../../src/reconciler/runtime/logger.js';

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter((l) => l.length > 0) };
}

// winston writes through a stream pipeline; give it a tick to flush.
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('logger', () => {
  test('text format: time, level, message, then key=value fields (child fields first)', async () => {
    const out = capture();
    const log = createLogger({ format: 'text', level: 'info', stream: out.stream });
    log.child({ task: 'dev-team-a/fix-bug-123' }).info('reconciled', { phase: 'Running', note: 'two words', n: 3 });
    await flush();
    const [line] = out.lines();
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  reconciled task=dev-team-a\/fix-bug-123 phase=Running note="two words" n=3$/);
  });

  test('JSON format: one parseable object per line with level, message, timestamp and fields', async () => {
    const out = capture();
    const log = createLogger({ format: 'json', stream: out.stream });
    const child = log.child({ task: 'ns/t' }).child({ pod: 'ns/t-pod' });
    child.warn('pod failed', { err: new Error('boom'), attempt: 2, details: { a: [1, 2] } });
    await flush();
    const parsed = out.lines().map((l) => JSON.parse(l));
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ level: 'warn', message: 'pod failed', task: 'ns/t', pod: 'ns/t-pod', err: 'boom', attempt: 2, details: { a: [1, 2] } });
    expect(typeof parsed[0].timestamp).toBe('string');
  });

  test('levels below the configured one are dropped; debug adds the stack of errors', async () => {
    const out = capture();
    createLogger({ format: 'json', level: 'warn', stream: out.stream }).info('hidden');
    const debugOut = capture();
    createLogger({ format: 'json', level: 'debug', stream: debugOut.stream }).debug('shown', { err: new Error('e') });
    await flush();
    expect(out.lines()).toEqual([]);
    const [line] = debugOut.lines().map((l) => JSON.parse(l));
    expect(line).toMatchObject({ level: 'debug', message: 'shown', err: 'e' });
    expect(line.errStack).toContain('Error: e');
  });

  test('fields named like winston keys do not overwrite level or message', async () => {
    const out = capture();
    createLogger({ format: 'json', stream: out.stream }).error('real message', { message: 'field', level: 'x' });
    await flush();
    expect(JSON.parse(out.lines()[0])).toMatchObject({ 'level': 'error', 'message': 'real message', 'field.message': 'field', 'field.level': 'x' });
  });

  test('nullLogger discards everything, and flags are parsed strictly', () => {
    expect(() => nullLogger.child({ a: 1 }).error('x')).not.toThrow();
    expect(parseLogFormat('text')).toBe('text');
    expect(() => parseLogFormat('yaml')).toThrow(/expected json or text/);
    expect(parseLogLevel('debug')).toBe('debug');
    expect(() => parseLogLevel('trace')).toThrow(/expected error, warn, info or debug/);
  });
});
