// What a report is made of, from results files only: the sources (one per results directory),
// the conditions (a grid cell without its seed, within one source), each condition's summary
// statistics over seeds, and curves aggregated over seeds.
//
// Which runs count:
// - the table: runs with status `ok`; diverged and failed runs are counted, not averaged (a
//   diverged run's loss is nan, a failed run has no metrics);
// - steps to a target: the ok runs that reached it (`reached` of `n`);
// - the curves: the ok runs too, so that a line is the mean of the same seeds at every step
//   (a diverged run is drawn as a mark where it diverged instead).

import {readFileSync, statSync} from 'node:fs';
import {basename, join, resolve} from 'node:path';
import {UserError} from '../errors.js';
import {factorKeysOf} from './columns.js';
import {parseNumber} from './format.js';
import {parseCsv, rowObjects, type CsvTable, type Results} from './read.js';
import {describe, type Stat} from './report-stats.js';


export interface Source {
  /** The experiment name, or the directory name where two sources share an experiment. */
  label: string;
  results: Results;
  factorKeys: string[];
}

/** Where a run belongs, and how it ended. */
export interface RunInfo {
  condition: Condition;
  status: string;
  steps: number;
}

/** Runs of the report by runKey(source, run_id). */
export type RunIndex = Map<string, RunInfo>;

export const runKey = (source: string, runId: string) => `${source}\u0000${runId}`;

export interface RunRef {
  run_id: string;
  seed: string;
  status: string;
}

export interface Condition {
  /** Unique over the report. */
  key: string;
  source: string;
  norm: string;
  activation: string;
  /** Grid factors as written in the CSV (a factor another source has but this one lacks is ''). */
  factors: Record<string, string>;
  /** The same with their YAML types, from the manifest (for JSON). */
  factorValues: Record<string, unknown>;
  /** Facet panel: activation and factors, e.g. `relu · train.lr=0.1`. */
  panel: string;
  runs: RunRef[];
}

export type MetricKind = 'fraction' | 'value' | 'steps';

export interface Metric {
  /** summary.csv column. */
  key: string;
  label: string;
  kind: MetricKind;
}

export interface MetricStat extends Stat {
  /** Steps to a target: ok runs that reached it (the others are not in the statistics). */
  reached?: number;
}

export interface ConditionSummary {
  condition: Condition;
  /** Runs with status ok: the statistics are over these. */
  n: number;
  diverged: number;
  failed: number;
  metrics: Record<string, MetricStat>;
}

export const BASE_METRICS: Metric[] = [
  {key: 'final_test_accuracy', label: 'final acc %', kind: 'fraction'},
  {key: 'best_test_accuracy', label: 'best acc %', kind: 'fraction'},
  {key: 'final_test_loss', label: 'final test loss', kind: 'value'},
  {key: 'train_loss_auc', label: 'loss AUC', kind: 'value'},
];

/** `steps_to_test_accuracy_0.8` → `steps→test acc 0.8` (as in the run table). */
function targetLabel(column: string): string {
  const stem = column.slice('steps_to_'.length);
  const m = /^(.*)_([^_]+)$/.exec(stem);
  const [metric, value] = m ? [m[1]!, m[2]!] : [stem, ''];
  return `steps→${metric.replace('_accuracy', ' acc').replace('_loss', ' loss')} ${value}`.trimEnd();
}

/** One label per directory: the experiment name, unless two directories share it. */
export function makeSources(all: Results[]): Source[] {
  const resolved = all.map((r) => resolve(r.dir));
  resolved.forEach((dir, i) => {
    const j = resolved.indexOf(dir);
    if (j !== i) throw new UserError(`${all[i]!.dir} is given twice (as ${all[j]!.dir} too)`, undefined, 'usage');
  });
  const names = all.map((r) => r.manifest.experiment);
  const labels = all.map((r, i) => (names.filter((n) => n === names[i]).length > 1 ? basename(resolve(r.dir)) : names[i]!));
  return all.map((results, i) => ({
    label: labels.filter((l) => l === labels[i]).length > 1 ? results.dir : labels[i]!,
    results,
    factorKeys: factorKeysOf(results.manifest.config),
  }));
}

/** Factor keys over all sources, in order of first appearance. */
export function allFactorKeys(sources: Source[]): string[] {
  return [...new Set(sources.flatMap((s) => s.factorKeys))];
}

