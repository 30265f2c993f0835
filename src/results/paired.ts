// Paired differences between runs. Runs with the same seed share their initial weights (for
// shared parameters) and their data order, so the difference of a metric between two conditions
// is taken seed by seed, and its statistics are those of the differences:
//
//   d_s = metric(subject, s) − metric(partner, s),   mean ± t_{0.975, n−1} · sd(d) / √n
//
// A subject run's partner is either the same run (another column: `than: test_accuracy_ema`) or
// the run whose grid values equal the subject's except for those the `than` filter sets
// (`than: {norm: none}`): same seed, same everything else. Only runs with status `ok` and a
// number in both cells pair; the others are counted, never averaged (a diverged run's loss is
// nan, a run that never reached a target has no steps_to_<target>).

import type {RunFilter} from '../spec/experiment.js';
import {parseNumber} from './format.js';
import {describe, t975, type Stat} from './report-stats.js';

export type Row = Record<string, string>;

/** One seed's difference. */
export interface Pair {
  /** The subject run and its partner (the same id when comparing two columns). */
  run_id: string;
  partner_id: string;
  seed: string;
  /** The subject's grid values besides the seed, in words (`batch · relu · train.lr=0.1`). */
  condition: string;
  subject: number;
  partner: number;
  difference: number;
}

export interface PairedStat extends Stat {
  pairs: Pair[];
  /** Seeds whose difference has the sign of the mean (0 when the mean is 0 or undefined). */
  agree: number;
  /** Subject runs left out: not ok, no partner, or no number in a cell, each with why. */
  unpaired: Array<{run_id: string; why: string}>;
}

/** How runs are told apart: the grid columns of summary.csv (norm, activation, seed, factors). */
export interface GridColumns {
  /** Every identifying column but run_id, seed included. */
  keys: string[];
}

/** A filter value as the results write it: YAML numbers and booleans as their text. */
const text = (v: string | number | boolean) => String(v);

/** Whether a row has every value the filter names. */
export function matches(row: Row, filter: RunFilter | undefined): boolean {
  return Object.entries(filter ?? {}).every(([key, value]) => row[key] === text(value));
}

/** The subject's grid values but the seed, in words. */
function conditionOf(row: Row, keys: string[]): string {
  return keys.filter((k) => k !== 'seed').map((k) => (k === 'norm' || k === 'activation' ? row[k] : `${k}=${row[k]}`)).join(' · ');
}

/**
 * The paired differences of `metric` between the subject runs (`where`) and their partners: the
 * same runs' column `than`, or the runs that `than` names as a condition.
 */
export function pairedDifferences(rows: Row[], grid: GridColumns, metric: string, than: string | RunFilter, where?: RunFilter): PairedStat {
  const subjects = rows.filter((r) => matches(r, where) && (typeof than === 'string' || !matches(r, than)));
  const identity = (r: Row, over: RunFilter = {}) => JSON.stringify(grid.keys.map((k) => (k in over ? text(over[k]!) : r[k])));
  const byIdentity = new Map(rows.map((r) => [identity(r), r]));
  const pairs: Pair[] = [];
  const unpaired: PairedStat['unpaired'] = [];
  for (const row of subjects) {
    const partner = typeof than === 'string' ? row : byIdentity.get(identity(row, than));
    const partnerColumn = typeof than === 'string' ? than : metric;
    if (!partner) {
      unpaired.push({run_id: row.run_id!, why: 'no run of the other condition with this seed'});
      continue;
    }
    const bad = [row, partner].find((r) => r.status !== 'ok');
    if (bad) {
      unpaired.push({run_id: row.run_id!, why: `${bad === row ? 'it' : `its partner ${partner.run_id}`} ${bad.status}`});
      continue;
    }
    const a = parseNumber(row[metric]);
    const b = parseNumber(partner[partnerColumn]);
    if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) {
      unpaired.push({run_id: row.run_id!, why: `no number in ${a === undefined || !Number.isFinite(a) ? metric : partnerColumn} (${a === undefined || !Number.isFinite(a) ? row[metric] || 'empty' : partner[partnerColumn] || 'empty'})`});
      continue;
    }
    pairs.push({run_id: row.run_id!, partner_id: partner.run_id!, seed: row.seed!, condition: conditionOf(row, grid.keys), subject: a, partner: b, difference: a - b});
  }
  const stat = describe(pairs.map((p) => p.difference));
  const sign = Math.sign(stat.mean ?? 0);
  const agree = sign === 0 ? 0 : pairs.filter((p) => Math.sign(p.difference) === sign).length;
  return {...stat, pairs, agree, unpaired};
}

/**
 * How many pairs would likely make the 95 % interval clear `edge` if the mean and sd stayed as
 * they are: the least n with t_{0.975, n−1} · sd / √n < |mean − edge|; undefined when no n up to
 * `cap` would (a mean on the edge, or no spread measured yet).
 */
export function pairsToSettle(stat: Stat, edge: number, cap = 1000): number | undefined {
  if (stat.mean === undefined || stat.sd === undefined) return undefined;
  const gap = Math.abs(stat.mean - edge);
  if (gap === 0) return undefined;
  if (stat.sd === 0) return Math.max(2, stat.n);
  for (let n = 2; n <= cap; n++) if ((t975(n - 1) * stat.sd) / Math.sqrt(n) < gap) return n;
  return undefined;
}
