/**
 * An Agent's credentials in the agent container, in the four documented modes: the whole
 * Secret as env (envFrom), the whole Secret as a directory, one key as an env var, one key
 * as a file (0600 unless fileMode says otherwise). Nothing else in the Pod sees them.
 */
import { k8s } from 'cdk8s-plus-28';
import { orUndefined } from './pod-defaults.js';
import { Credential } from './types.js';
import { Defaults } from '../api/constants.js';

const volumeName = (i: number): string => `credential-${i}`;

const isWholeSecretAsEnv = (c: Credential): boolean => !c.secretRef.key && !c.mountPath && !c.env;

export function credentialVolumes(credentials: readonly Credential[]): k8s.Volume[] {
  return credentials.flatMap((c, i): k8s.Volume[] => {
    if (!c.mountPath) return [];
    const mode = c.fileMode ?? Defaults.credentialFileMode;
    return [{
      name: volumeName(i),
      secret: c.secretRef.key
        ? { secretName: c.secretRef.name, items: [{ key: c.secretRef.key, path: 'value', mode }] }
        : { secretName: c.secretRef.name, defaultMode: mode },
    }];
  });
}

export function credentialEnv(credentials: readonly Credential[]): k8s.EnvVar[] {
  return credentials.filter((c) => c.env).map((c) => ({
    name: c.env!,
    valueFrom: { secretKeyRef: { name: c.secretRef.name, key: c.secretRef.key! } },
  }));
}

export function credentialEnvFrom(credentials: readonly Credential[]): k8s.EnvFromSource[] | undefined {
  return orUndefined(credentials.filter(isWholeSecretAsEnv).map((c) => ({ secretRef: { name: c.secretRef.name } })));
}

export function credentialMounts(credentials: readonly Credential[]): k8s.VolumeMount[] {
  return credentials.flatMap((c, i): k8s.VolumeMount[] => (c.mountPath ? [{
    name: volumeName(i),
    mountPath: c.mountPath,
    readOnly: true,
    ...(c.secretRef.key ? { subPath: 'value' } : {}),
  }] : []));
}
