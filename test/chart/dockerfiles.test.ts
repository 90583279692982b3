/**
 * The Dockerfiles, read as text: pinned base images, a non-root user, an exec-form ENTRYPOINT
 * that exists in the build, tidy apt installs, and COPY sources that are in the build context.
 * Their shell scripts run for real. The images themselves are built with buildah by
 * harness/images and checked by test/harness/images.integ.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

interface Instruction { readonly keyword: string; readonly args: string }

/** Instructions of a Dockerfile: comments dropped, continuation lines joined. */
function parseDockerfile(path: string): Instruction[] {
  const joined = readFileSync(path, 'utf8').split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

/** Each stage's base image (ARG defaults substituted) and the instructions of the last stage. */
function stages(instructions: Instruction[]): { bases: string[]; names: string[]; last: Instruction[] } {
  const args: Record<string, string> = {};
  const bases: string[] = [];
  const names: string[] = [];
  let last: Instruction[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && bases.length === 0) {
      const [name, value] = ins.args.split('=');
      if (value !== undefined) args[name] = value;
    } else if (ins.keyword === 'FROM') {
      const [image, , alias] = ins.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      bases.push(image.replace(/\$\{(\w+)\}/g, (_m, n: string) => args[n] ?? `\${${n}}`));
      if (alias) names.push(alias);
      last = [];
    } else {
      last.push(ins);
    }
  }
  return { bases, names, last };
}

const dockerfiles = ['Dockerfile', 'images/opencode/Dockerfile', 'images/devbox/Dockerfile', 'images/echo/Dockerfile'];

describe.each(dockerfiles)('%s', (file) => {
  const path = join(root, file);
  const context = join(root, file === 'Dockerfile' ? '.' : file.replace(/\/Dockerfile$/, ''));
  const instructions = parseDockerfile(path);
  const { bases, names, last } = stages(instructions);

  test('every base image is pinned to a tag other than latest', () => {
    for (const base of bases.filter((b) => !names.includes(b))) {
      expect(base).toMatch(/^[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
      expect(base).not.toMatch(/:latest$/);
    }
  });

  test('the image runs as a numeric non-root user', () => {
    const users = last.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    expect(user).toMatch(/^\d+(:\d+)?$/); // numeric: runAsNonRoot can verify it
    expect(user.split(':')[0]).not.toBe('0');
  });

  test('ENTRYPOINT and CMD use the exec form', () => {
    for (const ins of last.filter((i) => ['ENTRYPOINT', 'CMD'].includes(i.keyword))) {
      expect(() => JSON.parse(ins.args) as unknown).not.toThrow();
    }
  });

  test('apt installs skip recommends and leave no package lists behind', () => {
    for (const ins of instructions.filter((i) => i.keyword === 'RUN' && i.args.includes('apt-get install'))) {
      expect(ins.args).toContain('--no-install-recommends');
      expect(ins.args).toContain('rm -rf /var/lib/apt/lists/*');
    }
  });

  test('COPY sources from the build context exist', () => {
    for (const ins of instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))) {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) expect([source, existsSync(join(context, source))]).toEqual([source, true]);
    }
  });
});

