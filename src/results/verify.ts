// verify: is a results directory a faithful rerun of a reference? It reads results files only.
//
// 1. The same experiment: the config hashes match (otherwise: which keys differ).
// 2. The same runs, by run_id: none missing, none extra; the results are complete.
// 3. Every compared value within tolerance, |now − ref| ≤ atol + rtol·|ref| (nan equals nan,
//    inf equals inf): each summary metric, and with `curves` every curve point. Status must
//    match exactly. Timing columns are never compared.
// Tolerances, rtol and atol each on its own (toleranceFor): --rtol / --atol when given, else the
// experiment's `verify:` block as the results' manifest records it (the metric's own, then the
// block's), else DEFAULT_RTOL / DEFAULT_ATOL. The report says which applied to every metric.

import {existsSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {tuneSpec} from '../spec/tune.js';
import {readResults, RESULT_FILES} from './read.js';
import {readTuningChoices, TUNING_DIR} from './tuning.js';
import type {VerifySpec} from '../spec/experiment.js';
import {UserError} from '../errors.js';
import {nearest} from '../suggest.js';
import {columnRole, resultsFactorKeys} from './columns.js';
import {parseNumber} from './format.js';
import {dataDifferences, experimentChange} from './store.js';
import {configHash, writtenKinds} from './manifest.js';
import {stableStringify} from '../util/canonical.js';
import type {CsvTable, Results} from './read.js';

export const DEFAULT_RTOL = 1e-4;
export const DEFAULT_ATOL = 1e-6;


export interface VerifyOptions {
  rtol?: number;
  atol?: number;
  /** Compare only these metrics (columns). */
  metrics?: string[];
  /** Compare every curve point too. */
  curves?: boolean;
}

/** The tolerance one metric was compared with, and where each half came from. */
export interface AppliedTolerance {
  rtol: number;
  atol: number;
  /** `--rtol`, `verify.metrics.<metric>.rtol`, `verify.rtol` or `default` (and the same for atol). */
  from: {rtol: string; atol: string};
}

export interface Drift {
  run_id: string;
  run: string;
  file: 'summary' | 'curves' | 'tuning';
  step: number | null;
  metric: string;
  reference: string;
  now: string;
  difference: number | null;
  allowed: number | null;
}

export interface RunRef {
  run_id: string;
  run: string;
}

export interface VerifyReport {
  ok: boolean;
  results: string;
  reference: string;
  experiment: string;
  /**
   * The experiments: `same` when they train the same (their identity hashes agree); keys that
   * differ and do not change training (wording, targets, tolerances, claims) are listed in
   * `not_training` and decide nothing.
   */
  config: {now: string; reference: string; same: boolean; differing_keys: string[]; differences: Array<{key: string; reference: unknown; now: unknown}>; not_training: string[]};
  /** The data files the runs read: each one that differs from the reference's (results that recorded none are not compared). */
  data: {same: boolean; differences: string[]};
  backend: {now: string; reference: string};
  normbench: {now: string; reference: string; same_code: boolean};
  state: {now: string; reference: string};
  runs: {compared: number; missing: RunRef[]; extra: RunRef[]};
  values_compared: number;
  /** What a metric without its own tolerance is compared with; per_metric: every compared metric's. */
  tolerance: AppliedTolerance & {per_metric: Record<string, AppliedTolerance>};
  /** What reading the two directories found and read past (CRLF line endings, bytes after the committed length). */
  notes: string[];
  drift: Drift[];
  /** A tuned experiment: its tuning runs verified the same way, and each condition's chosen value. */
  tuning?: VerifyReport;
}

function table(t: CsvTable): Array<Record<string, string>> {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]!])));
}

/**
 * The tolerance `metric` is compared with (undefined: a metric with no tolerance of its own), rtol
 * and atol each from the first place that sets it: the flag, the metric's entry in the experiment's
 * `verify.metrics`, the block's own rtol/atol, the built-in default.
 */
export function toleranceFor(metric: string | undefined, spec: VerifySpec, options: Pick<VerifyOptions, 'rtol' | 'atol'> = {}): AppliedTolerance {
  const pick = (key: 'rtol' | 'atol', builtIn: number): [number, string] => {
    const flag = options[key];
    if (flag !== undefined) return [flag, `--${key}`];
    const own = metric === undefined ? undefined : spec.metrics[metric]?.[key];
    if (own !== undefined) return [own, `verify.metrics.${metric}.${key}`];
    const block = spec[key];
    if (block !== undefined) return [block, `verify.${key}`];
    return [builtIn, 'default'];
  };
  const [rtol, rtolFrom] = pick('rtol', DEFAULT_RTOL);
  const [atol, atolFrom] = pick('atol', DEFAULT_ATOL);
  return {rtol, atol, from: {rtol: rtolFrom, atol: atolFrom}};
}

