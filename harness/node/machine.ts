/**
 * Facts about this machine that the real node depends on, and the one-line answer to
 * "can this machine run a node?" that the e2e tests fail with when it cannot.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The binaries build-binaries.sh makes for the node. */
export const NODE_BINARIES = ['containerd', 'containerd-shim-runc-v2', 'ctr', 'kubelet', 'kube-scheduler', 'kube-proxy', 'kubeopencode-pause'];

/** The interface of the default route, from /proc/net/route (destination 00000000). */
export function defaultRouteInterface(routeTable = readFileSync('/proc/net/route', 'utf8')): string | undefined {
  return routeTable.split('\n').slice(1).map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === '00000000' && fields[7] === '00000000')?.[0];
}

/**
 * The node's IP: the IPv4 address of the default route's interface (eth0 here). The API
 * server advertises it and Pods reach it through the bridge; the node's 127.0.0.1 is not
 * theirs.
 */
export function nodeIP(): string | undefined {
  const name = existsSync('/proc/net/route') ? defaultRouteInterface() : undefined;
  return (name ? networkInterfaces()[name] : undefined)?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
}

/** The Node's name: the host name, as the kubelet would pick it. */
export const nodeName = () => hostname().toLowerCase();

/**
 * Undefined when the machine can run the node, else why not, in one line. Installs the
 * missing Debian packages on the way (install-packages.sh), as the build step does for Go.
 */
export async function nodeUnavailableReason(binDir: string, installScript: string): Promise<string | undefined> {
  if (process.platform !== 'linux') return `a real node needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'a real node needs root (kubelet, containerd, iptables, cgroups, mounts)';
  if (!existsSync('/dev/kmsg')) return 'no /dev/kmsg: the kubelet (cAdvisor) needs it';
  if (!existsSync('/sys/fs/cgroup/memory') && !existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'no cgroups mounted under /sys/fs/cgroup';
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'the kernel has no overlayfs (containerd\'s snapshotter)';
  if (!nodeIP()) return 'no IPv4 address on the default route\'s interface for the node (the API server advertises it to Pods)';
  const missing = NODE_BINARIES.filter((b) => !existsSync(join(binDir, b)));
  if (missing.length) return `missing ${missing.join(', ')} in ${binDir}: run harness/control-plane/build-binaries.sh`;
  try {
    await run('bash', [installScript], { timeout: 300_000 });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim().split('\n').pop();
    return `the node's Debian packages are missing and could not be installed: ${stderr || (e as Error).message}`;
  }
  return undefined;
}
