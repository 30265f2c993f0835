// Statistics of a condition's seeds: mean, sample standard deviation and the 95 % confidence
// interval of the mean from Student's t-distribution,
//
//   mean ± t_{0.975, n−1} · sd / √n,   sd = √( Σ(x − mean)² / (n − 1) ).
//
// With n = 1 there is no sd and no interval (both undefined, printed —).

/** t_{0.975, df} for df = 1…30 (scipy.stats.t.ppf(0.975, df), rounded to 6 decimals). */
const T_975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
  2.200985, 2.178813, 2.160369, 2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
  2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272,
];

/** z_{0.975}, the normal quantile the t quantile tends to. */
const Z_975 = 1.959963984540054;

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom: the table up to 30, beyond it
 * the Cornish–Fisher expansion in 1/df (Hill 1970), within 1e-7 of the exact value for df > 30.
 */
export function t975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`t975: degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T_975.length) return T_975[df - 1]!;
  const z = Z_975;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  const g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

export interface Stat {
  /** Values the statistics are computed from. */
  n: number;
  mean?: number;
  /** Sample standard deviation (n − 1 in the denominator); undefined for n < 2. */
  sd?: number;
  /** 95 % confidence interval of the mean; undefined for n < 2. */
  ci95?: [number, number];
}

/**
 * Mean, sd and 95 % CI of finite values (the caller decides which values count). With `range`,
 * the values a quantity can take (an accuracy [0, 1], steps to a target [0, the run's steps], a
 * loss [0, ∞)), the t interval is clipped to it: a mean of such values cannot lie outside it.
 */
export function describe(values: number[], range?: readonly [number, number]): Stat {
  const n = values.length;
  if (n === 0) return {n};
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return {n, mean};
  const sd = Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = (t975(n - 1) * sd) / Math.sqrt(n);
  const [lo, hi] = range ?? [-Infinity, Infinity];
  return {n, mean, sd, ci95: [Math.max(lo, mean - half), Math.min(hi, mean + half)]};
}
