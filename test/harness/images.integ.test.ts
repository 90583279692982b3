/**
 * harness/images builds the repository's four images from their Dockerfiles with buildah,
 * from base images made here (no registry). Cold, that takes several minutes (Debian,
 * `npm ci`, apt-get); warm, every image is a cache hit. Each image is then checked where
 * it matters to Task Pods, by running commands in it (chroot isolation) and reading its
 * config, and its OCI archive is read back with skopeo, as containerd will read it.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImages, BuiltImage, loadIntoStorage } from '../../harness/images/build.js';
import { imageConfig, runInImage } from '../../harness/images/buildah.js';
import { ImageId } from '../../harness/images/catalog.js';
import { run } from '../../harness/images/exec.js';

const COLD_BUILD_MS = 60 * 60_000;
/**
 * Running a command in an image (`buildah from`, then `run` in a chroot) takes seconds alone,
 * but over 30 s while the e2e suite keeps both cores busy (seen in CI): a slow machine is not
 * a failure of the image.
 */
const IN_IMAGE_MS = 5 * 60_000;
let images: Record<ImageId, BuiltImage>;

beforeAll(async () => {
  images = await buildImages();
  for (const image of Object.values(images)) await loadIntoStorage(image);
}, COLD_BUILD_MS);

/** A folder the images' non-root users can write to, for a bind mount. */
function sharedDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeopencode-image-test-'));
  chmodSync(dir, 0o777);
  return dir;
}

