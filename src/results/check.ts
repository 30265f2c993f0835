// check: decide an experiment's claims from its results. For each claim, the paired differences
// d = metric − than over seeds (src/results/paired.ts), their mean and 95 % confidence interval
// [lo, hi] (Student's t), and a verdict against the margin m:
//
//   expect     holds: the interval lies      contradicted: it lies          otherwise
//   greater    above m      (lo > m)           below m      (hi < m)          inconclusive
//   less       below −m     (hi < −m)          above −m     (lo > −m)         inconclusive
//   equal      within ±m    (−m ≤ lo, hi ≤ m)  outside ±m   (lo > m, hi < −m) inconclusive
//
// so a claim is contradicted when the interval lies beyond its margin the other way: "greater by
// more than m" is contradicted by a difference surely smaller than m. With fewer than 2 pairs there
// is no interval: inconclusive. An inconclusive claim says how many seeds would likely settle it:
// the interval straddles an edge (m or −m), and shrinks as 1/√n at the measured spread. It reads results files
// only: a reference for the gate that survives a backend or version change which moves bits.

import {UserError, UserErrors, type SourceLocation} from '../errors.js';
import type {Claim, ExpandedExperiment, RunFilter} from '../spec/experiment.js';
import {EVAL_MODES} from '../spec/names.js';
import {targetList} from '../spec/targets.js';
import {tuneSpec} from '../spec/tune.js';
import {nearest} from '../suggest.js';
import {columnRole, factorKeysOf, namesOf, RUN_COLUMNS, summaryTable} from './columns.js';
import {fmtValue, parseNumber} from './format.js';
import {goodRange} from './good-range.js';
import {pairedDifferences, pairsToSettle, type PairedStat, type Row} from './paired.js';
import {rowObjects, type Results} from './read.js';

export type Verdict = 'holds' | 'contradicted' | 'inconclusive';

export interface ClaimResult {
  claim: Claim;
  verdict: Verdict;
  stat: PairedStat;
  /** For an inconclusive claim: the pairs that would likely settle it (undefined: more than 1000, or not estimable). */
  settle?: number;
}

export interface CheckReport {
  dir: string;
  experiment: string;
  claims: ClaimResult[];
  /** Every claim holds. */
  ok: boolean;
}

/** The verdict of a 95 % interval [lo, hi] against a claim's direction and margin. */
export function verdictOf(expect: Claim['expect'], margin: number, ci: [number, number] | undefined): Verdict {
  if (!ci) return 'inconclusive';
  const [lo, hi] = ci;
  if (expect === 'greater') return lo > margin ? 'holds' : hi < margin ? 'contradicted' : 'inconclusive';
  if (expect === 'less') return hi < -margin ? 'holds' : lo > -margin ? 'contradicted' : 'inconclusive';
  return lo >= -margin && hi <= margin ? 'holds' : lo > margin || hi < -margin ? 'contradicted' : 'inconclusive';
}

/** The edge an inconclusive claim's interval straddles, which it must clear to be decided. */
function edgeOf(claim: Claim, mean: number): number {
  if (claim.expect === 'greater') return claim.margin;
  if (claim.expect === 'less') return -claim.margin;
  return mean >= 0 ? claim.margin : -claim.margin;
}

/** Where a key of the claims is written: file, line and column when known, and the key path. */
export type LocateClaim = (path: Array<string | number>) => SourceLocation;

/** Without the YAML at hand: the key path in the results' manifest. */
const inManifest: LocateClaim = (path) => ({file: 'manifest.json', path: path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('')});

/**
 * A claim about runs this grid does not have (a value no run has, filters that together select
 * nothing): a mistake in the experiment as written, but only a claim that does not apply when
 * `--set` narrowed the grid.
 */
export class ClaimNotApplicable extends UserError {}

