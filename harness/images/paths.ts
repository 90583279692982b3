/**
 * Where the image build keeps things, all under one folder so that it is reused between runs
 * and removed with one `rm -rf` (README.md):
 *
 *   $KUBEOPENCODE_CACHE/images/          (default ~/.cache/kubeopencode/images)
 *     archives/<image>-<key>.oci.tar     the results: OCI archives, one per image and key
 *     archives/<image>-<key>.json        what was built (BuiltImage)
 *     bases/<image>.json                 key and ID of each base image held in storage/
 *     downloads/                         mmdebstrap root file systems, npm tarballs, kubectl
 *     storage/, storage-run/             buildah's storage (root and run root)
 *     logs/<image>.log                   the last build's full output
 *     .lock                              one build at a time per cache
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export const cacheRoot = (): string => process.env.KUBEOPENCODE_CACHE ?? join(homedir(), '.cache', 'kubeopencode');

export const imagesCache = (): string => join(cacheRoot(), 'images');

export const cachePath = (...parts: string[]): string => join(imagesCache(), ...parts);

/** A file-name-safe form of an image name: `quay.io/kubeopencode/kubeopencode:dev` -> `kubeopencode-dev`. */
export const slug = (name: string): string => (name.split('/').pop() ?? name).replace(/[^\w.-]+/g, '-');
