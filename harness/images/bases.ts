/**
 * The base images the Dockerfiles start FROM, made here because no registry is reachable:
 * each is put in buildah's storage under the exact name the Dockerfile's FROM resolves to,
 * and looks like the official image where our Dockerfiles depend on it.
 *
 *   debian:bookworm-slim      mmdebstrap minbase, docs/man/locales left out as in the slim image
 *   node:24-bookworm-slim     + Node 24 in /usr/local/bin, npm in /usr/local/lib/node_modules/npm,
 *                               user and group `node` 1000:1000 with home /home/node
 *   golang:1.25-bookworm      + the official Go toolchain in /usr/local/go, GOPATH /go
 *   registry.k8s.io/kubectl   /bin/kubectl only, as build-binaries.sh builds it (the devbox copies it)
 *   alpine/helm               /usr/bin/helm only, as build-binaries.sh builds it (the devbox copies it)
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildah, ISOLATION } from './buildah.js';
import { normalizeImageName } from './dockerfile.js';
import { run } from './exec.js';
import { sha256 } from './keys.js';
import { debianRootfs, goToolchain, harnessBinary, helmVersion, kubectlVersion, mmdebstrapArgs, nodeBinary, npmTarball, pinnedVersion } from './tools.js';

const DEBIAN_SUITE = 'bookworm';
/** npm for the Node image: the current npm 11, which Node 24 bundles. */
const NPM_VERSION = '11.21.2';
/** golang:1.25-bookworm: the latest Go 1.25 patch release on the Go module proxy. */
const GO_VERSION = '1.25.14';
const OS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BaseImage {
  /** The name a Dockerfile's FROM resolves to, normalized (docker.io/library/...). */
  readonly name: string;
  /** The base images it is made from (their keys are part of its key). */
  readonly from: readonly string[];
  /** What its key covers besides the keys of `from`. */
  readonly inputs: () => Promise<string>;
  /** Makes it in storage under `name`. */
  readonly build: (context: { readonly key: string; readonly logFile: string }) => Promise<void>;
}

/** A working container of `from` (an image name, or `scratch`), committed as `name`. */
async function commitFrom(from: string, name: string, createdBy: string, fill: (container: string) => Promise<void>): Promise<void> {
  const container = (await buildah(['from', '--pull=never', '--quiet', from])).trim();
  try {
    await fill(container);
    await buildah(['config', '--created-by', createdBy, container]);
    await buildah(['commit', '--quiet', '--rm', container, name], { nice: true });
  } catch (error) {
    await buildah(['rm', container]).catch(() => undefined);
    throw error;
  }
}

/** Mounts the container's root file system for the duration of fill. */
async function withMount(container: string, fill: (root: string) => Promise<void>): Promise<void> {
  const root = (await buildah(['mount', container])).trim();
  try {
    await fill(root);
  } finally {
    await buildah(['umount', container]);
  }
}

const runIn = (container: string, script: string) =>
  buildah(['run', '--isolation', ISOLATION, container, '--', 'sh', '-ec', script]);

const debianName = normalizeImageName(`debian:${DEBIAN_SUITE}-slim`);

const debian: BaseImage = {
  name: debianName,
  from: [],
  inputs: async () => JSON.stringify(mmdebstrapArgs(DEBIAN_SUITE)),
  build: async ({ key, logFile }) => {
    const rootfs = await debianRootfs(DEBIAN_SUITE, key, logFile);
    await commitFrom('scratch', debianName, `mmdebstrap --variant=minbase ${DEBIAN_SUITE}`, async (c) => {
      await buildah(['add', '--quiet', c, rootfs, '/'], { nice: true }); // a local tarball is unpacked, as ADD does
      await buildah(['config', '--env', `PATH=${OS_PATH}`, '--cmd', '["bash"]', c]);
    });
  },
};

