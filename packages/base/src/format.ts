/**
 * Numbers as messages print them. One convention for sizes everywhere (binary units, three
 * significant figures), so that a refusal never reads "needs 0.00 GiB" for a few kilobytes.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A byte count in binary units with three significant figures: 800 B, 78.1 KiB, 1.50 GiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  let v = bytes,
    u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) ((v /= 1024), u++);
  if (u === 0) return `${Math.round(v)} B`;
  // Three significant figures; 1023.96 KiB rounds to "1024 KiB" rather than a misleading "1.00 MiB".
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${UNITS[u]}`;
}