/** Every problem of the claims against these results' columns and grid values (all of them, at once). */
export function claimProblems(
  claims: readonly Claim[],
  columns: readonly string[],
  values: Record<string, readonly string[]>,
  factorKeys: readonly string[],
  locate: LocateClaim = inManifest,
  /** The runs' grid values (norm, activation, seed, factors), to find filters that together select no run. */
  runs?: ReadonlyArray<Record<string, string>>,
): UserError[] {
  const errors: UserError[] = [];
  const claimError = (index: number, key: string[], message: string) => new UserError(message, locate(['claims', index, ...key]), 'config');
  const notApplicable = (index: number, key: string[], message: string) => new ClaimNotApplicable(message, locate(['claims', index, ...key]), 'config');
  const measures = columns.filter((c) => columnRole(c, factorKeys) === 'measure');
  const gridKeys = Object.keys(values);
  const column = (i: number, key: string, name: string) => {
    if (measures.includes(name)) return;
    const guess = nearest(name, measures);
    errors.push(claimError(i, [key], `"${name}" is not a metric of these results${guess ? ` — did you mean "${guess}"?` : ''} (metrics: ${measures.join(', ')})`));
  };
  const filter = (i: number, key: string, f: RunFilter | undefined) => {
    for (const [k, v] of Object.entries(f ?? {})) {
      if (!gridKeys.includes(k)) {
        const guess = nearest(k, gridKeys);
        errors.push(claimError(i, [key, k], `"${k}" is not a grid factor of these results${guess ? ` — did you mean "${guess}"?` : ''} (factors: ${gridKeys.join(', ')})`));
      } else if (!values[k]!.includes(String(v))) {
        const guess = nearest(String(v), values[k]!);
        errors.push(notApplicable(i, [key, k], `no run has ${k} = ${String(v)}${guess && guess !== String(v) ? ` — did you mean "${guess}"?` : ''} (values: ${values[k]!.join(', ')})`));
      }
    }
  };
  claims.forEach((claim, i) => {
    const before = errors.length;
    column(i, 'metric', claim.metric);
    if (claim.over !== undefined) {
      if (!gridKeys.includes(claim.over) || ['norm', 'activation', 'seed'].includes(claim.over)) {
        const numeric = factorKeys.filter((k) => values[k]?.every((v) => Number(v) > 0));
        const guess = nearest(claim.over, numeric);
        errors.push(claimError(i, ['over'], `"${claim.over}" is not a numeric grid factor of these results${guess ? ` — did you mean "${guess}"?` : ''} (numeric factors: ${numeric.join(', ') || 'none'})`));
      } else {
        const bad = values[claim.over]!.filter((v) => !(Number(v) > 0));
        if (bad.length) errors.push(claimError(i, ['over'], `${claim.over} takes values that are not positive numbers (${bad.join(', ')}): a statistic in decades needs positive values`));
        else if (values[claim.over]!.length < 2) errors.push(notApplicable(i, ['over'], `${claim.over} takes one value here (${values[claim.over]![0]}): there is no sweep to take a statistic over`));
      }
    }
    if (typeof claim.than === 'string') column(i, 'than', claim.than);
    else {
      filter(i, 'than', claim.than);
      if (Object.keys(claim.than).length === 0) errors.push(claimError(i, ['than'], '`than` names no condition: give a column, or the grid values of the condition to compare with'));
    }
    filter(i, 'where', claim.where);
    // Each value exists, but together they may select nothing.
    if (!runs || errors.length > before) return;
    const matches = (f: RunFilter) => runs.filter((r) => Object.entries(f).every(([k, v]) => r[k] === String(v))).length;
    const where = claim.where ?? {};
    if (Object.keys(where).length && matches(where) === 0) {
      errors.push(notApplicable(i, ['where'], `no run has ${thanText(where)} all at once: the claim would compare nothing`));
    } else if (typeof claim.than !== 'string' && matches({...where, ...claim.than}) === 0) {
      errors.push(notApplicable(i, ['than'], `no run has ${thanText({...where, ...claim.than})}: the condition to compare with (where, then than) selects nothing`));
    }
  });
  return errors;
}

/**
 * The claims' problems against a grid before it trains: the summary columns it will write and
 * the values of its factors (what `validate` and `run` check, so that a claim `check` could not
 * decide is found before any training).
 */
