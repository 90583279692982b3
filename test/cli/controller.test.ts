/**
 * `kubeopencode controller` checks every flag before it starts anything: a bad value is one
 * line on stderr naming the flag, exit code 2, and no connection attempt (the kubeconfig given
 * points nowhere, so a controller that started would log and keep retrying instead of exiting).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs, runCli } from './helpers.js';
import { controllerSettings } from '../../src/cli/controller.js';

afterAll(removeTempDirs);

/** A kubeconfig for a server that is not there. */
function unreachableKubeconfig(): string {
  const file = join(makeTempDir('controller'), 'kubeconfig');
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: c',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: c, context: {cluster: c, user: u}}]',
  ].join('\n'));
  return file;
}

describe('kubeopencode controller: bad flags (run as a process)', () => {
  test.each([
    [['--workers=0'], '--workers must be a whole number of 1 or more, got "0"'],
    [['--workers=abc'], '--workers must be a whole number of 1 or more, got "abc"'],
    [['--workers=2.5'], '--workers must be a whole number of 1 or more, got "2.5"'],
    [['--lease-duration=abc'], '--lease-duration must be a whole number of 1 or more, got "abc"'],
    [['--lease-duration=0'], '--lease-duration must be a whole number of 1 or more, got "0"'],
    [['--log-format=xml'], '--log-format: log format "xml": expected json or text'],
    [['--log-level=loud'], '--log-level: log level "loud": expected error, warn, info or debug'],
    [['--metrics-bind-address=localhost'], '--metrics-bind-address: bind address "localhost": expected [host]:port'],
    [['--health-probe-bind-address=:99999'], '--health-probe-bind-address: bind address ":99999": port out of range'],
    [['--watch-namespaces=dev-['], '--watch-namespaces: "dev-[" is not a glob that can match a namespace'],
    [['--leader-election-id='], '--leader-election-id must not be empty'],
    [['--shards=2', '--no-leader-elect'], '--shards needs leader election'],
    [['--shards=100'], '--shards must be at most 64'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('%j -> exit 2 and one line', async (args, message) => {
    const { code, stdout, stderr } = await runCli(['controller', '--kubeconfig', unreachableKubeconfig(), ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kubeopencode controller: error: /);
    expect(lines[0]).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test('--help lists every flag with its default, and exits 0', async () => {
    const { code, stdout } = await runCli(['controller', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--workers N', '--[no-]leader-elect', '--lease-duration SECONDS', '--watch-namespaces', '--log-format']) expect(stdout).toContain(flag);
    expect(stdout).toContain('(default "4")');
  });
});

describe('controllerSettings (pure)', () => {
  const defaults = {
    'workers': '4',
    'metrics-bind-address': ':8080',
    'health-probe-bind-address': ':8081',
    'leader-elect': true,
    'leader-election-namespace': 'kubeopencode-system',
    'leader-election-id': 'kubeopencode-controller',
    'lease-duration': '15',
    'log-format': 'json',
    'log-level': 'info',
  };

  test('the defaults give a working controller', () => {
    expect(controllerSettings(defaults)).toEqual({
      kubeconfig: undefined,
      workers: 4,
      watchNamespaces: undefined,
      metricsAddress: { port: 8080 },
      probeAddress: { port: 8081 },
      leaderElect: true,
      leaseNamespace: 'kubeopencode-system',
      leaseName: 'kubeopencode-controller',
      leaseDurationSeconds: 15,
      shards: 1,
      logFormat: 'json',
      logLevel: 'info',
    });
  });

  test('an empty --watch-namespaces (the chart\'s default) means every namespace', () => {
    expect(controllerSettings({ ...defaults, 'watch-namespaces': '' }).watchNamespaces).toBeUndefined();
    expect(controllerSettings({ ...defaults, 'watch-namespaces': ' , ' }).watchNamespaces).toBeUndefined();
  });

  test('"0" turns a listener off; namespace globs are split and trimmed; --no-leader-elect', () => {
    const s = controllerSettings({ ...defaults, 'metrics-bind-address': '0', 'watch-namespaces': 'dev-*, staging', 'leader-elect': false });
    expect(s.metricsAddress).toBeUndefined();
    expect(s.watchNamespaces).toEqual(['dev-*', 'staging']);
    expect(s.leaderElect).toBe(false);
  });
});
