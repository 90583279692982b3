/**
 * The page's files, served from memory: the HTML shell (with the CSRF token of the user's
 * credentials) and the bundle `npm run compile` built into lib/ui (see scripts/ui-bundle.ts).
 * Nothing comes from a CDN; the file names are fixed, so no path from the URL reaches the disk.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSRF_META } from '../shared/types.js';

export const BUNDLE_FILES = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' } as const;
export type BundleFile = keyof typeof BUNDLE_FILES;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** The package's root: the nearest folder above this file with a package.json (src/ or lib/src/ alike). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the kubeopencode package root');
    dir = up;
  }
  return dir;
}

export const defaultAssetsDir = (): string => join(packageRoot(), 'lib', 'ui');

export class Assets {
  private readonly files = new Map<string, Asset>();
  /** Changes with the bundle: the page asks for `app.js?v=...` so browsers never mix versions. */
  public readonly version: string;

  constructor(dir: string = defaultAssetsDir()) {
    const hash = createHash('sha256');
    for (const [name, type] of Object.entries(BUNDLE_FILES)) {
      const path = join(dir, name);
      if (!existsSync(path)) throw new Error(`the UI bundle is missing (${path}): run "npm run compile" (it builds lib/ui)`);
      const body = readFileSync(path);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
      hash.update(body);
      this.files.set(name, { body, type, etag });
    }
    this.version = hash.digest('base64url').slice(0, 12);
  }

  public get(name: string): Asset | undefined {
    return this.files.get(name);
  }

  public html(csrfToken: string): string {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="${CSRF_META}" content="${csrfToken}">
<title>KubeOpenCode</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/app.css?v=${this.version}">
</head>
<body>
<div id="app"><p class="loading">Loading…</p></div>
<noscript>The KubeOpenCode UI needs JavaScript.</noscript>
<script type="module" src="assets/app.js?v=${this.version}"></script>
</body>
</html>
`;
  }
}