/** Conditions in order of appearance (grid order within a source), and run → condition. */
export function makeConditions(sources: Source[]): {conditions: Condition[]; runs: RunIndex} {
  const factorKeys = allFactorKeys(sources);
  const conditions = new Map<string, Condition>();
  const runs: RunIndex = new Map();
  for (const source of sources) {
    const typed = new Map(source.results.manifest.runs.map((r) => [r.run_id, r.factors ?? {}]));
    for (const row of rowObjects(source.results.summary)) {
      const factors = Object.fromEntries(factorKeys.map((k) => [k, row[k] ?? '']));
      const norm = row.norm!;
      const activation = row.activation!;
      const key = JSON.stringify([source.label, norm, activation, ...factorKeys.map((k) => factors[k])]);
      let c = conditions.get(key);
      if (!c) {
        const own = source.factorKeys;
        const fromManifest = typed.get(row.run_id!) ?? {};
        c = {
          key, source: source.label, norm, activation,
          factors,
          factorValues: Object.fromEntries(own.map((k) => [k, k in fromManifest ? fromManifest[k] : factors[k]])),
          panel: [activation, ...own.map((k) => `${k}=${factors[k]}`)].join(' · '),
          runs: [],
        };
        conditions.set(key, c);
      }
      c.runs.push({run_id: row.run_id!, seed: row.seed!, status: row.status!});
      runs.set(runKey(source.label, row.run_id!), {condition: c, status: row.status!, steps: Number(row.steps)});
    }
  }
  return {conditions: [...conditions.values()], runs};
}

/** `test_accuracy_population` → `population acc %` (the evaluation modes' columns). */
const MODE_COLUMN = /^test_(accuracy|loss)_(ema|population|batch)$/;

/** The table's metrics: the base four, every `steps_to_<target>` column, then the evaluation modes' accuracies and losses. */
export function metricsOf(sources: Source[]): Metric[] {
  const targets = [...new Set(sources.flatMap((s) => s.results.summary.columns.filter((c) => c.startsWith('steps_to_'))))];
  const modes = [...new Set(sources.flatMap((s) => s.results.summary.columns.filter((c) => MODE_COLUMN.test(c))))];
  const byKind = (kind: string) => modes.filter((c) => MODE_COLUMN.exec(c)![1] === kind);
  return [
    ...BASE_METRICS,
    ...targets.map((key) => ({key, label: targetLabel(key), kind: 'steps' as const})),
    ...byKind('accuracy').map((key) => ({key, label: `${MODE_COLUMN.exec(key)![2]} acc %`, kind: 'fraction' as const})),
    ...byKind('loss').map((key) => ({key, label: `${MODE_COLUMN.exec(key)![2]} loss`, kind: 'value' as const})),
  ];

}

/** Statistics per condition over its ok runs. */
export function summarise(sources: Source[], conditions: Condition[], metrics: Metric[]): ConditionSummary[] {
  const rows = new Map<string, Record<string, string>>();
  for (const s of sources) for (const row of rowObjects(s.results.summary)) rows.set(runKey(s.label, row.run_id!), row);
  return conditions.map((condition) => {
    const mine = condition.runs.map((r) => rows.get(runKey(condition.source, r.run_id))!);
    const ok = mine.filter((r) => r.status === 'ok');
    const stats: Record<string, MetricStat> = {};
    const columns = sources.find((s) => s.label === condition.source)!.results.summary.columns;
    for (const m of metrics) {
      // A target of another source's experiment does not apply here: no value, not "none reached".
      if (!columns.includes(m.key)) {
        stats[m.key] = {n: 0};
        continue;
      }
      const values = ok.map((r) => parseNumber(r[m.key])).filter((x): x is number => x !== undefined && Number.isFinite(x));
      stats[m.key] = m.kind === 'steps' ? {...describe(values), reached: values.length} : describe(values);
    }
    return {
      condition,
      n: ok.length,
      diverged: mine.filter((r) => r.status === 'diverged').length,
      failed: mine.filter((r) => r.status === 'failed').length,
      metrics: stats,
    };
  });
}

/** One point of a curve aggregated over seeds: the line (mean, or a middle percentile) and its band. */
export interface SeriesPoint {
  condition: string;
  source: string;
  norm: string;
  panel: string;
  /** A further facet (layer, which step), '' when none. */
  row: string;
  x: number;
  y: number;
  lo: number;
  hi: number;
  /** Runs contributing. */
  n: number;
}

/** A value of one run at one x, to be aggregated over the seeds of its condition. */
export interface RunValue {
  source: string;
  run_id: string;
  row: string;
  x: number;
  value: number;
}

