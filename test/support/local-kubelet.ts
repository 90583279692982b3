/**
 * A "local kubelet" for tests: runs a rendered Task Pod's containers as real local
 * processes, in Kubernetes' order, with the Pod's volumes, users and environment at their
 * real paths (see container-sandbox.ts for the isolation, pod-volumes.ts for the volumes,
 * images.ts for what stands in for the images):
 *
 * 1. volumes are prepared (emptyDirs; ConfigMap and Secret volumes; fsGroup ownership);
 * 2. init containers run one after another; a failing one fails the Pod (restartPolicy
 *    Never); a native sidecar (restartPolicy Always) is started, and the next container
 *    starts as soon as it runs (no probes: "started" means running);
 * 3. the regular containers run; once they have all exited, the kubelet notices it (its
 *    PLEG relists every second, simulated by `noticeExitAfterMs`) and sends SIGTERM to the
 *    sidecars, last started first, SIGKILL after terminationGracePeriodSeconds;
 * 4. every container's termination message is read like the kubelet reads it: the last
 *    4096 bytes of terminationMessagePath, the end of the logs for FallbackToLogsOnError
 *    when that is empty and the container failed, then cut to 12 KiB / containers.
 *
 * Fails with a clear message (never skips) when the machine cannot do this: see
 * sandboxUnavailableReason().
 */
import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { processSpec } from './container-env.js';
import { sandboxUnavailableReason, SandboxMount, spawnSandboxed, terminationLogPath } from './container-sandbox.js';
import { SimulatedImage } from './images.js';
import { NamespaceObjects, PodVolumes } from './pod-volumes.js';

const MAX_MESSAGE = 4096;
const MAX_POD_MESSAGES = 12 * 1024;
const FALLBACK_LOG_BYTES = 2048;
const FALLBACK_LOG_LINES = 80;
const DEFAULT_TERMINATION_LOG = '/dev/termination-log';

export interface ContainerRun {
  readonly name: string;
  readonly kind: 'init' | 'sidecar' | 'regular';
  /** As the runtime reports it: the exit status, or 128 + the signal number. */
  readonly exitCode: number;
  readonly signal?: NodeJS.Signals;
  /** `Completed` or `Error`; `StartError` or `CreateContainerConfigError` when its process never started. */
  readonly reason: string;
  readonly stdout: string;
  readonly stderr: string;
  /** state.terminated.message, as the kubelet would put it in the Pod status. */
  readonly message?: string;
  readonly startedAt: number;
  readonly finishedAt: number;
}

export interface PodRun {
  readonly phase: 'Succeeded' | 'Failed';
  /** In the order they started. */
  readonly containers: readonly ContainerRun[];
  readonly volumes: PodVolumes;
  /** The Pod's directory on the host: volumes/, and roots/<container> (the mount points of the roots, empty afterwards). */
  readonly dir: string;
  container(name: string): ContainerRun;
}

export interface RunPodOptions {
  readonly pod: V1Pod;
  /** The ConfigMaps (the rendered context ConfigMap among them) and Secrets of the Pod's namespace. */
  readonly objects: NamespaceObjects;
  /** What stands in for each image the Pod names. */
  readonly images: Readonly<Record<string, SimulatedImage>>;
  /** Time between the last regular container's exit and the SIGTERM to the sidecars. @default 1000 */
  readonly noticeExitAfterMs?: number;
  /** Everything is killed after this long. @default activeDeadlineSeconds, at most 120 s */
  readonly timeoutMs?: number;
}

interface Started {
  readonly container: V1Container;
  readonly kind: ContainerRun['kind'];
  readonly child?: ChildProcess;
  /** Resolves once the container's own process starts (true), or when it never will (false). */
  readonly running: Promise<boolean>;
  readonly exited: Promise<ContainerRun>;
}

interface StartRequest {
  readonly options: RunPodOptions;
  readonly volumes: PodVolumes;
  readonly podDir: string;
  readonly container: V1Container;
  readonly kind: ContainerRun['kind'];
  /** The share of the Pod's termination message budget. */
  readonly perContainer: number;
  readonly deadline: number;
}

const signalNumber = (signal: NodeJS.Signals): number => constants.signals[signal] ?? 0;

/** The kubelet's termination message for one container. */
function terminationMessage(container: V1Container, file: string, exitCode: number, logs: string, perContainer: number): string | undefined {
  const written = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  let message = written.subarray(Math.max(0, written.length - MAX_MESSAGE));
  if (message.length === 0 && container.terminationMessagePolicy === 'FallbackToLogsOnError' && exitCode !== 0) {
    const tail = Buffer.from(logs.split('\n').slice(-FALLBACK_LOG_LINES - 1).join('\n'));
    message = tail.subarray(Math.max(0, tail.length - FALLBACK_LOG_BYTES));
  }
  return message.length ? message.subarray(0, perContainer).toString('utf8') : undefined;
}

