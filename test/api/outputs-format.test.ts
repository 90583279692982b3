import {
  ALL_OTHERS, formatTerminationMessage, packOutputs, parseTerminationMessage,
  TERMINATION_MESSAGE_LIMIT, terminationMessageLimit, TerminationMessageError,
} from '../../src/api/outputs-format.js';

const bytes = (s: string): number => Buffer.byteLength(s);
const packedSize = (m: ReturnType<typeof packOutputs>): number => bytes(formatTerminationMessage(m));
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A small deterministic generator (Park-Miller), so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

describe('packOutputs', () => {
  test('values that fit are kept as they are', () => {
    const message = packOutputs({ parameters: { pr: 'https://example.com/pr/1', summary: 'done\nall good' }, missing: ['branch'] });
    expect(message).toEqual({ parameters: { pr: 'https://example.com/pr/1', summary: 'done\nall good' }, truncated: [], missing: ['branch'] });
  });

  test('the largest value is shortened first, just enough; small values stay whole', () => {
    const message = packOutputs({ parameters: { small: 'ok', big: 'b'.repeat(5000), medium: 'm'.repeat(1000) } });
    expect(message.truncated).toEqual(['big']);
    expect(message.parameters.small).toBe('ok');
    expect(message.parameters.medium).toBe('m'.repeat(1000));
    expect(message.parameters.big).toBe('b'.repeat(message.parameters.big.length));
    expect(packedSize(message)).toBe(TERMINATION_MESSAGE_LIMIT);
  });

  test('a value that cannot fit at all is dropped and listed', () => {
    const message = packOutputs({ parameters: { a: 'x'.repeat(100), b: 'y'.repeat(100) } }, 60);
    expect(message.truncated).toEqual(['a', 'b']);
    expect(packedSize(message)).toBeLessThanOrEqual(60);
    expect(Object.keys(message.parameters).length).toBeLessThan(2);
  });

  test('multi-byte and escaped characters are counted in bytes, and surrogate pairs are never split', () => {
    const message = packOutputs({ parameters: { emoji: '😀'.repeat(3000), ctl: '\u0001'.repeat(1000), accents: 'é'.repeat(500) } });
    expect(packedSize(message)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    expect(Object.values(message.parameters).some((v) => LONE_SURROGATE.test(v))).toBe(false);
    expect(message.truncated).toContain('emoji');
  });

  test('values already cut when read stay listed even when they fit', () => {
    expect(packOutputs({ parameters: { log: 'tail' }, truncated: ['log'] }).truncated).toEqual(['log']);
  });

  test('when even the names do not fit, "*" stands for them', () => {
    const names = Array.from({ length: 64 }, (_, i) => `${'n'.repeat(60)}${String(i).padStart(3, '0')}`);
    const message = packOutputs({ parameters: Object.fromEntries(names.map((n) => [n, 'v'.repeat(200)])) });
    expect(message).toEqual({ parameters: {}, truncated: [ALL_OTHERS], missing: [] });
  });

  test('random inputs: always valid JSON within the limit, deterministic, and every cut value is listed', () => {
    const next = random(42);
    const alphabet = ['a', 'é', '😀', '"', '\\', '\n', '\u0000', ' '];
    for (let round = 0; round < 200; round++) {
      const limit = 100 + Math.floor(next() * 4000);
      const parameters: Record<string, string> = {};
      const count = Math.floor(next() * 10);
      for (let i = 0; i < count; i++) {
        const length = Math.floor(next() ** 3 * 3000);
        parameters[`p${i}`] = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      }
      const message = packOutputs({ parameters }, limit);
      expect(packOutputs({ parameters }, limit)).toEqual(message);
      const text = formatTerminationMessage(message);
      expect(bytes(text)).toBeLessThanOrEqual(limit);
      expect(parseTerminationMessage(text)).toEqual(message);
      for (const [name, value] of Object.entries(parameters)) {
        const kept = message.parameters[name];
        if (kept === value) continue;
        expect(message.truncated.includes(name) || message.truncated.includes(ALL_OTHERS)).toBe(true);
        if (kept !== undefined) expect(value.startsWith(kept)).toBe(true);
      }
    }
  });
});

test('terminationMessageLimit: 4096 bytes, or the Pod\'s 12 KiB shared by its containers', () => {
  expect([1, 3, 4, 5, 8, 12].map(terminationMessageLimit)).toEqual([4096, 4096, 3072, 2457, 1536, 1024]);
});

describe('parseTerminationMessage', () => {
  test('reads what packOutputs writes; the lists default to empty', () => {
    expect(parseTerminationMessage('{"parameters":{"a":"1"},"truncated":["b"],"missing":["c"]}'))
      .toEqual({ parameters: { a: '1' }, truncated: ['b'], missing: ['c'] });
    expect(parseTerminationMessage('{"parameters":{}}')).toEqual({ parameters: {}, truncated: [], missing: [] });
  });

  test.each([
    ['', 'empty'],
    ['{"parameters":{"a":"1"', 'not JSON'],
    ['[1]', 'not a JSON object'],
    ['{"truncated":[]}', 'no "parameters" object'],
    ['{"parameters":{"a":1}}', 'parameter "a" in the termination message is not a string'],
    ['{"parameters":{},"truncated":"a"}', '"truncated" in the termination message is not a list'],
    ['{"parameters":{},"missing":[1]}', '"missing" in the termination message is not a list'],
  ])('refuses %j', (text, message) => {
    expect(() => parseTerminationMessage(text)).toThrow(TerminationMessageError);
    expect(() => parseTerminationMessage(text)).toThrow(message);
  });
});
