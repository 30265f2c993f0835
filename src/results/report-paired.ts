// A report's paired comparison with a baseline condition (`report --baseline norm=none`, or the
// experiment's `report: {baseline: …}`): for every other condition and every metric of the table,
// the mean paired difference to the baseline over seeds, its 95 % interval, and how many seeds
// agree in sign (src/results/paired.ts). Each condition is paired with the baseline run that has
// its seed and its grid values, the baseline's keys aside: {norm: none} pairs batch · relu · seed 2
// with none · relu · seed 2.
//
// A difference is unbounded on the whole (Student's t over the seeds' differences, as `check`
// decides claims), but a difference of two accuracies lies in [−1, 1] and of two steps to a target
// in [−S, S]: with few seeds the t interval can pass those ends (n = 2 multiplies by 12.7), and
// the table cuts it there rather than print −300 points.

import {UserError} from '../errors.js';
import type {RunFilter} from '../spec/experiment.js';
import {RUN_COLUMNS} from './columns.js';
import {fmtValue} from './format.js';
import {matches, pairedDifferences, type PairedStat} from './paired.js';
import {rowObjects} from './read.js';
import type {Condition, Source} from './report-data.js';
import type {Metric} from './report-summary.js';

export interface PairedRow {
  condition: Condition;
  metrics: Record<string, PairedStat>;
}

export interface PairedTable {
  /** The baseline in words, `norm=none`. */
  baseline: string;
  filter: RunFilter;
  rows: PairedRow[];
}

/** `norm=none` and `train.lr=0.1` flags as a filter; numbers stay text (the results' form). */
export function parseBaseline(pairs: string[]): RunFilter {
  const filter: RunFilter = {};
  for (const text of pairs) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UserError(`--baseline takes key=value (e.g. --baseline norm=none), got "${text}"`, undefined, 'usage');
    filter[text.slice(0, eq).trim()] = text.slice(eq + 1).trim();
  }
  return filter;
}

/** The conditions of one source paired with its baseline condition. */
export function pairedTable(source: Source, conditions: Condition[], metrics: Metric[], baseline: RunFilter): PairedTable {
  const rows = rowObjects(source.results.summary);
  const factorKeys = source.factorKeys;
  const keys = [...RUN_COLUMNS.filter((c) => c !== 'run_id'), ...factorKeys];
  for (const [key, value] of Object.entries(baseline)) {
    if (!keys.includes(key)) throw new UserError(`baseline ${key}=${String(value)}: "${key}" is not a grid factor of ${source.label} (factors: ${keys.join(', ')})`, undefined, 'usage');
    const values = [...new Set(rows.map((r) => r[key]!))];
    if (!values.includes(String(value))) throw new UserError(`baseline ${key}=${String(value)}: no run of ${source.label} has it (values: ${values.join(', ')})`, undefined, 'usage');
  }
  const own = conditions.filter((c) => c.source === source.label);
  const last = Math.max(0, ...rows.map((r) => Number(r.steps) || 0));
  const subject = (c: Condition): RunFilter => ({norm: c.norm, activation: c.activation, ...Object.fromEntries(factorKeys.map((k) => [k, c.factors[k] ?? '']))});
  const paired = own
    .filter((c) => !matches(subject(c) as Record<string, string>, baseline))
    .map((condition) => ({
      condition,
      metrics: Object.fromEntries(metrics.map((m) => [m.key, within(pairedDifferences(rows, {keys}, m.key, baseline, subject(condition)), m.kind, last)])),
    }))
    .filter((r) => Object.values(r.metrics).some((s) => s.pairs.length > 0));
  return {baseline: Object.entries(baseline).map(([k, v]) => `${k}=${String(v)}`).join(', '), filter: baseline, rows: paired};
}

/** The interval cut to what a difference of the metric can be: [−1, 1] for accuracies, [−S, S] for steps. */
export function within(stat: PairedStat, kind: Metric['kind'], last: number): PairedStat {
  const bound = kind === 'fraction' ? 1 : kind === 'steps' ? last : Infinity;
  if (!stat.ci95) return stat;
  return {...stat, ci95: [Math.max(-bound, stat.ci95[0]), Math.min(bound, stat.ci95[1])]};
}

/** A difference in the metric's units: accuracy in percentage points. */
function fmtDifference(kind: Metric['kind'], x: number): string {
  const text = kind === 'fraction' || kind === 'points' ? (100 * x).toFixed(1) : kind === 'steps' ? x.toFixed(0) : fmtValue(x, 3);
  // A difference that rounds to zero is 0.0, whatever its sign (never "-0.0").
  if (/^-?[0.]+$/.test(text)) return text.replace(/^-/, '');
  return x > 0 ? `+${text}` : text;
}

/** `+1.6 [−0.4, +3.6] 3/3`: mean, 95 % interval and the seeds that agree in sign with the mean. */
export function pairedCell(metric: Metric, s: PairedStat): string {
  if (s.mean === undefined) return '—';
  const ci = s.ci95 ? ` [${fmtDifference(metric.kind, s.ci95[0])}, ${fmtDifference(metric.kind, s.ci95[1])}]` : '';
  return `${fmtDifference(metric.kind, s.mean)}${ci} ${s.agree}/${s.n}`;
}

/** How to read the table, for the text and the Markdown report. */
export function pairedNote(table: PairedTable): string {
  return `paired differences to ${table.baseline}, seed by seed (same initial weights and data order): mean [95 % CI] k/n, k the seeds that agree in sign with the mean; accuracy in percentage points`;
}