export function gridClaimProblems(expanded: ExpandedExperiment, locate: LocateClaim): UserError[] {
  const {config, factorKeys, runs} = expanded;
  if (!config.claims?.length) return [];
  const evalModes = EVAL_MODES.filter((mode) => runs.some((r) => r.eval_modes.includes(mode)));
  const validation = runs.some((r) => r.dataset.validation !== undefined);
  const columns = namesOf(summaryTable(factorKeys, targetList(config.targets).map((t) => t.key), evalModes, validation, config.tune ? tuneSpec(config.tune).key : undefined, runs.some((r) => r.eval_train)));
  const values: Record<string, string[]> = {
    norm: [...new Set(runs.map((r) => r.norm_label))],
    activation: [...new Set(runs.map((r) => r.activation))],
    seed: [...new Set(runs.map((r) => String(r.seed)))],
    ...Object.fromEntries(factorKeys.map((k) => [k, [...new Set(runs.map((r) => r.factors[k]!))]])),
  };
  const cells = runs.map((r) => ({norm: r.norm_label, activation: r.activation, seed: String(r.seed), ...r.factors}));
  return claimProblems(config.claims, columns, values, factorKeys, locate, cells);
}

/** Decide every claim from a results directory. Bad claims (a metric or a value the results do not have) are bad input. */
export function checkClaims(results: Results, claims: readonly Claim[], locate?: LocateClaim): CheckReport {
  const rows = rowObjects(results.summary);
  const factorKeys = factorKeysOf(results.manifest.config);
  const keys = [...RUN_COLUMNS.filter((c) => c !== 'run_id'), ...factorKeys];
  const values = Object.fromEntries(keys.map((k) => [k, [...new Set(rows.map((r) => r[k]!))]]));
  const problems = claimProblems(claims, results.summary.columns, values, factorKeys, locate, rows);
  if (problems.length) throw problems.length === 1 ? problems[0]! : new UserErrors(problems);
  const out = claims.map((claim): ClaimResult => {
    const stat = claim.over === undefined
      ? pairedDifferences(rows, {keys}, claim.metric, claim.than, claim.where)
      : pairedDifferences(sweepRows(rows, keys, claim), {keys: keys.filter((k) => k !== claim.over)}, SWEEP_COLUMN, claim.than, claim.where);
    const verdict = verdictOf(claim.expect, claim.margin, stat.ci95);
    const settle = verdict === 'inconclusive' && stat.mean !== undefined ? pairsToSettle(stat, edgeOf(claim, stat.mean)) : undefined;
    return {claim, verdict, stat, settle};
  });
  return {dir: results.dir, experiment: results.manifest.experiment, claims: out, ok: out.every((c) => c.verdict === 'holds')};
}

/** The column of a sweep row that holds the claim's statistic. */
const SWEEP_COLUMN = 'statistic';

/** Whether lower is better for a claim's metric over a sweep: its `better`, else higher for an accuracy (a gap, gap_accuracy, is lower-is-better). */
export const lowerIsBetterFor = (claim: Pick<Claim, 'metric' | 'better'>): boolean => (claim.better ? claim.better === 'lower' : !/accuracy/.test(claim.metric) || claim.metric.startsWith('gap_'));

/**
 * A claim `over:` a factor: one row per seed's sweep (the runs that differ only in that factor),
 * holding the statistic of the metric over its values. A run that diverged or failed, or has no
 * number, scores worst: it is never the best, never good. A sweep with no scored value is not ok.
 */
export function sweepRows(rows: Row[], keys: string[], claim: Pick<Claim, 'metric' | 'over' | 'statistic' | 'better' | 'threshold'>): Row[] {
  const over = claim.over!;
  const rest = keys.filter((k) => k !== over);
  const lower = lowerIsBetterFor(claim);
  const sweeps = new Map<string, Row[]>();
  for (const r of rows) {
    const id = JSON.stringify(rest.map((k) => r[k]));
    const sweep = sweeps.get(id);
    if (sweep) sweep.push(r);
    else sweeps.set(id, [r]);
  }
  return [...sweeps.values()].map((runs) => {
    const scores = runs.map((r) => {
      const v = r.status === 'ok' ? parseNumber(r[claim.metric]) : undefined;
      return {value: Number(r[over]), score: v !== undefined && Number.isFinite(v) ? v : lower ? Infinity : -Infinity};
    });
    const range = goodRange(scores, lower);
    const thr = claim.threshold;
    const good = thr === undefined
      ? (range?.good ?? [])
      : scores.filter((s) => Number.isFinite(s.score) && (lower ? s.score <= thr : s.score >= thr)).map((s) => s.value).sort((a, b) => a - b);
    const value = claim.statistic === 'good_count' ? good.length
      : claim.statistic === 'good_range_decades' ? (good.length ? Math.log10(good[good.length - 1]! / good[0]!) : undefined)
      : claim.statistic === 'log10_largest_good' ? (good.length ? Math.log10(good[good.length - 1]!) : undefined)
      : range === undefined ? undefined : Math.log10(range.bestValue);
    const best = range && runs.find((r) => Number(r[over]) === range.bestValue);
    return {
      ...Object.fromEntries(rest.map((k) => [k, runs[0]![k]!])),
      run_id: `${best?.run_id ?? runs[0]!.run_id} (+${runs.length - 1} over ${over})`,
      status: value === undefined ? (range === undefined ? `has no ${claim.metric} at any ${over}` : `has no good ${over}`) : 'ok',
      [SWEEP_COLUMN]: value === undefined ? '' : String(value),
    };
  });
}

