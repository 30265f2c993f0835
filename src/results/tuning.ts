// Tuning, as results: which value each condition chose, and why. Everything here is derived from
// the tuning runs' own summary.csv (in <out>/tuning/), so the runner deciding which values go on to
// the next rung, `merge` joining tune shards, and `report` drawing the sensitivity all read the
// same numbers the same way — and none of them reads a test-split column: the metric is one of
// TUNE_METRICS (validation or training), never a test metric.
//
// tuning.csv, one row per tuning run: condition, norm, activation, the grid's factors, the tuned
// value, seed, rung, steps, status, the metric, its mean over the run's group at that value and
// rung, whether the value went on to the next rung, and whether it was chosen.

import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import type {TuneSpec} from '../spec/experiment.js';
import {lowerIsBetter, rungSizes} from '../spec/tune.js';
import {parseNumber} from './format.js';
import {parseCsv, rowObjects, type Results} from './read.js';
import {fmtValue} from './format.js';
import {toCsv} from './files.js';

export const TUNING_DIR = 'tuning';
export const TUNING_CSV = 'tuning.csv';

/** A condition in words: a grid cell without its seed (`batch · relu · train.batch_size=4`). */
export function conditionLabel(norm: string, activation: string, factors: Record<string, string>): string {
  return [norm, activation, ...Object.entries(factors).map(([k, v]) => `${k}=${v}`)].join(' · ');
}

/** What one group of conditions chose (with `shared`, one group holds them all). */
export interface TuningChoice {
  /** The group: a condition's label, or `all conditions` when shared. */
  group: string;
  conditions: string[];
  value: number;
  /** The choice is the smallest or the largest value tried: the range should be widened that way. */
  edge?: 'low' | 'high';
  /** No value of the last rung finished with a number (every run diverged or failed): the choice is only the first. */
  none?: true;
}

export interface TuningRow {
  condition: string;
  norm: string;
  activation: string;
  factors: Record<string, string>;
  value: number;
  seed: number;
  rung: number;
  steps: number;
  status: string;
  metric: number | undefined;
  mean: number;
  advanced: boolean | undefined;
  chosen: boolean;
}

export interface TuningOutcome {
  rows: TuningRow[];
  /** By group, in condition order; only groups whose last rung is complete have chosen. */
  choices: TuningChoice[];
  /** Per group: the values that go on to each rung (index r: rung r's values). */
  survivors: Map<string, number[][]>;
  /** Groups in condition order, with their conditions. */
  groups: Array<{group: string; conditions: string[]}>;
}

export const SHARED_GROUP = 'all conditions';

/**
 * Which values each group keeps, rung by rung, from the tuning runs' summary rows. A rung's
 * value scores the mean of the metric over the group's runs at that value (tuning seeds, and
 * with `shared` every condition); a diverged or failed run scores worst, and ties go to the
 * value listed first. The best ⌈n/η⌉ go on; in the last rung the best is chosen.
 */
