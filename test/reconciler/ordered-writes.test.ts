import { OrderedWrites } from '../../src/reconciler/ordered-writes.js';

/** A write the test resolves by hand: records when it started, resolves with `ok`. */
class ManualWrite {
  public started = false;
  private resolve?: (ok: boolean) => void;
  private reject?: (e: Error) => void;

  constructor(public readonly key: string, private readonly log: string[]) {}

  public readonly write = () => new Promise<boolean>((resolve, reject) => {
    this.started = true;
    this.log.push(`start ${this.key}`);
    this.resolve = resolve;
    this.reject = reject;
  });

  public land(ok = true): void {
    this.log.push(`${ok ? 'landed' : 'refused'} ${this.key}`);
    this.resolve!(ok);
  }

  public fail(): void {
    this.reject!(new Error(`boom ${this.key}`));
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('OrderedWrites (pure: fake writes, no API server)', () => {
  let log: string[];
  let settled: string[];
  let errors: string[];
  let writes: OrderedWrites;
  const w = (key: string) => new ManualWrite(key, log);

  beforeEach(() => {
    log = [];
    settled = [];
    errors = [];
    writes = new OrderedWrites((agent) => settled.push(agent), (key, e) => errors.push(`${key}: ${(e as Error).message}`));
  });

  test('one Agent\'s writes run one after the other, in the order handed over, across appends', async () => {
    const [a, b, c] = [w('a'), w('b'), w('c')];
    writes.append('agent', [a, b]);
    writes.append('agent', [c]);
    await tick();
    expect([a.started, b.started, c.started]).toEqual([true, false, false]);
    expect(['a', 'b', 'c'].map((k) => writes.isPending(k))).toEqual([true, true, true]);
    a.land();
    await tick();
    expect(b.started).toBe(true);
    expect(writes.isPending('a')).toBe(false);
    b.land();
    await tick();
    c.land();
    await tick();
    expect(log).toEqual(['start a', 'landed a', 'start b', 'landed b', 'start c', 'landed c']);
    expect(settled).toEqual(['agent']);
    expect(writes.size).toBe(0);
  });

  test('different Agents do not wait for each other', async () => {
    const [a, x] = [w('a'), w('x')];
    writes.append('one', [a]);
    writes.append('two', [x]);
    await tick();
    expect([a.started, x.started]).toEqual([true, true]);
    x.land();
    await tick();
    expect(settled).toEqual(['two']);
    a.land();
    await tick();
    expect(settled).toEqual(['two', 'one']);
  });

  test('a refused write cancels every later one of its Agent, also those handed over while it ran; the Agent is told once all settled', async () => {
    const [a, b, c] = [w('a'), w('b'), w('c')];
    writes.append('agent', [a, b]);
    await tick();
    writes.append('agent', [c]);
    a.land(false);
    await tick();
    await tick();
    expect([b.started, c.started]).toEqual([false, false]);
    expect(writes.size).toBe(0);
    expect(settled).toEqual(['agent']);
    // The next hand-over starts afresh.
    const d = w('d');
    writes.append('agent', [d]);
    await tick();
    expect(d.started).toBe(true);
  });

  test('a write that throws counts as refused and is reported', async () => {
    const [a, b] = [w('a'), w('b')];
    writes.append('agent', [a, b]);
    await tick();
    a.fail();
    await tick();
    await tick();
    expect(b.started).toBe(false);
    expect(errors).toEqual(['a: boom a']);
    expect(settled).toEqual(['agent']);
  });

  test('flush waits for the writes in flight', async () => {
    const a = w('a');
    writes.append('agent', [a]);
    let flushed = false;
    const flushing = writes.flush().then(() => { flushed = true; });
    await tick();
    expect(flushed).toBe(false);
    a.land();
    await flushing;
    expect(flushed).toBe(true);
  });

  test('an empty hand-over changes nothing', () => {
    writes.append('agent', []);
    expect(writes.size).toBe(0);
    expect(settled).toEqual([]);
  });
});
