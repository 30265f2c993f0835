// Number formats of the results files. Fixed, so identical runs give identical bytes.

/** Losses and other unbounded values: 7 significant digits; nan / inf spelled out. */
export function fmtValue(x: number | undefined): string {
  if (x === undefined) return '';
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  return x.toPrecision(7);
}

/** Accuracies and other fractions: 6 decimals. */
export function fmtFraction(x: number | undefined): string {
  return fmtFixed(x, 6);
}

/** Fixed decimals (epochs, seconds). */
export function fmtFixed(x: number | undefined, digits: number): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return fmtValue(x);
  return x.toFixed(digits);
}
