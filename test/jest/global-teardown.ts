/**
 * Stops the control plane that global-setup.ts started, through the function it left
 * on globalThis (setup and teardown run in the same process). Importing nothing keeps the
 * teardown instant; a reused `cluster up` control plane leaves no function and keeps running.
 */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as typeof globalThis & { __kubeopencodeTeardown?: () => Promise<void> };
  const teardown = holder.__kubeopencodeTeardown;
  delete holder.__kubeopencodeTeardown;
  await teardown?.();
}