const label = (row: Record<string, string>, factorKeys: string[]) =>
  [row.norm, row.activation, `seed ${row.seed}`, ...factorKeys.filter((k) => row[k] !== undefined).map((k) => `${k}=${row[k]}`)].join(' · ');

/** The measured columns of a table: not identity, not grid factors, not timing. */
function metricColumns(columns: string[], factorKeys: string[]): string[] {
  return columns.filter((c) => columnRole(c, factorKeys) === 'measure');
}

export function verifyResults(now: Results, ref: Results, options: VerifyOptions = {}): VerifyReport {
  if (resolve(now.dir) === resolve(ref.dir)) {
    throw new UserError(`the results and the reference are the same directory (${now.dir}): that proves nothing`, undefined, 'usage');
  }
  const m = now.manifest;
  const r = ref.manifest;
  const spec = m.config.verify ?? {metrics: {}};
  const factorKeys = resultsFactorKeys(m);
  const summaryMetrics = metricColumns(ref.summary.columns, factorKeys);
  const curveMetrics = metricColumns(ref.curves.columns, factorKeys);
  for (const metric of options.metrics ?? []) {
    if (!summaryMetrics.includes(metric) && !curveMetrics.includes(metric)) {
      const guess = nearest(metric, [...summaryMetrics, ...curveMetrics]);
      throw new UserError(
        `--metric ${metric}: no such metric${guess ? ` — did you mean "${guess}"?` : ''} (summary: ${summaryMetrics.join(', ')}; curves, with --curves: ${curveMetrics.join(', ')})`,
        undefined,
        'usage',
      );
    }
  }
  const chosen = (c: string) => !options.metrics?.length || options.metrics.includes(c);
  const comparedMetrics = [...summaryMetrics, ...(options.curves ? curveMetrics : [])].filter(chosen);
  const perMetric = Object.fromEntries(comparedMetrics.map((metric) => [metric, toleranceFor(metric, spec, options)]));
  const tol = (metric: string) => perMetric[metric] ?? toleranceFor(metric, spec, options);
  const drift: Drift[] = [];
  let values = 0;

  const compare = (run: RunRef, file: Drift['file'], step: number | null, metric: string, a: string | undefined, b: string | undefined) => {
    values++;
    if (a === b) return;
    const x = parseNumber(a);
    const y = parseNumber(b);
    const {rtol, atol} = tol(metric);
    const allowed = x === undefined || !Number.isFinite(x) ? 0 : atol + rtol * Math.abs(x);
    if (x !== undefined && y !== undefined) {
      if (Number.isNaN(x) && Number.isNaN(y)) return;
      const difference = y - x;
      if (Math.abs(difference) <= allowed) return;
      drift.push({...run, file, step, metric, reference: a!, now: b!, difference: Number.isFinite(difference) ? difference : null, allowed});
    } else {
      drift.push({...run, file, step, metric, reference: a ?? '(none)', now: b ?? '(none)', difference: null, allowed: null});
    }
  };

  // 2. The same runs.
  const nowRows = new Map(table(now.summary).map((row) => [row.run_id!, row]));
  const refRows = new Map(table(ref.summary).map((row) => [row.run_id!, row]));
  const missing = [...refRows.values()].filter((row) => !nowRows.has(row.run_id!)).map((row) => ({run_id: row.run_id!, run: label(row, factorKeys)}));
  const extra = [...nowRows.values()].filter((row) => !refRows.has(row.run_id!)).map((row) => ({run_id: row.run_id!, run: label(row, factorKeys)}));

  // 3. Values: summary, then curves.
  for (const [id, refRow] of refRows) {
    const nowRow = nowRows.get(id);
    if (!nowRow) continue;
    const run = {run_id: id, run: label(refRow, factorKeys)};
    compare(run, 'summary', null, 'status', refRow.status, nowRow.status);
    for (const metric of summaryMetrics.filter(chosen)) compare(run, 'summary', null, metric, refRow[metric], nowRow[metric]);
  }
  if (options.curves) {
    const points = (t: CsvTable) => new Map(table(t).map((row) => [`${row.run_id}@${row.step}`, row]));
    const nowPoints = points(now.curves);
    const refPoints = points(ref.curves);
    for (const [key, refRow] of refPoints) {
      if (!nowRows.has(refRow.run_id!)) continue;
      const run = {run_id: refRow.run_id!, run: label(refRow, factorKeys)};
      const nowRow = nowPoints.get(key);
      const step = Number(refRow.step);
      if (!nowRow) {
        drift.push({...run, file: 'curves', step, metric: '(point)', reference: 'present', now: 'missing', difference: null, allowed: null});
        continue;
      }
      for (const metric of curveMetrics.filter(chosen)) compare(run, 'curves', step, metric, refRow[metric], nowRow[metric]);
    }
    for (const [key, nowRow] of nowPoints) {
      if (refPoints.has(key) || !refRows.has(nowRow.run_id!)) continue;
      drift.push({run_id: nowRow.run_id!, run: label(nowRow, factorKeys), file: 'curves', step: Number(nowRow.step), metric: '(point)', reference: 'missing', now: 'present', difference: null, allowed: null});
    }
  }

  // Identity from the configs themselves: a reference written before a key stopped being identity recorded another hash.
  // Two configs that write the same grid of runs another way (blocks, or a merge's joined grid) are one experiment.
  const sameRuns = stableStringify([...m.grid.run_ids].sort()) === stableStringify([...r.grid.run_ids].sort()) &&
    writtenKinds(m.config) === writtenKinds(r.config) && stableStringify(m.config.tune) === stableStringify(r.config.tune);
  const sameConfig = configHash(m.config) === configHash(r.config) || sameRuns;
  const change = experimentChange(r.config, m.config);
  const data = dataDifferences(r, m);
  const incomplete = m.state !== 'complete';
  return {
    ok: sameConfig && data.length === 0 && missing.length === 0 && extra.length === 0 && drift.length === 0 && !incomplete,
    results: now.dir,
    reference: ref.dir,
    experiment: m.experiment,
    config: {
      now: configHash(m.config), reference: configHash(r.config), same: sameConfig, differing_keys: sameConfig ? [] : [...new Set(change.training.map((d) => d.key))],
      differences: sameConfig ? [] : change.training.map((d) => ({key: d.key, reference: d.a ?? null, now: d.b ?? null})),
      not_training: change.wording,
    },
    data: {same: data.length === 0, differences: data},
    backend: {now: m.backend, reference: r.backend},
    normbench: {now: `${m.normbench.version} build ${m.normbench.build}`, reference: `${r.normbench.version} build ${r.normbench.build}`, same_code: m.normbench.build === r.normbench.build},
    state: {now: m.state, reference: r.state},
    runs: {compared: refRows.size - missing.length, missing, extra},
    values_compared: values,
    tolerance: {...toleranceFor(undefined, spec, options), per_metric: perMetric},
    notes: [...now.notes, ...ref.notes],
    drift,
  };
}

