/**
 * GitOps: deliver a Tasks-as-code repository's synthesized `dist/` to the cluster, with
 * Argo CD (an Application) or with Flux (a GitRepository and a Kustomization). Pick one;
 * this chart writes both so that both can be read side by side.
 *
 * The Tasks-as-code repository commits the output of `npm run synth` (dist/*.k8s.yaml): a
 * change to a construct becomes a reviewed diff of YAML, and merging it creates the Tasks.
 *
 *   npx tsx examples/gitops.ts      # writes dist/gitops.k8s.yaml
 */
import { ApiObject, App, Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';

// Argo CD (argoproj.io/v1alpha1): the fields used here.

export interface ArgoCdApplicationSpec {
  readonly project: string;
  readonly source: {
    readonly repoURL: string;
    readonly targetRevision: string;
    readonly path: string;
    readonly directory?: { readonly recurse?: boolean; readonly include?: string; readonly exclude?: string };
  };
  readonly destination: { readonly server: string; readonly namespace?: string };
  readonly syncPolicy?: {
    readonly automated?: { readonly prune?: boolean; readonly selfHeal?: boolean };
    readonly syncOptions?: readonly string[];
  };
}

// Flux (source.toolkit.fluxcd.io/v1, kustomize.toolkit.fluxcd.io/v1): the fields used here.

export interface FluxGitRepositorySpec {
  readonly url: string;
  readonly interval: string;
  readonly ref: { readonly branch?: string; readonly tag?: string; readonly commit?: string };
  /** .gitignore-style patterns of what not to fetch. */
  readonly ignore?: string;
  readonly secretRef?: { readonly name: string };
}

export interface FluxKustomizationSpec {
  readonly interval: string;
  readonly sourceRef: { readonly kind: 'GitRepository'; readonly name: string };
  readonly path: string;
  readonly prune: boolean;
  readonly wait?: boolean;
  readonly timeout?: string;
  readonly targetNamespace?: string;
}

export interface GitOpsProps extends ChartProps {
  /** The Tasks-as-code repository. */
  readonly repoURL: string;
  /**
   * Branch to follow.
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * Folder of the synthesized manifests in the repository.
   * @default 'dist'
   */
  readonly path?: string;
  /**
   * Name of the Application, GitRepository and Kustomization.
   * @default 'kubeopencode-tasks'
   */
  readonly name?: string;
}

export class GitOps extends Chart {
  constructor(scope: Construct, id: string, props: GitOpsProps) {
    super(scope, id, props);
    const name = props.name ?? 'kubeopencode-tasks';
    const branch = props.branch ?? 'main';
    const path = props.path ?? 'dist';

    const application: ArgoCdApplicationSpec = {
      project: 'default',
      source: { repoURL: props.repoURL, targetRevision: branch, path, directory: { include: '*.k8s.yaml' } },
      // The manifests name their namespaces; this is only where namespace-less ones would go.
      destination: { server: 'https://kubernetes.default.svc', namespace: 'kubeopencode-system' },
      syncPolicy: {
        // prune: a Task removed from Git is deleted (and its Pod with it). selfHeal: edits
        // made by hand are undone. Status is a subresource, so the reconciler's writes are
        // not drift.
        automated: { prune: true, selfHeal: true },
        syncOptions: [
          // The API server fills defaults (agentRef.name, git.depth...): let it compute the diff.
          'ServerSideApply=true',
          // dist/ may carry the CRDs next to the Tasks: dry runs of Tasks wait for them.
          'SkipDryRunOnMissingResource=true',
          'CreateNamespace=true',
        ],
      },
    };
    new ApiObject(this, 'argocd-application', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: 'argocd' },
      spec: application,
    });

    const source: FluxGitRepositorySpec = {
      url: props.repoURL,
      interval: '1m',
      ref: { branch },
      // Fetch the manifests only, not the TypeScript that made them.
      ignore: `/*\n!/${path}/\n`,
    };
    new ApiObject(this, 'flux-git-repository', {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name, namespace: 'flux-system' },
      spec: source,
    });
    const kustomization: FluxKustomizationSpec = {
      interval: '10m',
      sourceRef: { kind: 'GitRepository', name },
      // No kustomization.yaml needed: Flux generates one with every manifest in the folder,
      // and applies CRDs and Namespaces before the objects that need them.
      path: `./${path}`,
      prune: true,
      // Tasks are done when their Pod is, not when they are applied: do not wait on them.
      wait: false,
      timeout: '2m',
    };
    new ApiObject(this, 'flux-kustomization', {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name, namespace: 'flux-system' },
      spec: kustomization,
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new GitOps(app, 'gitops', { repoURL: 'https://github.com/example-org/tasks-as-code.git' });
  app.synth();
}
