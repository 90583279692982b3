/** The bench's number helpers (pure functions, no cluster). */
import { distribution, ms, percentile, ratio } from '../../bench/lib/stats.js';

test('percentiles are by nearest rank, whatever the order of the samples', () => {
  const samples = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
  expect(percentile(samples, 50)).toBe(5);
  expect(percentile(samples, 90)).toBe(9);
  expect(percentile(samples, 99)).toBe(10);
  expect(percentile(samples, 0)).toBe(1);
  expect(percentile([], 50)).toBeNaN();
});

test('a distribution reports its size and maximum beside the percentiles', () => {
  const d = distribution(Array.from({ length: 100 }, (_, i) => i + 1));
  expect(d).toEqual({ n: 100, p50: 50, p90: 90, p99: 99, max: 100 });
});

test('times keep three significant figures, ratios two decimals, and say n/a when undefined', () => {
  expect(ms(1743.4)).toBe('1743 ms');
  expect(ms(20.24)).toBe('20.2 ms');
  expect(ms(8.8)).toBe('8.80 ms');
  expect(ms(NaN)).toBe('n/a');
  expect(ratio(24.44, 3.91)).toBe('6.25x');
  expect(ratio(1, 0)).toBe('n/a');
});
