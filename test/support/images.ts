/**
 * Images do not exist here (no registry, no container engine): each image a Pod names is
 * simulated by the host's OS (its /usr and /etc, copy-on-write) plus a few files of its
 * own, bound read-only, with the image's environment and entrypoint.
 */
import { mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { shellQuote } from './container-sandbox.js';
import { cliLauncher, root } from '../cli/helpers.js';

export interface SimulatedImage {
  /** Host files or directories bound read-only into the container: the image's own content. */
  readonly files: readonly { readonly host: string; readonly path: string }[];
  /** The image's ENV; the container's env wins over it. */
  readonly env: Readonly<Record<string, string>>;
  /** ENTRYPOINT and CMD, used when the container sets no command (resp. no args). */
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** USER of the image as a UID (0 when unset, like most images). */
  readonly user?: number;
}

const OS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const isInside = (path: string, dir: string): boolean => !relative(dir, path).startsWith('..');

/**
 * The system image (quay.io/kubeopencode/kubeopencode): `kubeopencode` on the PATH runs the
 * repository's CLI with the Node that runs the tests (Node 24): the compiled one when lib/
 * is up to date, else the sources through tsx (test/cli/helpers.ts decides). The
 * repository's entries are bound read-only at their own paths, which the real image does
 * not have. Entry by entry, not the repository folder itself: a clone in a `mktemp -d`
 * folder is mode 0700, which the containers' user 1000 could not enter.
 */
export function kubeopencodeImage(layerDir: string): SimulatedImage {
  const node = realpathSync(process.execPath);
  const launcher = cliLauncher().map((arg) => (arg === 'tsx'
    // `--import tsx` resolves from the working directory, which is / in these containers.
    ? pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href
    : arg));
  mkdirSync(join(layerDir, 'bin'), { recursive: true });
  writeFileSync(join(layerDir, 'bin/kubeopencode'), `#!/bin/sh\nexec ${[node, ...launcher].map(shellQuote).join(' ')} "$@"\n`, { mode: 0o755 });
  const nodePrefix = dirname(dirname(node));
  return {
    files: [
      ...readdirSync(root).filter((entry) => entry !== '.git').map((entry) => ({ host: join(root, entry), path: join(root, entry) })),
      ...(isInside(node, root) ? [] : [{ host: nodePrefix, path: nodePrefix }]),
      { host: layerDir, path: '/opt/kubeopencode' },
    ],
    env: { PATH: `/opt/kubeopencode/bin:${OS_PATH}` },
  };
}

/**
 * The agent tools image (kubeopencode-agent-opencode): its entrypoint copies `opencode`
 * into $TOOLS_DIR, as the real image copies the OpenCode binary. Here `opencode` is the
 * script the test gives (a fake agent), not OpenCode.
 */
export function opencodeToolsImage(layerDir: string, fakeOpencode: string): SimulatedImage {
  mkdirSync(layerDir, { recursive: true });
  writeFileSync(join(layerDir, 'opencode'), fakeOpencode, { mode: 0o755 });
  writeFileSync(join(layerDir, 'install.sh'), 'set -eu\ncp /opt/opencode/opencode "$TOOLS_DIR/opencode"\nchmod 0755 "$TOOLS_DIR/opencode"\n' +
    'echo "installed opencode into $TOOLS_DIR"\n');
  return {
    files: [{ host: layerDir, path: '/opt/opencode' }],
    env: { PATH: OS_PATH },
    entrypoint: ['sh', '/opt/opencode/install.sh'],
  };
}

/** An executor image (devbox, or the seed's `echo` image): a shell, coreutils and git, from the host. */
export function executorImage(): SimulatedImage {
  return { files: [], env: { PATH: OS_PATH } };
}
