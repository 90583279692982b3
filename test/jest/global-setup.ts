/**
 * Starts ONE control plane for the whole Jest run (or reuses the one of
 * `npm run cluster -- up`), with the CRDs installed, and exports KUBECONFIG,
 * KUBEOPENCODE_TEST_KUBECONFIG and KUBEOPENCODE_BIN for the test workers.
 * Skipped under KUBEOPENCODE_NO_CLUSTER=1 (`npm run test:unit`).
 *
 * Jest loads this file with Node's own loader, which neither maps `.js` imports to `.ts`
 * sources nor transpiles them, so the real work is imported through tsx. Only erasable
 * TypeScript is allowed in this file for the same reason.
 */
import { tsImport } from 'tsx/esm/api';
import type * as Session from '../../harness/control-plane/session.js';

export default async function globalSetup(): Promise<void> {
  if (process.env.KUBEOPENCODE_NO_CLUSTER === '1') return;
  const started = Date.now();
  const session: typeof Session = await tsImport('../../harness/control-plane/session.ts', import.meta.url);
  await session.setUpTestCluster();
  process.stderr.write(`[cluster] Jest global setup done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
