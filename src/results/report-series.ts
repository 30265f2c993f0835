// A report's curves: values per run and step aggregated over seeds, the marks of diverged runs,
// and the optional results files (diagnostics, gradient flow) they are read from.

import {statSync} from 'node:fs';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {parseNumber} from './format.js';
import {parseCsv, readCommitted, rowObjects, type CsvTable, type Results} from './read.js';
import {runKey, type Condition, type RunIndex, type Source} from './report-data.js';

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
  return parseCsv(readCommitted(file, committed).text, file);
}
