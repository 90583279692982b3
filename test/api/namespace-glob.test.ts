import { minimatch } from 'minimatch';
import { namespaceGlobProblem } from '../../src/api/namespace-glob.js';

const namespaces = ['dev', 'dev-a', 'dev-b', 'staging', 'prod', 'team-1', 'a'];

describe('allowedNamespaces globs (offline rules; the CEL twin is checked in crds.integ)', () => {
  test.each([
    'staging', 'dev-*', '*', '?', 'dev-[ab]', 'dev-[a-z]', 'dev-[!a]', '{dev,prod}', 'team-{1,2}', '!prod', '{dev-*,staging}',
  ])('%s can match a namespace', (glob) => {
    expect(namespaceGlobProblem(glob)).toBeUndefined();
    expect(namespaces.some((ns) => minimatch(ns, glob))).toBe(true);
  });

  test.each([
    ['dev team', 'only a-z, 0-9, -'],
    ['Dev', 'only a-z, 0-9, -'],
    ['dev_a', 'only a-z, 0-9, -'],
    ['dev.a', 'only a-z, 0-9, -'],
    ['dev-[a-z', 'unclosed ['],
    ['dev-[', 'unclosed ['],
    ['dev-[]', 'an empty []'],
    ['{dev,prod', 'unclosed ['],
    ['{dev}', 'a {} without a comma'],
    ['dev,prod', 'not a glob that can match'],
    ['dev!', 'a ! that is not first'],
    ['dev]', 'not a glob that can match'],
  ])('%s is refused: %s', (glob, why) => {
    expect(namespaceGlobProblem(glob)).toContain(why);
    // What the rule refuses indeed matches none of the namespaces (minimatch reads it literally).
    expect(namespaces.filter((ns) => minimatch(ns, glob))).toEqual([]);
  });
});
