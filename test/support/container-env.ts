/**
 * What the kubelet and the runtime make of a container's env, envFrom, command and args
 * (kubelet: makeEnvironmentVariables, third_party/forked/golang/expansion): envFrom first,
 * then env in order, `$(VAR)` references expanded against the variables declared so far,
 * `$$` an escaped `$`, unknown references left as written; the image's ENV underneath.
 */
import type { V1Container, V1EnvVarSource, V1Pod } from '@kubernetes/client-node';
import { SimulatedImage } from './images.js';
import { NamespaceObjects } from './pod-volumes.js';

/** Kubernetes' `$(VAR)` expansion (not a shell's: `${VAR}` and `$VAR` pass through untouched). */
export function expand(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 >= input.length) {
      out += input[i];
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i++;
        continue;
      }
      const name = input.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name) : `$(${name})`;
      i = close;
    } else {
      out += `$${next}`;
      i++;
    }
  }
  return out;
}

/** A field of the Pod, for `fieldRef` (the ones Task Pods could use). */
function podField(pod: V1Pod, path: string): string {
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'spec.nodeName': 'local-kubelet',
  };
  if (!(path in fields)) throw new Error(`fieldRef ${path} is not simulated`);
  return fields[path] ?? '';
}

function fromSource(pod: V1Pod, source: V1EnvVarSource, objects: NamespaceObjects, name: string): string | undefined {
  const ref = source.secretKeyRef ?? source.configMapKeyRef;
  if (ref) {
    const kind = source.secretKeyRef ? 'secret' : 'configmap';
    const data = (source.secretKeyRef ? objects.secrets : objects.configMaps)[ref.name!];
    const value = data?.[ref.key];
    if (value === undefined && !ref.optional) {
      throw new Error(`CreateContainerConfigError: env ${name}: ${data ? `couldn't find key ${ref.key} in ${kind} ${ref.name}` : `${kind} "${ref.name}" not found`}`);
    }
    return value;
  }
  if (source.fieldRef) return podField(pod, source.fieldRef.fieldPath);
  throw new Error(`env ${name}: only secretKeyRef, configMapKeyRef and fieldRef are simulated`);
}

/** The variables the Pod declares for the container (what `$(VAR)` can refer to). */
function declaredVars(pod: V1Pod, container: V1Container, objects: NamespaceObjects): Map<string, string> {
  const vars = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    const data = (from.secretRef ? objects.secrets : objects.configMaps)[ref!.name!];
    if (!data) {
      if (ref!.optional) continue;
      throw new Error(`CreateContainerConfigError: envFrom: ${from.secretRef ? 'secret' : 'configmap'} "${ref!.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) vars.set(`${from.prefix ?? ''}${key}`, value);
  }
  for (const env of container.env ?? []) {
    const value = env.valueFrom ? fromSource(pod, env.valueFrom, objects, env.name) : expand(env.value ?? '', vars);
    if (value !== undefined) vars.set(env.name, value);
  }
  return vars;
}

export interface ProcessSpec {
  readonly env: [string, string][];
  readonly argv: string[];
}

/** The environment and the command line of the container's process. */
export function processSpec(pod: V1Pod, container: V1Container, objects: NamespaceObjects, image: SimulatedImage): ProcessSpec {
  const declared = declaredVars(pod, container, objects);
  const env = new Map<string, string>([...Object.entries(image.env), ['HOSTNAME', pod.metadata!.name!], ...declared]);
  const command = container.command ?? image.entrypoint ?? [];
  const args = container.args ?? (container.command ? [] : image.cmd ?? []);
  const argv = [...command, ...args].map((arg) => expand(arg, declared));
  if (argv.length === 0) throw new Error(`container ${container.name}: no command, and the image has no entrypoint`);
  return { env: [...env], argv };
}
