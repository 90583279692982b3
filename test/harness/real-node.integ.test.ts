/**
 * The e2e cluster's real node runs Pods as a cluster does: scheduled by kube-scheduler, in
 * real containers (containerd + runc), under Pod Security `restricted`, with init
 * containers, native sidecars, termination messages and logs through the API server, and
 * in-cluster access to the API server with the Pod's ServiceAccount token. It also checks
 * that what the node changed on the host is what its teardown knows how to undo.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { CoreV1Api, KubeConfig, V1Container, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { createE2eNamespace, e2eCluster, e2eKubeConfig, TEST_IMAGES } from '../../harness/e2e-cluster.js';
import { deleteNamespace } from '../../harness/kube.js';
import { addedChains, HostSnapshot, IPTABLES, iptablesCleanupScript, iptablesSave, sysctlPath, SYSCTLS } from '../../harness/node/host-state.js';
import { STATE_FILE } from '../../harness/node/layout.js';
import { waitFor } from '../../harness/wait.js';

jest.setTimeout(120_000);
const run = promisify(execFile);

const restrictedContainer: V1SecurityContext = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
const busybox = (name: string, script: string, extra: Partial<V1Container> = {}): V1Container => ({
  name, image: TEST_IMAGES.busybox, imagePullPolicy: 'Never', command: ['sh', '-c', script], securityContext: restrictedContainer, ...extra,
});

/** Creates the Pod and polls it until it ends; returns it and how long that took. */
async function runToEnd(core: CoreV1Api, namespace: string, pod: V1Pod): Promise<{ pod: V1Pod; ms: number }> {
  const started = Date.now();
  await core.createNamespacedPod({ namespace, body: pod });
  const ended = await waitFor(async () => {
    const current = await core.readNamespacedPod({ name: pod.metadata!.name!, namespace });
    return ['Succeeded', 'Failed'].includes(current.status?.phase ?? '') && current;
  }, { description: `Pod ${namespace}/${pod.metadata!.name} to end`, timeoutMs: 90_000, intervalMs: 250 });
  return { pod: ended, ms: Date.now() - started };
}

const terminated = (pod: V1Pod, name: string) =>
  [...pod.status?.initContainerStatuses ?? [], ...pod.status?.containerStatuses ?? []].find((s) => s.name === name)?.state?.terminated;

