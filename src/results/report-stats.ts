// Statistics of a condition's seeds: mean, sample standard deviation, and a 95 % interval that
// stays within what the metric can be.
//
//   mean,   sd = √( Σ(x − mean)² / (n − 1) ).
//
// The interval follows the metric's range:
// 1. unbounded (a paired difference): Student's t, mean ± t_{0.975, n−1} · sd / √n.
// 2. an accuracy, in [0, 1]: the same on the logit scale, mapped back by σ(z) = 1 / (1 + e^−z):
//      z = logit(x) = ln(x / (1 − x)),   [σ(z̄ − h), σ(z̄ + h)],   h = t_{0.975, n−1} · sd(z) / √n,
//    each x first kept half an example inside (0, 1), ε = 0.5 / N on N examples (the empirical
//    logit), so that a run at 100 % has a finite logit.
// 3. a loss, > 0: the same on the log scale, [exp(m − h), exp(m + h)], m and h the mean and the
//    half-width of ln x: an interval for the geometric mean, which one seed's blow-up moves far
//    less than it moves the mean.
//    2 and 3 keep t's small-sample width and map it back through a monotone function, so they
//    never leave the metric's range; their centre, σ(z̄) or exp(m), is `centre`.
// 4. steps to a target, where a run that never reached it is censored: stepsToTarget.
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

/** The scale an interval is computed on (step 1, 2 or 3 above). */
export type Scale = {kind: 'linear'} | {kind: 'logit'; epsilon: number} | {kind: 'log'};

export interface Stat {
  /** Values the statistics are computed from. */
  n: number;
  mean?: number;
  /** Sample standard deviation (n − 1 in the denominator); undefined for n < 2. */
  sd?: number;
  /** 95 % interval (of the mean on the interval's scale); undefined for n < 2. */
  ci95?: [number, number];
  /** The interval's centre mapped back: the mean (linear), σ(mean logit), the geometric mean (log). */
  centre?: number;
  /** The scale the interval was computed on. */
  scale?: Scale['kind'];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOf = (xs: number[], m: number) => Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));

const logit = (x: number) => Math.log(x / (1 - x));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The map to the interval's scale and back. */
function transform(scale: Scale): {to: (x: number) => number; back: (z: number) => number} {
  if (scale.kind === 'logit') {
    const e = scale.epsilon;
    return {to: (x) => logit(Math.min(1 - e, Math.max(e, x))), back: sigmoid};
  }
  if (scale.kind === 'log') return {to: Math.log, back: Math.exp};
  return {to: (x) => x, back: (z) => z};
}

/**
 * Mean and sd of finite values (the caller decides which values count), and the 95 % interval on
 * `scale`. A loss of exactly 0 has no logarithm: its condition's interval falls back to the linear
 * one, cut at 0 (the scale says so).
 */
export function describe(values: number[], scale: Scale = {kind: 'linear'}): Stat {
  const n = values.length;
  if (n === 0) return {n};
  const m = mean(values);
  if (n === 1) return {n, mean: m};
  const sd = sdOf(values, m);
  // Equal values: the interval is the value itself, on any scale (ε would move a run at 100 % off it).
  if (sd === 0) return {n, mean: m, sd, ci95: [m, m], centre: m, scale: scale.kind};
  if (scale.kind === 'log' && values.some((x) => x <= 0)) {
    const half = (t975(n - 1) * sd) / Math.sqrt(n);
    return {n, mean: m, sd, ci95: [Math.max(0, m - half), m + half], centre: m, scale: 'linear'};
  }
  const {to, back} = transform(scale);
  const z = values.map(to);
  const zm = mean(z);
  const half = (t975(n - 1) * sdOf(z, zm)) / Math.sqrt(n);
  return {n, mean: m, sd, ci95: [back(zm - half), back(zm + half)], centre: back(zm), scale: scale.kind};
}

// ── Steps to a target ──────────────────────────────────────────────────────────────────────

/** The level the order-statistic interval of the median aims for. */
export const STEPS_LEVEL = 0.95;

export interface StepsStat {
  /** Runs (ok, with the column). */
  n: number;
  /** Runs that reached the target; the other n − reached are censored at `last`. */
  reached: number;
  /** The runs' last step: a censored run would have reached the target after it, if ever. */
  last: number;
  /** x_(⌈n/2⌉), the step by which half the runs had reached it; undefined when it is > last. */
  median?: number;
  /** The median's interval [x_(l), x_(n+1−l)] and its level; an end undefined is > last. Undefined for n < 2. */
  interval?: {lo?: number; hi?: number; level: number};
}

/** P(l ≤ B ≤ n − l) for B ~ Binomial(n, ½): the chance that [x_(l), x_(n+1−l)] holds the median. */
export function orderLevel(n: number, l: number): number {
  let p = 0.5 ** n;
  let level = 0;
  for (let i = 0; i <= n - l; i++) {
    if (i >= l) level += p;
    p = (p * (n - i)) / (i + 1);
  }
  return level;
}

/**
 * Steps to a target over the n runs of a condition, of which those in `reached` reached it; the
 * others never did, and are censored at `last`.
 * 1. Order the n values, the censored ones last (as if +∞: they lie beyond every reached value,
 *    since the runs of a condition share their length).
 * 2. The median is x_(⌈n/2⌉), the step by which half the runs had reached the target (the
 *    Kaplan–Meier median for runs censored at one step); > last when fewer than ⌈n/2⌉ reached it.
 * 3. Its interval: the order statistics [x_(l), x_(n+1−l)], which hold the median with probability
 *    P(l ≤ B ≤ n − l), B ~ Binomial(n, ½), whatever the distribution (at least that with ties).
 *    l is the largest whose level is ≥ 95 %; below n = 6 none reaches it, and [x_(1), x_(n)] is
 *    given with its own level (n = 3: 1 − 2·2⁻³ = 75 %). An end past the k reached is > last.
 */
export function stepsToTarget(reached: number[], n: number, last: number): StepsStat {
  const k = reached.length;
  const sorted = [...reached].sort((a, b) => a - b);
  const at = (i: number) => (i <= k ? sorted[i - 1] : undefined);
  const base: StepsStat = {n, reached: k, last};
  if (n === 0) return base;
  const median = at(Math.ceil(n / 2));
  if (n < 2) return {...base, ...(median === undefined ? {} : {median})};
  let l = 1;
  while (l + 1 <= n + 1 - (l + 1) && orderLevel(n, l + 1) >= STEPS_LEVEL) l++;
  const lo = at(l);
  const hi = at(n + 1 - l);
  return {
    ...base,
    ...(median === undefined ? {} : {median}),
    interval: {...(lo === undefined ? {} : {lo}), ...(hi === undefined ? {} : {hi}), level: orderLevel(n, l)},
  };
}
