/**
 * Where the people-facing commands find their cluster, the way kubectl does: --kubeconfig,
 * else $KUBECONFIG, else ~/.kube/config (else in-cluster); --context picks a context; the
 * namespace is -n, else the context's, else "default".
 */
import { KubeConfig } from '../../reconciler/runtime/client-node.js';
import { PlainError } from '../lib/cli.js';

export interface ConnectionFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
}

export interface Target {
  readonly kc: KubeConfig;
  /** The namespace commands work in: -n, else the context's, else "default". */
  readonly namespace: string;
  /** Whether the namespace came from -n (kubectl names it in "No resources found in X namespace."). */
  readonly explicitNamespace: boolean;
}

/** Loads the kubeconfig; a missing file or context is a kubectl-like one-line error. */
export function loadTarget(flags: ConnectionFlags): Target {
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'ENOENT' ? `stat ${flags.kubeconfig ?? process.env.KUBECONFIG}: no such file or directory` : err.message;
    throw new PlainError(`error: ${what}`);
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) throw new PlainError(`error: context "${flags.context}" does not exist`);
    kc.setCurrentContext(flags.context);
  }
  if (!kc.getCurrentCluster()) throw new PlainError('error: the kubeconfig has no current context with a cluster (set one with --context)');
  const fromContext = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return { kc, namespace: flags.namespace || fromContext || 'default', explicitNamespace: !!flags.namespace };
}