describe('the operator image (Dockerfile)', () => {
  const instructions = parseDockerfile(join(root, 'Dockerfile'));
  const { last } = stages(instructions);
  const runs = last.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');

  test('is Node 24 with git and openssh-client (git-init needs them), the bundle and no node_modules', () => {
    expect(stages(instructions).bases.at(-1)).toMatch(/^node:24-/);
    expect(runs).toMatch(/apt-get install[^\n]*\bgit\b[^\n]*\bopenssh-client\b/);
    expect(runs).not.toContain('npm ci');
    const copiedFromBuild = last.filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build')).map((i) => i.args);
    expect(copiedFromBuild).toEqual(['--from=build /src/lib/bundle ./lib/bundle', '--from=build /src/lib/ui ./lib/ui']);
    expect(last.find((i) => i.keyword === 'USER')?.args).toBe('65532:65532');
  });

  test('its ENTRYPOINT is the bundled kubeopencode CLI, which the build produces', () => {
    expect(JSON.parse(last.find((i) => i.keyword === 'ENTRYPOINT')!.args)).toEqual(['/usr/local/bin/kubeopencode']);
    expect(runs).toContain('ln -s /opt/kubeopencode/lib/bundle/kubeopencode.mjs /usr/local/bin/kubeopencode');
    // The build stage bundles lib/src/cli/entry.js, where tsc (outDir lib, rootDir .) compiles src/cli/entry.ts.
    const allRuns = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(allRuns).toMatch(/npx tsc --build && .*npx tsx scripts\/cli-bundle\.ts/);
    expect(readFileSync(join(root, 'scripts/cli-bundle.ts'), 'utf8')).toContain("join(libDir, 'src', 'cli', 'entry.js')");
    expect(existsSync(join(root, 'src/cli/entry.ts'))).toBe(true);
    const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8').replace(/^\/\/.*$/gm, '')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(tsconfig.compilerOptions).toMatchObject({ outDir: 'lib', rootDir: '.' });
    // Task Pods call the helpers as `kubeopencode <command>`, found on PATH.
    expect(readFileSync(join(root, 'src/constructs/task-pod.ts'), 'utf8')).toContain("const SYSTEM_CLI = 'kubeopencode'");
  });

  test('.dockerignore lets in exactly what the Dockerfile copies', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore.slice(1).map((l) => l.replace(/^!/, '').replace(/\/$/, '')).sort();
    const copied = instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((p) => !p.startsWith('--')).slice(0, -1));
    expect([...new Set(copied)].sort()).toEqual(allowed);
  });
});

describe('the image scripts', () => {
  const sh = (script: string, args: string[], env: Record<string, string>, cwd?: string) =>
    execFileSync('sh', [join(root, script), ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, cwd, encoding: 'utf8' });

  test.each(['images/opencode/copy-tools.sh', 'images/echo/copy-tools.sh', 'images/echo/opencode.sh'])('%s is valid sh and executable', (script) => {
    execFileSync('sh', ['-n', join(root, script)]);
    expect(statSync(join(root, script)).mode.toString(8)).toMatch(/[1357]$/); // executable by others
  });

  test('the opencode image copies its binary into $TOOLS_DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeopencode-images-'));
    const binary = join(dir, 'opencode-binary');
    writeFileSync(binary, '#!/bin/sh\necho fake\n');
    mkdirSync(join(dir, 'tools'));
    expect(sh('images/opencode/copy-tools.sh', [], { TOOLS_DIR: join(dir, 'tools'), OPENCODE_BINARY: binary })).toContain('installed');
    expect(statSync(join(dir, 'tools', 'opencode')).mode.toString(8)).toMatch(/755$/);
    expect(() => sh('images/opencode/copy-tools.sh', [], { TOOLS_DIR: join(dir, 'missing'), OPENCODE_BINARY: binary })).toThrow();
  });

  test('the echo image installs a fake opencode that prints the task and writes outputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeopencode-images-'));
    mkdirSync(join(dir, 'tools'));
    mkdirSync(join(dir, 'workspace'));
    sh('images/echo/copy-tools.sh', [], { TOOLS_DIR: join(dir, 'tools'), ECHO_AGENT: join(root, 'images/echo/opencode.sh') });
    writeFileSync(join(dir, 'workspace', 'task.md'), 'Fix the bug\n\nin auth');
    // The Agent's default command: sh -c '/tools/opencode run "$(cat ${WORKSPACE_DIR}/task.md)"'
    const out = execFileSync('sh', ['-c', `${join(dir, 'tools', 'opencode')} run "$(cat \${WORKSPACE_DIR}/task.md)"`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WORKSPACE_DIR: join(dir, 'workspace'), TASK_NAME: 't', TASK_NAMESPACE: 'ns' }, encoding: 'utf8',
    });
    expect(out).toBe('=== task (ns/t) ===\nFix the bug\n\nin auth\n');
    expect(readFileSync(join(dir, 'workspace', '.outputs', 'summary'), 'utf8')).toBe('Fix the bug\n');
    expect(readFileSync(join(dir, 'workspace', '.outputs', 'echo'), 'utf8')).toBe('Fix the bug\n\nin auth');
  });
});