describe('the real node of the e2e cluster', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let namespace: string;

  beforeAll(async () => {
    kc = e2eKubeConfig(); // throws why when this run has no e2e cluster: every test fails with it
    core = kc.makeApiClient(CoreV1Api);
    namespace = await createE2eNamespace('real-node', { 'pod-security.kubernetes.io/enforce': 'restricted' }, kc);
  });
  afterAll(async () => {
    if (namespace) await deleteNamespace(namespace, { kc });
  });

  test('schedules and runs a restricted Pod with an init container, a native sidecar and a main container', async () => {
    const pod: V1Pod = {
      metadata: { name: 'three-containers' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 5,
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        volumes: [{ name: 'work', emptyDir: {} }],
        initContainers: [
          busybox('prepare', 'echo "prepared by $(id -u)" | tee /work/init.txt', { volumeMounts: [{ name: 'work', mountPath: '/work' }] }),
          busybox('sidecar', 'trap "echo sidecar got TERM; exit 0" TERM; echo sidecar up; while true; do echo beat >> /work/beats; sleep 1; done',
            { restartPolicy: 'Always', volumeMounts: [{ name: 'work', mountPath: '/work' }] }),
        ],
        containers: [busybox('main', [
          'sleep 2',
          'if touch /root-is-writable 2>/dev/null; then ro=false; else ro=true; fi',
          'printf \'{"init":"%s","beats":%s,"rootReadOnly":%s}\' "$(cat /work/init.txt)" "$(wc -l < /work/beats)" "$ro" > /dev/termination-custom',
          'echo main done',
        ].join('; '), { terminationMessagePath: '/dev/termination-custom', volumeMounts: [{ name: 'work', mountPath: '/work' }] })],
      },
    };
    const { pod: ended, ms } = await runToEnd(core, namespace, pod);
    process.stderr.write(`[e2e] three-container Pod: created -> ${ended.status?.phase} in ${(ms / 1000).toFixed(1)} s\n`);

    expect(ended.status?.phase).toBe('Succeeded');
    expect(ended.spec?.nodeName).toBe(e2eCluster().node.nodeName); // placed by kube-scheduler
    const message = JSON.parse(terminated(ended, 'main')?.message ?? '{}') as { init: string; beats: number; rootReadOnly: boolean };
    expect(message).toEqual({ init: 'prepared by 1000', beats: expect.any(Number), rootReadOnly: true });
    expect(message.beats).toBeGreaterThan(0);
    expect(terminated(ended, 'prepare')?.exitCode).toBe(0);
    const log = (container: string) => core.readNamespacedPodLog({ name: 'three-containers', namespace, container });
    await expect(log('prepare')).resolves.toBe('prepared by 1000\n');
    await expect(log('sidecar')).resolves.toMatch(/^sidecar up\n(.*\n)*sidecar got TERM\n$/);
    await expect(log('main')).resolves.toBe('main done\n');
  });

  test('a Pod reaches the API server through the kubernetes Service with its projected ServiceAccount token', async () => {
    const pod: V1Pod = {
      metadata: { name: 'api-probe' },
      spec: {
        restartPolicy: 'Never',
        securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'probe', image: TEST_IMAGES.apiprobe, imagePullPolicy: 'Never', securityContext: restrictedContainer }],
      },
    };
    const { pod: ended, ms } = await runToEnd(core, namespace, pod);
    process.stderr.write(`[e2e] API probe Pod: created -> ${ended.status?.phase} in ${(ms / 1000).toFixed(1)} s\n`);

    const result = JSON.parse(terminated(ended, 'probe')?.message ?? '{}') as { url: string; status: number; namespace: string; body: string; error?: string };
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ url: 'https://10.96.0.1:443/api', status: 200, namespace });
    expect(JSON.parse(result.body)).toMatchObject({ kind: 'APIVersions' });
    expect(ended.status?.phase).toBe('Succeeded');
  });

  test('what the node changed on the host is what its teardown undoes', async () => {
    const { snapshot } = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as { snapshot: HostSnapshot };
    // The kubelet's kernel tunables were recorded before it changed them.
    for (const [name, value] of [['vm.overcommit_memory', '1'], ['kernel.panic', '10'], ['kernel.panic_on_oops', '1'], ['net.ipv4.ip_forward', '1']]) {
      expect(readFileSync(sysctlPath(name), 'utf8').trim()).toBe(value);
      expect(snapshot.sysctls[name]).toBeDefined();
    }
    expect(Object.keys(snapshot.sysctls).every((name) => SYSCTLS.includes(name))).toBe(true);
    for (const family of ['ipv4', 'ipv6'] as const) {
      const save = await iptablesSave(family);
      // Every KUBE-*/CNI-* chain now present is one the node added, and the teardown's script removes them all.
      const added = addedChains(save, snapshot.chains[family]);
      expect(added).toEqual(expect.arrayContaining(['filter/KUBE-FIREWALL', 'nat/KUBE-SERVICES', 'nat/KUBE-POSTROUTING']));
      const present = save.split('\n').filter((l) => /^:(KUBE-|CNI-)/.test(l)).length;
      expect(added).toHaveLength(present);
      const script = iptablesCleanupScript(save, snapshot.chains[family]);
      expect(script.split('\n').filter((l) => l.startsWith('-X '))).toHaveLength(added.length);
      // --test: parsed and checked against the live tables, not committed.
      await new Promise<void>((resolve, reject) => {
        const child = execFile(IPTABLES[family].restore, ['--noflush', '--test'], (e) => (e ? reject(e) : resolve()));
        child.stdin?.end(script);
      });
    }
    await expect(run('ip', ['link', 'show', 'kubeopencode0'])).resolves.toBeDefined();
  });
});