export class LocalKubelet {
  /** A kubelet with its own temporary directory; throws, saying what is missing, when the machine cannot run Pods. */
  static create(): LocalKubelet {
    const reason = sandboxUnavailableReason();
    if (reason) throw new Error(`Cannot run the local kubelet: ${reason}.`);
    return new LocalKubelet(mkdtempSync(join(tmpdir(), 'koc-kubelet-')));
  }

  private constructor(public readonly dir: string) {}

  /** Removes every Pod directory (volumes included). */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  async runPod(options: RunPodOptions): Promise<PodRun> {
    const { pod } = options;
    const spec = pod.spec!;
    const podDir = mkdtempSync(join(this.dir, `${pod.metadata!.name}-`));
    const volumes = await PodVolumes.prepare(pod, options.objects, join(podDir, 'volumes'));
    for (const dir of ['roots', 'sandboxes', 'termination']) mkdirSync(join(podDir, dir));
    const initContainers = spec.initContainers ?? [];
    const perContainer = Math.floor(MAX_POD_MESSAGES / (initContainers.length + spec.containers.length));
    const runs: ContainerRun[] = [];
    const sidecars: Started[] = [];
    const timeoutMs = options.timeoutMs ?? Math.min((spec.activeDeadlineSeconds ?? 120) * 1000, 120_000);
    const deadline = Date.now() + timeoutMs;
    const start = (container: V1Container, kind: ContainerRun['kind']): Started => this.start({ options, volumes, podDir, container, kind, perContainer, deadline });

    let failed = false;
    for (const container of initContainers) {
      const kind = container.restartPolicy === 'Always' ? 'sidecar' : 'init';
      const started = start(container, kind);
      // A sidecar counts as started once its process runs and its startupProbe (if any) succeeds;
      // only then does the next container start.
      if (kind === 'sidecar' && await started.running && await this.startupProbe(container, volumes, started, deadline)) {
        sidecars.push(started);
        continue;
      }
      const run = await started.exited;
      runs.push(run);
      if (run.exitCode !== 0) {
        failed = true;
        break;
      }
    }
    if (!failed) {
      const regular = await Promise.all(spec.containers.map((c) => start(c, 'regular').exited));
      runs.push(...regular);
      failed = regular.some((r) => r.exitCode !== 0);
      await sleep(options.noticeExitAfterMs ?? 1000);
    }
    const grace = (spec.terminationGracePeriodSeconds ?? 30) * 1000;
    for (const sidecar of [...sidecars].reverse()) {
      sidecar.child?.kill('SIGTERM');
      const killer = setTimeout(() => sidecar.child?.kill('SIGKILL'), grace);
      runs.push(await sidecar.exited);
      clearTimeout(killer);
    }
    const ordered = runs.sort((a, b) => a.startedAt - b.startedAt);
    return {
      phase: failed ? 'Failed' : 'Succeeded',
      containers: ordered,
      volumes,
      dir: podDir,
      container: (name) => {
        const run = ordered.find((r) => r.name === name);
        if (!run) throw new Error(`container ${name} did not run (ran: ${ordered.map((r) => r.name).join(', ')})`);
        return run;
      },
    };
  }

