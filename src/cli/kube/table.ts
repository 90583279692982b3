/** kubectl's table output: upper-case headers, columns padded to the widest cell, three spaces apart. */

export type Row = readonly string[];

export function formatTable(headers: readonly string[], rows: readonly Row[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: Row) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** kubectl's placeholder for an empty cell. */
export const NONE = '<none>';
