/**
 * Where build-binaries.sh puts what it builds: $KUBEOPENCODE_BIN when set (the Jest global
 * setup exports it), else the bin folder of the cache (KUBEOPENCODE_CACHE, default
 * ~/.cache/kubeopencode), as the script itself decides.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function binDir(): string {
  return process.env.KUBEOPENCODE_BIN ?? join(process.env.KUBEOPENCODE_CACHE ?? join(homedir(), '.cache', 'kubeopencode'), 'bin');
}

/**
 * The path of one built binary (helm, kube-apiserver, argo-events-trigger, ...; for the real
 * node: kubelet, kube-scheduler, kube-proxy, kubectl, containerd, containerd-shim-runc-v2,
 * and `ctr`, containerd's own client).
 */
export const binaryPath = (name: string): string => join(binDir(), name);
