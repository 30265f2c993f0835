// Number formats of the results files and of the tables printed from them. Fixed, so identical
// runs give identical bytes, and one set of rules (nan and inf spelled out, never JavaScript's
// NaN or 3.803106691742404e+33) wherever a number is shown.

/** Losses and other unbounded values: `digits` significant digits (7 in files); nan / inf spelled out. */
export function fmtValue(x: number | undefined, digits = 7): string {
  if (x === undefined) return '';
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  return x.toPrecision(digits);
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

/** A number as written in a results file ('' for none; nan, inf and -inf as such). */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (text === 'nan') return NaN;
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  const x = Number(text);
  return Number.isNaN(x) ? undefined : x;
}