export function tuningOutcome(tuning: Pick<Results, 'summary'>, tune: TuneSpec, factorKeys: string[]): TuningOutcome {
  const summary = rowObjects(tuning.summary);
  const sizes = rungSizes(tune);
  const lower = lowerIsBetter(tune);
  const worst = lower ? Infinity : -Infinity;
  const conditions: string[] = [];
  let rows: TuningRow[] = summary.map((r) => {
    const factors = Object.fromEntries(factorKeys.map((k) => [k, r[k] ?? '']));
    const condition = conditionLabel(r.norm!, r.activation!, factors);
    if (!conditions.includes(condition)) conditions.push(condition);
    const metric = r.status === 'ok' ? parseNumber(r[tune.metric]) : undefined;
    return {
      condition, norm: r.norm!, activation: r.activation!, factors, value: Number(r[tune.key]), seed: Number(r.seed), rung: Number(r.rung),
      steps: Number(r.steps), status: r.status!, metric, mean: NaN, advanced: undefined, chosen: false,
    };
  });
  const groups = tune.shared ? (conditions.length ? [{group: SHARED_GROUP, conditions}] : []) : conditions.map((c) => ({group: c, conditions: [c]}));
  const groupOf = (condition: string) => (tune.shared ? SHARED_GROUP : condition);
  const choices: TuningChoice[] = [];
  const survivors = new Map<string, number[][]>();
  /** Rows of values a rung did not select (left by an earlier selection): not part of the tuning. */
  const stale = new Set<TuningRow>();
  for (const {group, conditions: members} of groups) {
    const kept: number[][] = [tune.values];
    for (let rung = 1; rung <= sizes.length; rung++) {
      const all = rows.filter((r) => r.rung === rung && groupOf(r.condition) === group);
      const values = kept[rung - 1]!;
      for (const r of all) if (!values.includes(r.value)) stale.add(r);
      const inRung = all.filter((r) => values.includes(r.value));
      // Complete when every value has a run for every member condition and tuning seed.
      const cells = new Set(inRung.map((r) => JSON.stringify([r.value, r.condition, r.seed])));
      const complete = values.every((v) => members.every((c) => tune.seeds.every((seed) => cells.has(JSON.stringify([v, c, seed])))));
      if (!complete) {
        // A rung not yet decided: its rows, and any of later rungs, wait for it.
        for (const r of rows) if (r.rung > rung && groupOf(r.condition) === group) stale.add(r);
        break;
      }
      const score = new Map(values.map((v) => {
        const runs = inRung.filter((r) => r.value === v);
        const scores = runs.map((r) => (r.metric === undefined || !Number.isFinite(r.metric) ? worst : r.metric));
        return [v, scores.reduce((a, b) => a + b, 0) / scores.length];
      }));
      for (const r of inRung) r.mean = score.get(r.value)!;
      const ranked = [...values].sort((a, b) => (lower ? score.get(a)! - score.get(b)! : score.get(b)! - score.get(a)!) || values.indexOf(a) - values.indexOf(b));
      if (rung < sizes.length) {
        const next = ranked.slice(0, sizes[rung]!).sort((a, b) => a - b);
        for (const r of inRung) r.advanced = next.includes(r.value);
        kept.push(next);
      } else {
        const value = ranked[0]!;
        for (const r of inRung) r.chosen = r.value === value;
        const none = !Number.isFinite(score.get(value)!);
        const edge = none ? undefined : tune.values.length > 1 && value === tune.values[0] ? 'low' : value === tune.values[tune.values.length - 1] ? 'high' : undefined;
        choices.push({group, conditions: members, value, ...(edge && {edge}), ...(none && {none: true as const})});
      }
    }
    survivors.set(group, kept);
  }
  // Condition order, then rung, value and seed: the same however the runs were split.
  const order = (r: TuningRow) => [conditions.indexOf(r.condition), r.rung, r.value, r.seed];
  rows = rows.filter((r) => !stale.has(r));
  rows.sort((a, b) => {
    const x = order(a);
    const y = order(b);
    return x.reduce((d, v, i) => d || v - y[i]!, 0);
  });
  return {rows, choices, survivors, groups};
}

/** The warning for a choice at the edge of the range (which condition, which way to widen), or made by no finished run. */
export function edgeWarning(choice: TuningChoice, key: string): string | undefined {
  if (choice.none) {
    return `${choice.group}: no value of ${key} trained to the end without diverging or failing — ${choice.value} is taken only as the first listed; ` +
      'look at the tuning runs (tuning/summary.csv) before reading this condition\'s results';
  }
  if (!choice.edge) return undefined;
  return `${choice.group}: the best ${key}, ${choice.value}, is the ${choice.edge === 'low' ? 'smallest' : 'largest'} value tried — ` +
    `the best may lie beyond it: widen tune.${key} ${choice.edge === 'low' ? 'downward' : 'upward'}`;
}

const yesNo = (b: boolean | undefined) => (b === undefined ? '' : b ? 'yes' : 'no');

/** tuning.csv's text. */
export function tuningCsv(outcome: TuningOutcome, tune: TuneSpec, factorKeys: string[]): string {
  const columns = ['condition', 'norm', 'activation', ...factorKeys, tune.key, 'seed', 'rung', 'steps', 'status', tune.metric, `mean_${tune.metric}`, 'advanced', 'chosen'];
  const rows = outcome.rows.map((r) => [
    r.condition, r.norm, r.activation, ...factorKeys.map((k) => r.factors[k] ?? ''), String(r.value), String(r.seed), String(r.rung), String(r.steps), r.status,
    fmtValue(r.metric), Number.isNaN(r.mean) ? '' : fmtValue(r.mean), yesNo(r.advanced), r.chosen ? 'yes' : 'no',
  ]);
  return toCsv(columns, rows);
}

/** The chosen value per group, read back from a directory's tuning.csv (undefined when it has none). */
export function readTuningChoices(dir: string, tune: TuneSpec): Map<string, number> | undefined {
  const file = join(dir, TUNING_CSV);
  if (!existsSync(file)) return undefined;
  const table = parseCsv(readFileSync(file, 'utf8'), file);
  for (const column of ['condition', tune.key, 'chosen']) {
    if (!table.columns.includes(column)) throw new UserError(`does not have tuning.csv's columns (no "${column}"; found ${table.columns.join(', ')})`, {file, line: 1}, 'results');
  }
  const chosen = new Map<string, number>();
  for (const r of rowObjects(table)) {
    if (r.chosen === 'yes') chosen.set(tune.shared ? SHARED_GROUP : r.condition!, Number(r[tune.key]));
  }
  return chosen;
}