  private start(request: StartRequest): Started {
    const { options, volumes, podDir, container, kind, perContainer, deadline } = request;
    const startedAt = Date.now();
    const failure = (err: unknown): Started => {
      const message = err instanceof Error ? err.message : String(err);
      const run: ContainerRun = {
        name: container.name, kind, exitCode: 128, reason: 'CreateContainerConfigError', stdout: '', stderr: message, message, startedAt, finishedAt: Date.now(),
      };
      return { container, kind, running: Promise.resolve(false), exited: Promise.resolve(run) };
    };
    let child: ChildProcess;
    const terminationLog = terminationLogPath(join(podDir, 'termination'), container.name);
    try {
      if (container.lifecycle) throw new Error(`container ${container.name}: lifecycle hooks are not simulated`);
      const image = options.images[container.image!];
      if (!image) throw new Error(`ErrImagePull: no simulation for image ${container.image} (known: ${Object.keys(options.images).join(', ')})`);
      const user = this.user(options.pod, container, image);
      const { env, argv } = processSpec(options.pod, container, options.objects, image);
      writeFileSync(terminationLog, '');
      chmodSync(terminationLog, 0o666);
      const rootDir = join(podDir, 'roots', container.name);
      const configDir = join(podDir, 'sandboxes', container.name);
      mkdirSync(rootDir);
      mkdirSync(configDir, { recursive: true });
      child = spawnSandboxed({
        rootDir,
        configDir,
        hostname: options.pod.metadata!.name!,
        mounts: [
          ...image.files.map((f) => ({ source: f.host, target: f.path, readOnly: true })),
          ...this.volumeMounts(container, volumes),
          { source: terminationLog, target: container.terminationMessagePath ?? DEFAULT_TERMINATION_LOG, readOnly: false },
        ],
        readOnlyRootFilesystem: container.securityContext?.readOnlyRootFilesystem ?? false,
        privileged: container.securityContext?.allowPrivilegeEscalation !== false,
        user,
        workingDir: container.workingDir ?? '/',
        env,
        argv,
      });
    } catch (err) {
      return failure(err);
    }
    let stdout = '';
    let stderr = '';
    let logs = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d; logs += d; });
    child.stderr!.on('data', (d: Buffer) => { stderr += d; logs += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
    let running = false;
    let runningAt = startedAt;
    const started = new Promise<boolean>((resolve) => {
      child.stdio[3]!.once('data', () => {
        running = true;
        runningAt = Date.now();
        resolve(true);
      });
      child.once('close', () => resolve(false));
    });
    const exited = once(child, 'close').then((args): ContainerRun => {
      const [code, signal] = args as [number | null, NodeJS.Signals | null];
      clearTimeout(timer);
      const exitCode = signal ? 128 + signalNumber(signal) : code ?? 0;
      return {
        name: container.name,
        kind,
        exitCode,
        ...(signal ? { signal } : {}),
        // A sandbox that failed before the process started is the runtime's StartError (its output says why).
        reason: !running ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error',
        stdout,
        stderr,
        message: terminationMessage(container, terminationLog, exitCode, logs, perContainer),
        startedAt: runningAt,
        finishedAt: Date.now(),
      };
    });
    return { container, kind, child, running: started, exited };
  }

  /** UID, GID and groups as the runtime sets them; runAsNonRoot is enforced like the kubelet does. */
  private user(pod: V1Pod, container: V1Container, image: SimulatedImage) {
    const podContext = pod.spec?.securityContext ?? {};
    const context = container.securityContext ?? {};
    const uid = context.runAsUser ?? podContext.runAsUser ?? image.user ?? 0;
    const gid = context.runAsGroup ?? podContext.runAsGroup ?? 0;
    if ((context.runAsNonRoot ?? podContext.runAsNonRoot) && uid === 0) {
      throw new Error(`CreateContainerConfigError: container ${container.name} has runAsNonRoot and image will run as root`);
    }
    const groups = [gid, podContext.fsGroup, ...(podContext.supplementalGroups ?? [])].filter((g): g is number => g !== undefined);
    return { uid, gid, groups: [...new Set(groups)] };
  }

  /** The container's volumeMounts, with subPaths resolved inside their volume like the kubelet resolves them. */
  /**
   * Runs a startupProbe until it succeeds. Only exec probes of the form `test -e PATH` are
   * simulated: PATH is looked up in the volume mounted there, which is what `test` inside the
   * container would see. Anything else is refused rather than guessed.
   */
  private async startupProbe(container: V1Container, volumes: PodVolumes, started: Started, deadline: number): Promise<boolean> {
    const probe = container.startupProbe;
    if (!probe) return true;
    const command = probe.exec?.command ?? [];
    if (command.length !== 3 || command[0] !== 'test' || command[1] !== '-e') {
      throw new Error(`container ${container.name}: only startupProbes \`test -e PATH\` are simulated, not ${JSON.stringify(probe)}`);
    }
    const host = this.hostPath(container, volumes, command[2]);
    let exited = false;
    void started.exited.then(() => { exited = true; });
    while (!exited && Date.now() < deadline) {
      if (existsSync(host)) return true;
      await sleep(50);
    }
    return false;
  }

  /** Where a path inside the container is on the host, through the volume mounted at it. */
  private hostPath(container: V1Container, volumes: PodVolumes, path: string): string {
    const mount = this.volumeMounts(container, volumes).reverse().find((m) => path === m.target || path.startsWith(`${m.target}/`));
    if (!mount) throw new Error(`container ${container.name}: ${path} is on no volume, so a probe cannot be simulated`);
    return join(mount.source, relative(mount.target, path));
  }

  private volumeMounts(container: V1Container, volumes: PodVolumes): SandboxMount[] {
    const mounts = (container.volumeMounts ?? []).map((m) => {
      let source = volumes.path(m.name);
      if (m.subPath) {
        const path = join(source, m.subPath);
        if (!existsSync(path)) {
          // The kubelet creates a missing subPath as a directory, with the mode of the volume's root.
          mkdirSync(path, { recursive: true });
          chmodSync(path, statSync(source).mode);
        }
        const resolved = realpathSync(path);
        const inside = relative(realpathSync(source), resolved);
        // `..data` and `..2024_...` are names inside the volume: only a `..` component leaves it.
        if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) throw new Error(`subPath ${m.subPath} of volume ${m.name} leaves the volume`);
        source = resolved;
      }
      return { source, target: m.mountPath, readOnly: m.readOnly ?? false };
    });
    // containerd mounts parents before children.
    return mounts.sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  }
}
