/**
 * What the base images are made of, fetched or built into downloads/ of the image cache:
 * a Debian root file system (mmdebstrap), Node 24 (the project's own `node` dev dependency)
 * and npm (its registry tarball), a Go toolchain (from the Go module proxy), kubectl
 * and helm, as harness/control-plane/build-binaries.sh builds them for the control plane.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { log, run, runLogged, seconds } from './exec.js';
import { cachePath, repoRoot } from './paths.js';
import { binaryPath } from '../control-plane/binaries.js';

const downloads = (...parts: string[]) => {
  mkdirSync(cachePath('downloads'), { recursive: true });
  return cachePath('downloads', ...parts);
};

/** Builds `final` through `final.partial` so that an interrupted step leaves nothing that looks done. */
async function once(final: string, make: (partial: string) => Promise<void>): Promise<string> {
  if (existsSync(final)) return final;
  const partial = `${final}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await make(partial);
  renameSync(partial, final);
  return final;
}

/** Node: the binary of the project's `node` dev dependency (the npm package node@24). */
export function nodeBinary(): { path: string; version: string } {
  const dir = join(repoRoot, 'node_modules', 'node');
  const path = join(dir, 'bin', 'node');
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm ci (the node dev dependency ships Node 24)`);
  return { path, version: (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version };
}

/** The npm CLI's registry tarball (what the official Node images install as npm). */
export function npmTarball(version: string): Promise<string> {
  return once(downloads(`npm-${version}.tgz`), async (partial) => {
    const dir = `${partial}.d`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    await run('npm', ['pack', '--silent', `npm@${version}`, '--pack-destination', dir]);
    renameSync(join(dir, `npm-${version}.tgz`), partial);
    rmSync(dir, { recursive: true });
  });
}

/** The mmdebstrap arguments of the Debian base; part of its cache key. */
export function mmdebstrapArgs(suite: string): string[] {
  return [
    '--variant=minbase', '--mode=root', '--format=tar',
    // As the official slim images do: no manual pages, documentation or translations.
    ...['/usr/share/man/*', '/usr/share/doc/*', '/usr/share/locale/*', '/usr/share/info/*', '/usr/share/groff/*', '/usr/share/lintian/*']
      .map((p) => `--dpkgopt=path-exclude=${p}`),
    ...['/usr/share/doc/*/copyright', '/usr/share/locale/locale.alias'].map((p) => `--dpkgopt=path-include=${p}`),
    suite,
    '-',
    `deb http://deb.debian.org/debian ${suite} main`,
    `deb http://deb.debian.org/debian ${suite}-updates main`,
    `deb http://deb.debian.org/debian-security ${suite}-security main`,
  ];
}

/** A Debian root file system tarball, made once per key (about a minute). */
export function debianRootfs(suite: string, key: string, logFile: string): Promise<string> {
  return once(downloads(`debian-${suite}-${key}.tar`), async (partial) => {
    const started = Date.now();
    log(`  mmdebstrap ${suite} (minbase, about a minute)`);
    const args = mmdebstrapArgs(suite).map((a) => (a === '-' ? partial : a));
    await runLogged('mmdebstrap', ['--quiet', ...args], logFile, { nice: true });
    log(`  mmdebstrap done in ${seconds(started)}`);
  });
}

/** An official Go toolchain, as the Go module proxy serves it; resolves with its GOROOT. */
export async function goToolchain(version: string): Promise<string> {
  const out = await run('go', ['mod', 'download', '-json', `golang.org/toolchain@v0.0.1-go${version}.linux-amd64`], {
    env: { GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
  });
  const dir = (JSON.parse(out) as { Dir?: string; Error?: string }).Dir;
  if (!dir) throw new Error(`go mod download of Go ${version} gave no directory: ${out}`);
  return dir;
}

/** A binary that build-binaries.sh builds (helm, kubectl); the Jest global setup runs that script first. */
export async function harnessBinary(name: string): Promise<string> {
  if (!existsSync(binaryPath(name))) {
    log(`${name} is not built yet: running harness/control-plane/build-binaries.sh`);
    const { buildBinaries } = await import('../control-plane/session.js');
    await buildBinaries();
  }
  if (!existsSync(binaryPath(name))) throw new Error(`build-binaries.sh did not build ${binaryPath(name)}`);
  return binaryPath(name);
}

/** The version a Go tool module of harness/control-plane/tools pins for a module path. */
export function pinnedVersion(tool: string, module: string): string {
  const goMod = readFileSync(join(repoRoot, 'harness', 'control-plane', 'tools', tool, 'go.mod'), 'utf8');
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/\./g, '\\.')} (v\\S+)`, 'm').exec(goMod);
  if (!match) throw new Error(`harness/control-plane/tools/${tool}/go.mod does not require ${module}`);
  return match[1];
}

/** The version kubectl reports: v1.36.3. */
export async function kubectlVersion(path: string): Promise<string> {
  return (JSON.parse(await run(path, ['version', '--client', '-o', 'json'])) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
}

/** The version helm reports, without the `v`: 3.22.0. */
export async function helmVersion(path: string): Promise<string> {
  return (await run(path, ['version', '--template', '{{.Version}}'])).trim().replace(/^v/, '');
}
