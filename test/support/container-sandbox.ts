/**
 * Runs one container's process the way a container runtime would, close enough for the
 * in-Pod helpers to meet the paths, users and permissions of a real Pod:
 *
 * - a private mount namespace (`unshare --mount --uts`), so that nothing mounted here is
 *   seen by the host, and the Pod's hostname;
 * - a throwaway root: a tmpfs, with the host's /usr and /etc as copy-on-write overlays
 *   (mount points such as /etc/foo can be created; the host never changes), /bin, /lib...
 *   as the same symbolic links, a fresh /proc and a minimal /dev;
 * - the image's files and the volume mounts bound at their real paths, parents first as
 *   containerd orders them; mount points are created after chroot, so a symbolic link left
 *   in a volume resolves inside the container, never on the host;
 * - /dev/termination-log bound to a host file (0666, as the kubelet makes it);
 * - readOnlyRootFilesystem as a read-only root; then `setpriv` to the container's UID, GID
 *   and groups with no_new_privs and no capabilities (allowPrivilegeEscalation: false,
 *   drop ALL), and `env -i -C workingDir` with exactly the container's environment;
 * - file descriptor 3 says "started" right before that last step: what the kubelet waits
 *   for before it starts the container after a sidecar.
 *
 * Mounts are grouped into fstab files run by `mount -a`: starting processes is what makes
 * a sandbox slow here, not mounting.
 *
 * Not simulated: seccomp, cgroups (resources), network and PID namespaces (the process
 * shares the host's loopback, which is how tests reach their local servers).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { lstatSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface SandboxMount {
  /** Host file or directory. */
  readonly source: string;
  /** Absolute path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

export interface SandboxUser {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

export interface SandboxSpec {
  /** An empty host directory: the mount point of the container's root (it stays empty on the host). */
  readonly rootDir: string;
  /** An empty host directory for the sandbox's own files (mount tables, setup script). */
  readonly configDir: string;
  readonly hostname: string;
  /** Image files, volumes and the termination log. */
  readonly mounts: readonly SandboxMount[];
  readonly readOnlyRootFilesystem: boolean;
  readonly user: SandboxUser;
  /** Keep capabilities and allow privilege escalation (only when the container asks for it). */
  readonly privileged?: boolean;
  readonly workingDir: string;
  readonly env: readonly (readonly [string, string])[];
  readonly argv: readonly string[];
}

/** Host OS entries every simulated image starts from: directories become overlays, links are copied. */
const OS_ENTRIES = ['usr', 'etc', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
const DEV_ENTRIES = ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'fd', 'stdin', 'stdout', 'stderr'].map((d) => `/dev/${d}`);
/** Where mount sources are staged inside the root until they are bound in place; it disappears before the process starts. */
const STAGE = '/.kubelet';

/** Single-quotes a word for sh. */
export const shellQuote = (word: string): string => `'${word.replace(/'/g, '\'\\\'\'')}'`;
const q = shellQuote;