/**
 * Verify a results directory against a reference; when the reference is a tuned experiment's,
 * its tuning too: the tuning runs (as results of their own, in tuning/) and the value each
 * condition chose (tuning.csv), which must be the same value exactly.
 */
export function verifyDirs(nowDir: string, refDir: string, options: VerifyOptions = {}): VerifyReport {
  const now = readResults(nowDir);
  const ref = readResults(refDir);
  const report = verifyResults(now, ref, options);
  const tune = ref.manifest.config.tune;
  if (!tune || !existsSync(join(refDir, TUNING_DIR, RESULT_FILES.manifest))) return report;
  const spec = tuneSpec(tune);
  if (!existsSync(join(nowDir, TUNING_DIR, RESULT_FILES.manifest))) {
    throw new UserError(`the reference ${refDir} holds a tuned experiment's tuning (tuning/), and ${nowDir} has none`, undefined, 'results');
  }
  const tuning = verifyResults(readResults(join(nowDir, TUNING_DIR)), readResults(join(refDir, TUNING_DIR)), {...options, metrics: undefined});
  const chosenNow = readTuningChoices(nowDir, spec) ?? new Map<string, number>();
  const chosenRef = readTuningChoices(refDir, spec) ?? new Map<string, number>();
  for (const [group, value] of chosenRef) {
    tuning.values_compared++;
    const mine = chosenNow.get(group);
    if (mine === value) continue;
    tuning.drift.push({run_id: '', run: group, file: 'tuning', step: null, metric: `chosen ${spec.key}`, reference: String(value), now: mine === undefined ? '(none)' : String(mine), difference: null, allowed: 0});
  }
  tuning.ok = tuning.ok && tuning.drift.length === 0;
  return {...report, ok: report.ok && tuning.ok, tuning};
}

const num = (x: number | null) => (x === null ? '—' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2));

/**
 * The tolerances applied, for the closing line: the general rtol and atol, each with where it came
 * from in brackets, then the metrics compared with tolerances of their own (verify.metrics).
 */
export function toleranceText(t: VerifyReport['tolerance'], show = 4): string {
  const from = (source: string) => (source.startsWith('verify.metrics.') ? 'verify.metrics' : source);
  const general = `rtol ${t.rtol} [${from(t.from.rtol)}], atol ${t.atol} [${from(t.from.atol)}]`;
  const own = Object.entries(t.per_metric).flatMap(([metric, m]) => {
    const parts = (['rtol', 'atol'] as const).filter((k) => m.from[k] !== t.from[k]).map((k) => `${k} ${m[k]} [${from(m.from[k])}]`);
    return parts.length ? [`${metric}: ${parts.join(', ')}`] : [];
  });
  const more = own.length > show ? [`${own.length - show} more metrics of their own (--json has each metric's)`] : [];
  return [general, ...own.slice(0, show), ...more].join('; ');
}

