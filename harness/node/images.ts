/**
 * The node's own images, made from static binaries at node start and imported into
 * containerd's `k8s.io` namespace, where the kubelet finds them (`imagePullPolicy: Never`
 * or `IfNotPresent`: there is no registry). Each import takes well under a second.
 *
 *   localhost/kubeopencode/pause:1      the Pod sandbox (harness/node/cmd/pause)
 *   localhost/kubeopencode/busybox:1    Debian's busybox-static: a shell and coreutils
 *   localhost/kubeopencode/apiprobe:1   GET /api from inside a Pod (harness/node/cmd/apiprobe)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dockerArchive, ImageRunConfig, tar, TarEntry } from './image-archive.js';
import { CONTAINERD_NAMESPACE, PAUSE_IMAGE } from './layout.js';

const run = promisify(execFile);

export const TEST_IMAGES = {
  busybox: 'localhost/kubeopencode/busybox:1',
  apiprobe: 'localhost/kubeopencode/apiprobe:1',
} as const;

/** Where Debian's busybox-static puts its binary. */
const BUSYBOX = '/bin/busybox';
/** The user of the images below when a Pod does not say (nobody; `restricted` wants non-root). */
const NOBODY = '65534:65534';

/** Files every image needs so that tools can name users and write temp files. */
function baseEntries(): TarEntry[] {
  return [
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n') },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ];
}

/** One static binary at `/<name>`, run as its entrypoint. */
function singleBinaryImage(reference: string, binary: string, name: string, config: ImageRunConfig): Buffer {
  const layer = tar([...baseEntries(), { type: 'file', path: name, data: readFileSync(binary), mode: 0o755 }]);
  return dockerArchive(reference, [layer], { Entrypoint: [`/${name}`], ...config });
}

export const pauseImage = (binDir: string) =>
  singleBinaryImage(PAUSE_IMAGE, join(binDir, 'kubeopencode-pause'), 'pause', { User: '65535:65535' });

export const apiprobeImage = (binDir: string) =>
  singleBinaryImage(TEST_IMAGES.apiprobe, join(binDir, 'kubeopencode-apiprobe'), 'apiprobe', { User: NOBODY });

/** busybox with a symlink per applet in /bin, so `sh -c 'echo | tee ...'` works as usual. */
export async function busyboxImage(): Promise<Buffer> {
  const { stdout } = await run(BUSYBOX, ['--list']);
  const applets = stdout.split('\n').filter((a) => a && a !== 'busybox').sort();
  const layer = tar([
    ...baseEntries(),
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
    ...applets.map((applet): TarEntry => ({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' })),
  ]);
  return dockerArchive(TEST_IMAGES.busybox, [layer], { Cmd: ['sh'], User: NOBODY });
}

/** `ctr images import` of one archive into the namespace the kubelet uses. */
export async function importImage(ctr: string, containerdAddress: string, archive: Buffer): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeopencode-image-'));
  try {
    const file = join(dir, 'image.tar');
    writeFileSync(file, archive);
    await run(ctr, ['--address', containerdAddress, '-n', CONTAINERD_NAMESPACE, 'images', 'import', '--local', file], { timeout: 120_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The test images (busybox, apiprobe), for the end-to-end tests. */
export async function importTestImages(ctr: string, containerdAddress: string, binDir: string): Promise<void> {
  await Promise.all([
    busyboxImage().then((image) => importImage(ctr, containerdAddress, image)),
    importImage(ctr, containerdAddress, apiprobeImage(binDir)),
  ]);
}