/** A path in an fstab field (spaces and the like as octal escapes). */
const fstabPath = (path: string): string => path.replace(/[\\\s]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
const fstabLine = (source: string, target: string, type: string, options: string): string => `${fstabPath(source)} ${fstabPath(target)} ${type} ${options} 0 0`;

function osEntries(): { overlays: string[]; links: string[] } {
  const overlays: string[] = [];
  const links: string[] = [];
  for (const name of OS_ENTRIES) {
    let info;
    try {
      info = lstatSync(`/${name}`);
    } catch {
      continue;
    }
    if (info.isSymbolicLink()) links.push(`/${name}`);
    else if (info.isDirectory()) overlays.push(name);
  }
  return { overlays, links };
}

/** How many other mount targets contain this one: mounts happen level by level, parents first, like containerd orders them. */
function nestingLevel(target: string, mounts: readonly SandboxMount[]): number {
  return mounts.filter((m) => m.target !== target && (target.startsWith(`${m.target}/`) || m.target === '/')).length;
}

/**
 * Writes the sandbox's files and returns the host-side script. Every `mount -a -T fstab`
 * does many mounts in one process: starting processes is what makes a sandbox slow.
 */
function writeSetup(spec: SandboxSpec): string {
  const { overlays, links } = osEntries();
  const { rootDir: root, configDir: conf } = spec;
  const stage = `${root}${STAGE}`;
  const isDir = spec.mounts.map((m) => statSync(m.source).isDirectory());
  writeFileSync(join(conf, 'host.fstab'), [
    ...overlays.map((d) => fstabLine('overlay', `${root}/${d}`, 'overlay', `lowerdir=/${d},upperdir=${stage}/layers/${d}/upper,workdir=${stage}/layers/${d}/work`)),
    fstabLine('proc', `${root}/proc`, 'proc', 'nosuid,nodev,noexec'),
    fstabLine('tmpfs', `${root}/dev`, 'tmpfs', 'mode=755,nosuid'),
    fstabLine(conf, `${stage}/conf`, 'none', 'bind,ro'),
    ...spec.mounts.map((m, i) => fstabLine(m.source, `${stage}/${i}`, 'none', 'bind')),
  ].join('\n') + '\n');

  // Inside the root, level by level: create the mount points (a symbolic link in a volume resolves inside the container), then mount.
  const levels = [...new Set(spec.mounts.map((m) => nestingLevel(m.target, spec.mounts)))].sort((a, b) => a - b);
  const containerLines = ['set -eu'];
  for (const level of levels) {
    const indexes = spec.mounts.map((_, i) => i).filter((i) => nestingLevel(spec.mounts[i].target, spec.mounts) === level);
    const dirs = indexes.map((i) => (isDir[i] ? spec.mounts[i].target : dirname(spec.mounts[i].target)));
    writeFileSync(join(conf, `level-${level}.fstab`), indexes.map((i) => {
      const m = spec.mounts[i];
      return fstabLine(`${STAGE}/${i}`, m.target, 'none', m.readOnly ? 'bind,ro' : 'bind');
    }).join('\n') + '\n');
    containerLines.push(
      `mkdir -p ${dirs.map(q).join(' ')}`,
      ...indexes.filter((i) => !isDir[i]).map((i) => `[ -e ${q(spec.mounts[i].target)} ] || : > ${q(spec.mounts[i].target)}`),
      `mount -a -T ${STAGE}/conf/level-${level}.fstab`,
    );
  }
  const { uid, gid, groups } = spec.user;
  containerLines.push(
    // The staged sources and the overlays' upper layers leave the container's view.
    `umount -l ${STAGE} && rmdir ${STAGE}`,
    `mkdir -p ${q(spec.workingDir)}`,
    ...(spec.readOnlyRootFilesystem ? ['/', ...overlays.map((d) => `/${d}`)].map((p) => `mount -o remount,bind,ro ${p}`) : []),
    // Tell the kubelet the container's process is about to start (what a runtime's StartContainer returning means).
    'printf started >&3 && exec 3>&-',
    ['exec', '/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${gid}`, groups.length ? `--groups=${groups.join(',')}` : '--clear-groups',
      ...(spec.privileged ? [] : ['--no-new-privs', '--inh-caps=-all', '--bounding-set=-all']),
      '/usr/bin/env', '-i', '-C', q(spec.workingDir), ...spec.env.map(([k, v]) => q(`${k}=${v}`)), ...spec.argv.map(q)].join(' '),
  );
  writeFileSync(join(conf, 'container.sh'), `${containerLines.join('\n')}\n`);

  return [
    'set -eu',
    `R=${q(root)}`,
    'mount -t tmpfs -o mode=755 tmpfs "$R"',
    `mkdir "$R${STAGE}" && mount -t tmpfs -o mode=700 tmpfs "$R${STAGE}"`,
    `mkdir -p "$R/proc" "$R/dev" "$R${STAGE}/conf" ${overlays.map((d) => `"$R/${d}" "$R${STAGE}/layers/${d}/upper" "$R${STAGE}/layers/${d}/work"`).join(' ')} ` +
      spec.mounts.map((_, i) => (isDir[i] ? `"$R${STAGE}/${i}"` : '')).join(' '),
    ...spec.mounts.map((_, i) => (isDir[i] ? '' : `: > "$R${STAGE}/${i}"`)).filter(Boolean),
    `mount -a -T ${q(join(conf, 'host.fstab'))}`,
    `cp -a ${[...DEV_ENTRIES].join(' ')} "$R/dev/"`,
    ...(links.length ? [`cp -a ${links.join(' ')} "$R/"`] : []),
    'mkdir -m 1777 "$R/tmp" "$R/dev/shm"',
    `hostname ${q(spec.hostname)}`,
    `exec chroot "$R" /bin/sh ${STAGE}/conf/container.sh`,
  ].join('\n') + '\n';
}

/**
 * Starts the container's process; every step execs, so its PID ends up being the
 * container's own process. File descriptor 3 receives "started" just before it starts.
 */
export function spawnSandboxed(spec: SandboxSpec): ChildProcess {
  return spawn('unshare', ['--mount', '--uts', '--propagation', 'private', 'sh', '-c', writeSetup(spec)], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
}

/**
 * Why this machine cannot run sandboxes, or undefined when it can: the simulation needs
 * root (to mount and to switch users) and permission to create mount namespaces.
 */
export function sandboxUnavailableReason(): string | undefined {
  const uid = process.getuid?.();
  if (uid !== 0) {
    return 'the local kubelet must run as root (uid 0), to mount the Pod\'s volumes in a private mount namespace and run ' +
      `containers as UID 1000 like the Pod's securityContext; this process runs as uid ${uid}`;
  }
  for (const tool of ['unshare', 'chroot', 'setpriv', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `the local kubelet needs ${tool} (util-linux/coreutils), which is not installed`;
  }
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    'd=$(mktemp -d) && mount -t tmpfs tmpfs "$d" && mkdir "$d/l" "$d/u" "$d/w" "$d/m" && ' +
    'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$d/u,workdir=$d/w" "$d/m"; s=$?; umount -R "$d" 2>/dev/null; rmdir "$d"; exit $s'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return 'the local kubelet needs to create mount namespaces with tmpfs and overlay mounts (CAP_SYS_ADMIN, no seccomp/AppArmor ' +
      `block on unshare and mount): \`unshare --mount\` failed: ${(probe.stderr || probe.error?.message || '').trim()}`;
  }
  return undefined;
}

/** Host path of a file that is the container's termination log. */
export const terminationLogPath = (dir: string, container: string): string => join(dir, `${container}.termination-log`);