/** The report for people: a header, what drifted (a table), and one closing line. */
export function verifyText(report: VerifyReport, limit = 40): string {
  const lines: string[] = [];
  const note = report.backend.now !== report.backend.reference || !report.normbench.same_code
    ? '  (different backend or code: bitwise equality is not expected; the tolerances decide)'
    : '';
  lines.push(`verify ${report.results}`);
  lines.push(`  against ${report.reference}`);
  lines.push(`  experiment ${report.experiment} · config ${report.config.now}${!report.config.same ? ` ≠ reference ${report.config.reference}` : report.config.now === report.config.reference ? ' (same as the reference)' : ` (reference ${report.config.reference}: the same runs, written as another grid)`}`);
  lines.push(`  backend ${report.backend.now} (reference ${report.backend.reference}) · normbench ${report.normbench.now} (reference ${report.normbench.reference})`);
  if (note) lines.push(note);
  for (const n of report.notes) lines.push(`  note: ${n}`);
  if (!report.config.same) {
    const show = (v: unknown) => {
      const text = v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);
      return text.length > 60 ? `${text.slice(0, 57)}…` : text;
    };
    lines.push(`  the experiments differ in: ${report.config.differing_keys.join(', ')}`);
    for (const d of report.config.differences.slice(0, 10)) lines.push(`    ${d.key}: ${show(d.reference)} (reference) → ${show(d.now)}`);
    if (report.config.differences.length > 10) lines.push(`    … and ${report.config.differences.length - 10} more (--json lists all)`);
  }
  if (report.config.not_training.length) lines.push(`  changed, not what it trains (so it decides nothing): ${report.config.not_training.join(', ')}`);
  for (const d of report.data.differences) lines.push(`  ${d}`);
  if (report.state.now !== 'complete') lines.push(`  the results are not complete (state: ${report.state.now})`);
  // A long list of runs says little more than its first few: the rest are counted (--json lists all).
  const runLines = (what: string, runs: RunRef[]) => {
    for (const r of runs.slice(0, 10)) lines.push(`  ${what} run ${r.run_id} (${r.run})`);
    if (runs.length > 10) lines.push(`  … and ${runs.length - 10} more ${what} runs (--json lists all)`);
  };
  runLines('missing', report.runs.missing);
  runLines('extra', report.runs.extra);
  if (report.drift.length > 0) {
    const header = ['run', 'metric', 'step', 'reference', 'now', 'difference', 'allowed'];
    const rows = report.drift.slice(0, limit).map((d) => [d.run, d.metric, d.step === null ? '' : String(d.step), d.reference, d.now, num(d.difference), num(d.allowed)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
    lines.push('', line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line));
    if (report.drift.length > limit) lines.push(`… and ${report.drift.length - limit} more (--json lists all)`);
  }
  if (report.tuning) {
    const sub = verifyText(report.tuning, limit).split('\n').filter((l) => !/^ {2}(against|experiment|backend|\(different)/.test(l) && !l.startsWith('verify '));
    lines.push('', `tuning (${join(report.results, TUNING_DIR)} and the value each condition chose):`, ...sub.filter((l) => l !== '').map((l) => `  ${l}`));
  }
  const tol = toleranceText(report.tolerance);
  const runsDrifted = new Set(report.drift.map((d) => d.run_id)).size;
  lines.push('');
  const tuned = report.tuning ? ` and the tuning (${report.tuning.runs.compared} runs, ${report.tuning.values_compared} values, each condition's choice the same)` : '';
  lines.push(report.ok
    ? `OK: ${report.runs.compared} runs, ${report.values_compared} values within tolerance (${tol})${tuned}.`
    : `FAILED: ${[
      !report.config.same ? 'a different experiment' : '',
      !report.data.same ? 'different data' : '',
      report.state.now !== 'complete' ? `results ${report.state.now}` : '',
      report.drift.length ? `${report.drift.length} value${report.drift.length === 1 ? '' : 's'} outside tolerance in ${runsDrifted} run${runsDrifted === 1 ? '' : 's'} (${tol})` : '',
      report.runs.missing.length ? `${report.runs.missing.length} run${report.runs.missing.length === 1 ? '' : 's'} missing` : '',
      report.runs.extra.length ? `${report.runs.extra.length} extra run${report.runs.extra.length === 1 ? '' : 's'}` : '',
      report.tuning && !report.tuning.ok ? 'the tuning differs' : '',
    ].filter(Boolean).join('; ')}.`);
  return lines.join('\n');
}
