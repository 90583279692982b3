/**
 * A real headless Chromium for browser tests, benchmarks and screenshots: Debian's package
 * (installed by install-chromium.sh when missing) driven by playwright-core. Each launch gets
 * a fresh profile (`--user-data-dir`, which Playwright passes), and the flags that keep Chromium from calling home: the network here is
 * closed, and its background requests would only fail and flood the logs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserContext, BrowserContextOptions, chromium, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Installs Chromium if it is missing (apt-get, about 30 s); throws saying why it cannot. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  execFileSync('bash', [fileURLToPath(new URL('install-chromium.sh', import.meta.url))], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is still missing after install-chromium.sh`);
  return CHROMIUM_PATH;
}

export interface HeadlessBrowser {
  /** The browser's one context: its profile is a fresh folder, removed by `close()`. */
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a profile of its own. Each call is a separate browser (another user:
 * pass `{ extraHTTPHeaders: { Authorization: 'Bearer ...' } }` as a proxy in front would).
 */
export async function launchChromium(options: BrowserContextOptions = {}): Promise<HeadlessBrowser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'kubeopencode-chromium-'));
  // Playwright takes the profile folder itself (it refuses --user-data-dir among the args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  return {
    context,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