/**
 * Mean over the ok runs of a condition with a min–max band: group by (condition, row, x), finite
 * values only, in the order conditions and x first appear.
 */
export function aggregate(values: RunValue[], runs: RunIndex): SeriesPoint[] {
  const groups = new Map<string, {c: Condition; row: string; x: number; v: number[]}>();
  for (const p of values) {
    if (!Number.isFinite(p.value)) continue;
    const run = runs.get(runKey(p.source, p.run_id));
    if (run?.status !== 'ok') continue;
    const c = run.condition;
    const key = `${c.key}\u0000${p.row}\u0000${p.x}`;
    const g = groups.get(key) ?? {c, row: p.row, x: p.x, v: []};
    g.v.push(p.value);
    groups.set(key, g);
  }
  return [...groups.values()].map(({c, row, x, v}) => ({
    condition: c.key, source: c.source, norm: c.norm, panel: c.panel, row, x,
    y: v.reduce((a, b) => a + b, 0) / v.length, lo: Math.min(...v), hi: Math.max(...v), n: v.length,
  }));
}

/** A curves.csv column of every source as run values against step. */
export function curveValues(sources: Source[], column: string): RunValue[] {
  return sources.flatMap((s) => {
    const c = s.results.curves.columns.indexOf(column);
    const step = s.results.curves.columns.indexOf('step');
    if (c < 0) return [];
    return s.results.curves.rows.flatMap((r) => {
      const value = parseNumber(r[c]);
      return value === undefined ? [] : [{source: s.label, run_id: r[0]!, row: '', x: Number(r[step]), value}];
    });
  });
}

/** A run that diverged, marked at the step it diverged and its metric's last finite value. */
export type DivergedMark = Omit<SeriesPoint, 'lo' | 'hi' | 'n'>;

export function divergedMarks(values: RunValue[], runs: RunIndex): DivergedMark[] {
  const last = new Map<string, RunValue>();
  for (const p of values) {
    const key = runKey(p.source, p.run_id);
    if (runs.get(key)?.status === 'diverged' && Number.isFinite(p.value)) last.set(key, p);
  }
  return [...last.entries()].map(([key, p]) => {
    const {condition: c, steps} = runs.get(key)!;
    return {condition: c.key, source: c.source, norm: c.norm, panel: c.panel, row: p.row, x: steps, y: p.value};
  });
}

// ── Optional files ─────────────────────────────────────────────────────────────────────────

export const OPTIONAL_FILES = {
  diagnostics: {file: 'diagnostics.csv', columns: ['run_id', 'step', 'probe', 'layer', 'value']},
  gradient_flow: {file: 'gradient_flow.csv', columns: ['run_id', 'step', 't', 'grad_norm']},
} as const;

export type OptionalName = keyof typeof OPTIONAL_FILES;

/**
 * An optional results file (diagnostics.csv, gradient_flow.csv) when the directory has one. The
 * table readResults read, when it reads this file (the manifest commits its length); otherwise
 * the file itself, cut at the manifest's committed length when it records one. Either way
 * checked for its columns, and only rows of committed runs (a run the manifest does not list is
 * not part of the results).
 */
export function readOptional(results: Results, name: OptionalName): Array<Record<string, string>> | undefined {
  const {file: fileName, columns} = OPTIONAL_FILES[name];
  const file = join(results.dir, fileName);
  const table = (results as unknown as Partial<Record<OptionalName, CsvTable>>)[name] ?? readOwn(results, name, file);
  if (!table) return undefined;
  const missing = columns.filter((c) => !table.columns.includes(c));
  if (missing.length > 0) {
    throw new UserError(`lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${columns.join(', ')}, …; found ${table.columns.join(', ')})`, {file, line: 1}, 'results');
  }
  const listed = new Set(results.manifest.runs.map((r) => r.run_id));
  return rowObjects(table).filter((r) => listed.has(r.run_id!));
}

function readOwn(results: Results, name: OptionalName, file: string): CsvTable | undefined {
  if (!statSync(file, {throwIfNoEntry: false})?.isFile()) return undefined;
  const committed = (results.manifest.files as Record<string, number | undefined>)[name];
  const bytes = readFileSync(file);
  if (committed !== undefined && bytes.length < committed) {
    throw new UserError(`is ${bytes.length} bytes long, but the manifest records ${committed}: it was cut short or changed outside normbench`, {file}, 'results');
  }
  return parseCsv(bytes.subarray(0, committed ?? bytes.length).toString('utf8'), file);
}