const node: BaseImage = {
  name: normalizeImageName(`node:${nodeBinary().version.split('.')[0]}-${DEBIAN_SUITE}-slim`),
  from: [debianName],
  inputs: async () => JSON.stringify({ node: nodeBinary().version, npm: NPM_VERSION }),
  build: async () => {
    const { path, version } = nodeBinary();
    const npm = await npmTarball(NPM_VERSION);
    await commitFrom(debianName, node.name, `node ${version}, npm ${NPM_VERSION}`, async (c) => {
      await withMount(c, async (root) => {
        copyFileSync(path, join(root, 'usr/local/bin/node'));
        chmodSync(join(root, 'usr/local/bin/node'), 0o755);
        const npmDir = join(root, 'usr/local/lib/node_modules/npm');
        mkdirSync(npmDir, { recursive: true });
        await run('tar', ['-xzf', npm, '-C', npmDir, '--strip-components=1', '--no-same-owner']);
        symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
        symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
      });
      // The official image's user; the devbox Dockerfile renames it.
      await runIn(c, 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node && node --version && npm --version');
      await buildah(['config', '--env', `NODE_VERSION=${version}`, '--cmd', '["node"]', c]);
    });
  },
};

const golang: BaseImage = {
  name: normalizeImageName(`golang:${GO_VERSION.split('.').slice(0, 2).join('.')}-${DEBIAN_SUITE}`),
  from: [debianName],
  inputs: async () => JSON.stringify({ go: GO_VERSION }),
  build: async () => {
    const goroot = await goToolchain(GO_VERSION);
    await commitFrom(debianName, golang.name, `go ${GO_VERSION} from golang.org/toolchain`, async (c) => {
      await withMount(c, async (root) => {
        const target = join(root, 'usr/local/go');
        await run('cp', ['-r', goroot, target]);
        // The module cache is read-only and a module zip keeps no executable bits.
        await run('chmod', ['-R', 'u+w,a+rX', target]);
        await run('sh', ['-c', 'chmod 0755 "$1"/bin/* "$1"/pkg/tool/*/*', 'sh', target]);
        mkdirSync(join(root, 'go/src'), { recursive: true });
        mkdirSync(join(root, 'go/bin'), { recursive: true });
        await run('chmod', ['-R', '1777', join(root, 'go')]);
      });
      await buildah(['config', '--env', `GOLANG_VERSION=${GO_VERSION}`, '--env', 'GOTOOLCHAIN=local', '--env', 'GOPATH=/go',
        '--env', `PATH=/go/bin:/usr/local/go/bin:${OS_PATH}`, '--workingdir', '/go', c]);
      await runIn(c, 'go version');
    });
  },
};

/**
 * An image holding one binary of build-binaries.sh, named as the Dockerfile expects for the
 * version that harness/control-plane/tools pins: the devbox then carries the kubectl and helm
 * the project's own control plane is tested with.
 */
interface BinaryImageOptions {
  readonly name: string;
  /** Its name in build-binaries.sh's folder. */
  readonly binary: string;
  /** Where the image holds it. */
  readonly path: string;
  readonly version: (binary: string) => Promise<string>;
  readonly pinned: string;
}

function binaryImage(options: BinaryImageOptions): BaseImage {
  const image: BaseImage = {
    name: options.name,
    from: [],
    inputs: async () => sha256(readFileSync(await harnessBinary(options.binary))),
    build: async () => {
      const binary = await harnessBinary(options.binary);
      const version = await options.version(binary);
      if (version !== options.pinned) throw new Error(`${binary} reports ${version}, not ${options.pinned}: rerun harness/control-plane/build-binaries.sh`);
      await commitFrom('scratch', image.name, `${options.binary} ${version} from build-binaries.sh`, async (c) => {
        await buildah(['add', '--quiet', '--chmod', '0755', c, binary, options.path]);
        await buildah(['config', '--entrypoint', JSON.stringify([options.path]), c]);
      });
    },
  };
  return image;
}

const kubernetesVersion = pinnedVersion('kubernetes', 'k8s.io/kubernetes');
const kubectl = binaryImage({
  name: `registry.k8s.io/kubectl:${kubernetesVersion}`, binary: 'kubectl', path: '/bin/kubectl', version: kubectlVersion, pinned: kubernetesVersion,
});

const helmPinned = pinnedVersion('helm', 'helm.sh/helm/v3').replace(/^v/, '');
const helm = binaryImage({
  name: normalizeImageName(`alpine/helm:${helmPinned}`), binary: 'helm', path: '/usr/bin/helm', version: helmVersion, pinned: helmPinned,
});

/** Every base image this harness can make, by normalized name. */
export const baseImages: ReadonlyMap<string, BaseImage> = new Map([debian, node, golang, kubectl, helm].map((b) => [b.name, b]));