describe('the OCI archives', () => {
  test.each(['system', 'opencode', 'devbox', 'echo'] as const)('%s: names the image and has the recorded digest', async (id) => {
    const { archive, name, digest } = images[id];
    const index = JSON.parse(await run('tar', ['-xOf', archive, 'index.json'])) as { manifests: { annotations?: Record<string, string> }[] };
    expect(index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'])).toEqual([name]);
    const inspected = JSON.parse(await run('skopeo', ['inspect', `oci-archive:${archive}`])) as { Digest: string; Architecture: string; Os: string };
    expect(inspected).toMatchObject({ Digest: digest, Architecture: 'amd64', Os: 'linux' });
    expect(statSync(archive).size).toBe(images[id].archiveBytes);
  }, IN_IMAGE_MS);
});

describe('the system image (Dockerfile)', () => {
  test('runs the compiled kubeopencode CLI as 65532 by default', async () => {
    const config = await imageConfig(images.system.name);
    expect(config).toMatchObject({ User: '65532:65532', Entrypoint: ['/usr/local/bin/kubeopencode'], Cmd: ['controller'] });
    const usage = await runInImage(images.system.name, ['kubeopencode', '--help'], { user: '65532:65532' });
    expect(usage).toMatch(/^Usage: kubeopencode <command>/);
    expect(usage).toContain('git-init');
  }, IN_IMAGE_MS);

  test('has Node 24, git and ssh, and the CLI bundled: no node_modules', async () => {
    const out = await runInImage(images.system.name, ['sh', '-c', 'node --version && git --version && command -v ssh && ls /opt/kubeopencode /opt/kubeopencode/lib']);
    expect(out).toMatch(/^v24\./);
    expect(out).toMatch(/git version 2\./);
    expect(out).toContain('/usr/bin/ssh');
    expect(out).toMatch(/^bundle$/m);
    expect(out).toMatch(/^ui$/m);
    expect(out).not.toMatch(/^node_modules$/m);
  }, IN_IMAGE_MS);
});

describe('the echo image (images/echo)', () => {
  test('copies its fake opencode into $TOOLS_DIR, which then runs a task', async () => {
    const tools = sharedDir();
    const workspace = sharedDir();
    const config = await imageConfig(images.echo.name);
    expect(config).toMatchObject({ User: '65532:65532', Entrypoint: ['/usr/local/bin/copy-tools'] });
    expect(await runInImage(images.echo.name, config.Entrypoint!, { user: '65532:65532', volumes: [`${tools}:/tools`] })).toContain('installed');
    expect(statSync(join(tools, 'opencode')).mode.toString(8)).toMatch(/755$/);

    writeFileSync(join(workspace, 'task.md'), 'Fix the bug\n\nin auth');
    chmodSync(join(workspace, 'task.md'), 0o644);
    const out = await runInImage(images.echo.name, ['sh', '-c', '/tools/opencode run "$(cat ${WORKSPACE_DIR}/task.md)"'], {
      user: '1000:1000', volumes: [`${tools}:/tools`, `${workspace}:/workspace`], env: { WORKSPACE_DIR: '/workspace', TASK_NAME: 't', TASK_NAMESPACE: 'ns' },
    });
    expect(out).toBe('=== task (ns/t) ===\nFix the bug\n\nin auth\n');
    expect(readFileSync(join(workspace, '.outputs', 'summary'), 'utf8')).toBe('Fix the bug\n');
  }, IN_IMAGE_MS);
});

describe('the opencode image (images/opencode)', () => {
  test('holds the opencode binary, which prints its version, and copies it into $TOOLS_DIR', async () => {
    const dockerfile = readFileSync(new URL('../../images/opencode/Dockerfile', import.meta.url), 'utf8');
    const version = /^ARG OPENCODE_VERSION=(\S+)$/m.exec(dockerfile)![1];
    // HOME as in a Task Pod (an emptyDir): opencode writes under ~/.local.
    expect((await runInImage(images.opencode.name, ['/opt/opencode/opencode', '--version'], { env: { HOME: '/tmp' } })).trim()).toBe(version);
    const tools = sharedDir();
    await runInImage(images.opencode.name, ['/usr/local/bin/copy-tools'], { user: '65532:65532', volumes: [`${tools}:/tools`] });
    expect(existsSync(join(tools, 'opencode'))).toBe(true);
    expect(await imageConfig(images.opencode.name)).toMatchObject({ User: '65532:65532', Entrypoint: ['/usr/local/bin/copy-tools'] });
  }, IN_IMAGE_MS);
});

describe('the devbox image (images/devbox)', () => {
  test('runs as user 1000 (agent) with go, kubectl, helm, git, python3 and node on its PATH', async () => {
    const config = await imageConfig(images.devbox.name);
    expect(config).toMatchObject({ User: '1000:1000', WorkingDir: '/workspace' });
    expect(config.Env).toEqual(expect.arrayContaining(['HOME=/home/agent', 'GOPATH=/home/agent/go']));
    const out = await runInImage(images.devbox.name, ['bash', '-c',
      'id -un; id -u; go version; kubectl version --client; helm version --short; git --version; python3 --version; node --version; rg --version | head -1'], { user: '1000:1000' });
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['agent', '1000']);
    expect(out).toMatch(/go version go1\.25\.\d+ linux\/amd64/);
    expect(out).toMatch(/Client Version: v1\.\d+\.\d+/);
    expect(out).toMatch(/^v3\.\d+\.\d+/m);
    expect(out).toMatch(/git version 2\./);
    expect(out).toMatch(/Python 3\.\d+/);
    expect(out).toMatch(/^v24\./m);
    expect(out).toMatch(/ripgrep/);
  }, IN_IMAGE_MS);
});

describe('the cache', () => {
  test('a second build finds every image in the cache and builds nothing', async () => {
    const started = Date.now();
    const again = await buildImages();
    expect(Object.values(again).map((b) => b.cached)).toEqual([true, true, true, true]);
    expect(Object.fromEntries(Object.entries(again).map(([id, b]) => [id, b.digest])))
      .toEqual(Object.fromEntries(Object.entries(images).map(([id, b]) => [id, b.digest])));
    expect(Date.now() - started).toBeLessThan(20_000);
  }, COLD_BUILD_MS); // a source edited meanwhile means a rebuild: let it fail on `cached`, not on time
});
