// The range of good values of a swept key (a tuned one, or a grid factor such as train.lr): the
// values whose score is within a tolerance of the best one, from the smallest to the largest, and
// the width of that range in decades. The tuning report (report-tuning.ts) judges a condition's
// tuning runs by it, and `check` a claim `over:` a grid factor, seed by seed (check.ts).

/**
 * How far from a condition's best score a value may be and still count as good: a loss-type
 * metric (lower is better) within 5 % of the best, ≤ best + 0.05·|best|; an accuracy-type metric
 * (higher is better, a fraction) within 1 point, ≥ best − 0.01. Both limits inclusive.
 */
export const GOOD_TOLERANCE = {relative: 0.05, points: 0.01} as const;

/** The worst score that is still good, given the best. */
export function goodLimit(best: number, lower: boolean): number {
  return lower ? best + GOOD_TOLERANCE.relative * Math.abs(best) : best - GOOD_TOLERANCE.points;
}

/** Whether a score is good: finite and within GOOD_TOLERANCE of the best (to rounding: scores are read from files). */
export function isGood(score: number, best: number, lower: boolean): boolean {
  if (!Number.isFinite(score)) return false;
  const limit = goodLimit(best, lower);
  const slack = 1e-9 * Math.max(1, Math.abs(limit));
  return lower ? score <= limit + slack : score >= limit - slack;
}

/** The rule in words, for notes and captions. */
export function toleranceText(lower: boolean): string {
  return lower
    ? `within ${100 * GOOD_TOLERANCE.relative} % of the condition's best (≤ best × ${1 + GOOD_TOLERANCE.relative} for a positive loss)`
    : `within ${100 * GOOD_TOLERANCE.points} point of the condition's best (≥ best − ${GOOD_TOLERANCE.points})`;
}

export interface GoodRange {
  /** The best score, and the value that scored it (ties: the smaller value, as the choice breaks them). */
  best: number;
  bestValue: number;
  /** The good values, ascending. */
  good: number[];
  lo: number;
  hi: number;
  /** log10(hi / lo): the width of the range in decades (undefined when lo ≤ 0). */
  decades: number | undefined;
  /** The values that were scored, ascending. */
  judged: number[];
  /** Scored values between lo and hi that are not good: the good values are not one run. */
  gaps: number[];
}

/** The good values among scored ones; undefined when no value has a finite score. */
export function goodRange(scores: Array<{value: number; score: number}>, lower: boolean): GoodRange | undefined {
  const sorted = [...scores].sort((a, b) => a.value - b.value);
  const finite = sorted.filter((s) => Number.isFinite(s.score));
  if (finite.length === 0) return undefined;
  const top = finite.reduce((b, s) => ((lower ? s.score < b.score : s.score > b.score) ? s : b));
  const good = sorted.filter((s) => isGood(s.score, top.score, lower)).map((s) => s.value);
  const lo = good[0]!;
  const hi = good[good.length - 1]!;
  return {
    best: top.score, bestValue: top.value, good, lo, hi,
    decades: lo > 0 ? Math.log10(hi / lo) : undefined,
    judged: sorted.map((s) => s.value),
    gaps: sorted.filter((s) => s.value > lo && s.value < hi && !good.includes(s.value)).map((s) => s.value),
  };
}
