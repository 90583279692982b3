/**
 * The test repository every Git server of the tests serves: a bare clone with branches, an
 * annotated tag and known commits, so a test can check which ref a clone landed on.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** git without the machine's or the user's configuration, with a fixed author. */
export const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

export const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();

export interface Fixture {
  /** Directory holding repo.git: the base path of the servers. */
  readonly base: string;
  readonly commits: { readonly one: string; readonly two: string; readonly three: string; readonly feature: string };
}

/**
 * main: one (tag v1, annotated) - two - three; feature: two - feature.
 * `docs/guide.md` exists from the first commit; README.md says which commit it is.
 */
export function createFixtureRepo(dir: string): Fixture {
  const work = join(dir, 'work');
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work], { env: gitEnv });
  const commit = (message: string, files: Record<string, string>): string => {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, name)), { recursive: true });
      writeFileSync(join(work, name), content);
    }
    git(work, 'add', '--all');
    git(work, 'commit', '--quiet', '-m', message);
    return git(work, 'rev-parse', 'HEAD');
  };
  const one = commit('one', { 'README.md': 'one\n', 'docs/guide.md': 'guide\n', 'docs/api/index.md': 'api\n' });
  git(work, 'tag', '-a', 'v1', '-m', 'version 1');
  const two = commit('two', { 'README.md': 'two\n' });
  git(work, 'checkout', '--quiet', '-b', 'feature');
  const feature = commit('feature', { 'feature.txt': 'feature\n' });
  git(work, 'checkout', '--quiet', 'main');
  const three = commit('three', { 'README.md': 'three\n' });
  const base = join(dir, 'served');
  execFileSync('git', ['clone', '--quiet', '--bare', work, join(base, 'repo.git')], { env: gitEnv });
  return { base, commits: { one, two, three, feature } };
}