/** The claim's compared quantity in words: the metric, or its statistic over a factor. */
export function claimQuantity(claim: Pick<Claim, 'metric' | 'over' | 'statistic' | 'better' | 'threshold'>): string {
  if (claim.over === undefined) return claim.metric;
  const good = claim.threshold === undefined ? '' : ` ${lowerIsBetterFor(claim) ? '≤' : '≥'} ${claim.threshold}`;
  return `${claim.statistic}(${claim.metric}${good} over ${claim.over})`;
}

/** The other side of a claim in words: a column, or a condition. */
export function thanText(than: Claim['than']): string {
  return typeof than === 'string' ? than : Object.entries(than).map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

const num = (x: number | undefined) => (x === undefined ? '—' : fmtValue(x, 4));

/** One line per claim, then why each inconclusive one is. */
export function checkText(report: CheckReport): string {
  const lines = [`check ${report.dir} (${report.experiment}): ${report.claims.length} claim${report.claims.length === 1 ? '' : 's'}`];
  for (const {claim, verdict, stat, settle} of report.claims) {
    const where = claim.where ? ` where ${thanText(claim.where)}` : '';
    const ci = stat.ci95 ? `[${num(stat.ci95[0])}, ${num(stat.ci95[1])}]` : '(no interval)';
    const sign = claim.expect === 'greater' ? '>' : claim.expect === 'less' ? '<' : '≈';
    lines.push(`  ${verdict.toUpperCase().padEnd(12)} ${claim.id}: ${claim.says}`);
    lines.push(`               ${claimQuantity(claim)} − ${thanText(claim.than)}${where} ${sign} ${claim.expect === 'less' ? '−' : claim.expect === 'equal' ? '±' : ''}${claim.margin}: mean ${num(stat.mean)}, 95 % CI ${ci}, ${stat.agree} of ${stat.n} seeds agree in sign`);
    if (verdict === 'inconclusive') {
      lines.push(`               ${stat.n < 2 ? `${stat.n} pair${stat.n === 1 ? '' : 's'}: an interval needs at least 2` : settle ? `about ${settle} seeds would likely settle it (at this mean and spread)` : 'more seeds would not likely settle it at this mean and spread'}`);
    }
    if (stat.unpaired.length) lines.push(`               left out: ${stat.unpaired.map((u) => `${u.run_id} (${u.why})`).join('; ')}`);
  }
  const held = report.claims.filter((c) => c.verdict === 'holds').length;
  lines.push(report.ok ? `OK: all ${held} claims hold.` : `NOT OK: ${held} of ${report.claims.length} claims hold.`);
  return lines.join('\n');
}

/** The report as JSON: plain numbers, every pair. */
export function checkJson(report: CheckReport): unknown {
  return {
    dir: report.dir,
    experiment: report.experiment,
    ok: report.ok,
    claims: report.claims.map(({claim, verdict, stat, settle}) => ({
      ...claim, verdict, n: stat.n, mean: stat.mean ?? null, sd: stat.sd ?? null, ci95: stat.ci95 ?? null, agree: stat.agree,
      seeds_to_settle: verdict === 'inconclusive' ? (settle ?? null) : null, pairs: stat.pairs, unpaired: stat.unpaired,
    })),
  };
}
