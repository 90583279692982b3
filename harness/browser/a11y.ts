/**
 * An accessibility audit of the page a test is on, by axe-core (the WCAG 2 A and AA rules it
 * can check automatically: names and labels, contrast, ARIA use, landmarks, headings). It is
 * evaluated through the DevTools protocol, so the page's Content-Security-Policy stays strict.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

export interface Violation {
  readonly id: string;
  readonly impact?: string;
  readonly help: string;
  /** CSS selectors of the offending elements. */
  readonly targets: readonly string[];
}

let source: string | undefined;

/** The violations on the page as it is now; `exclude` leaves out parts (CSS selectors). */
export async function auditAccessibility(page: Page, exclude: readonly string[] = []): Promise<Violation[]> {
  source ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!await page.evaluate('typeof window.axe !== "undefined"')) await page.evaluate(source);
  const options = JSON.stringify({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  const context = JSON.stringify({ exclude: exclude.map((s) => [s]) });
  const result = await page.evaluate(`axe.run(${context}, ${options}).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')),
  })))`) as Violation[];
  return result;
}

/** One line per violation, for a test's failure message. */
export const describeViolations = (vs: readonly Violation[]): string =>
  vs.map((v) => `${v.impact ?? ''} ${v.id}: ${v.help} (${v.targets.slice(0, 3).join(', ')})`).join('\n');
