// Reading a results directory back: the manifest, then each CSV up to the length the manifest
// committed (a run appended after the last commit, or torn by `kill -9`, is not part of the
// results). Everything verify, merge, report and resume know about results comes from here.

import {closeSync, openSync, readSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {parse} from 'csv-parse/sync';
import {UserError} from '../errors.js';
import {CURVE_MEASURES, RESULTS_FORMAT, RUN_COLUMNS} from './columns.js';
import type {Manifest} from './manifest.js';

export const RESULT_FILES = {curves: 'curves.csv', summary: 'summary.csv', manifest: 'manifest.json', gradient_flow: 'gradient_flow.csv', diagnostics: 'diagnostics.csv'} as const;

/** The CSV files of a results directory; the optional ones exist when a probe wrote them. */
export const CSV_FILES = ['curves', 'summary', 'gradient_flow', 'diagnostics'] as const;
export type CsvName = (typeof CSV_FILES)[number];

export interface CsvTable {
  columns: string[];
  /** Rows as parsed, each cell text exactly as written. */
  rows: string[][];
}

export interface Results {
  dir: string;
  manifest: Manifest;
  curves: CsvTable;
  summary: CsvTable;
  /** Present when the runs recorded the gradient_flow probe. */
  gradient_flow?: CsvTable;
  /** Present when the runs recorded any other probe. */
  diagnostics?: CsvTable;
}

const CURVE_HEAD: string[] = [...RUN_COLUMNS];
const CURVE_TAIL = CURVE_MEASURES;
const SUMMARY_HEAD: string[] = [...RUN_COLUMNS];

const bad = (message: string, file?: string, line?: number) =>
  new UserError(message, file ? {file, line} : undefined, 'results');

/** The first `length` bytes of a file (all of it when length is undefined). */
function readPrefix(file: string, length?: number): string {
  const size = statSync(file).size;
  const n = length ?? size;
  if (size < n) throw bad(`is ${size} bytes long, but the manifest records ${n}: it was cut short or changed outside normbench`, file);
  const buf = Buffer.alloc(n);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, n, 0);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

export function parseCsv(text: string, file: string): CsvTable {
  let records: string[][];
  try {
    records = parse(text, {relax_column_count: false, skip_empty_lines: false}) as string[][];
  } catch (error) {
    const e = error as Error & {lines?: number};
    throw bad(`is not valid CSV: ${e.message.replace(/^Invalid Record Length: /, '')}`, file, e.lines);
  }
  const [columns, ...rows] = records;
  if (!columns) throw bad('is empty (no header line)', file);
  return {columns, rows};
}

function expectColumns(table: CsvTable, head: string[], file: string, tail: string[] = []): void {
  const ok = head.every((c, i) => table.columns[i] === c) && tail.every((c) => table.columns.includes(c));
  if (!ok) throw bad(`does not have normbench's columns (expected ${[...head, '…', ...tail].join(', ')}; found ${table.columns.join(', ')})`, file, 1);
}

function readManifest(dir: string): Manifest {
  const file = join(dir, RESULT_FILES.manifest);
  let text: string;
  try {
    text = readPrefix(file);
  } catch (error) {
    if (error instanceof UserError) throw error;
    // A tuned experiment's tuning stage alone (`run --stage tune`, or merged tune shards).
    if (statSync(join(dir, 'tuning', RESULT_FILES.manifest), {throwIfNoEntry: false})) {
      throw bad(`${dir} holds only a tuned experiment's tuning (run --stage tune): its runs are a results directory of their own, ` +
        `${join(dir, 'tuning')}, and its choices are in ${join(dir, 'tuning.csv')}; the grid's results come with --stage final`);
    }
    throw bad(`${dir} is not a normbench results directory (it has no ${RESULT_FILES.manifest})`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (error) {
    throw bad(`is not valid JSON (${(error as Error).message})`, file);
  }
  if (typeof manifest !== 'object' || manifest === null || !('experiment' in manifest)) {
    throw bad('is not a normbench manifest', file);
  }
  if (manifest.format !== RESULTS_FORMAT) {
    const theirs = manifest.format ?? 1;
    throw bad(
      `was written in results format ${theirs} (normbench ${(manifest as {normbench_version?: string}).normbench_version ?? manifest.normbench?.version ?? '?'}); ` +
        `this normbench reads format ${RESULTS_FORMAT}. Rerun the experiment with this normbench.`,
      file,
    );
  }
  return manifest;
}

/** Read and check a results directory. Bad or foreign input is a UserError (exit 2). */
export function readResults(dir: string): Results {
  const stat = statSync(dir, {throwIfNoEntry: false});
  if (!stat) throw bad(`${dir}: no such directory`);
  if (!stat.isDirectory()) throw bad(`${dir}: not a directory`);
  const manifest = readManifest(dir);
  const committed: Partial<Record<CsvName, number>> = manifest.files ?? {};
  const read = (name: CsvName) => {
    const file = join(dir, RESULT_FILES[name]);
    if (!statSync(file, {throwIfNoEntry: false})) throw bad(`${dir} has a manifest but no ${RESULT_FILES[name]}`);
    return parseCsv(readPrefix(file, committed[name]), file);
  };
  const curves = read('curves');
  const summary = read('summary');
  const gradientFlow = committed.gradient_flow === undefined ? undefined : read('gradient_flow');
  const diagnostics = committed.diagnostics === undefined ? undefined : read('diagnostics');
  expectColumns(curves, CURVE_HEAD, join(dir, RESULT_FILES.curves), CURVE_TAIL);
  expectColumns(summary, SUMMARY_HEAD, join(dir, RESULT_FILES.summary), ['status']);
  // The manifest and the files must tell the same story.
  const listed = new Set(manifest.runs.map((r) => r.run_id));
  const summarised = new Set(summary.rows.map((r) => r[0]!));
  for (const id of listed) if (!summarised.has(id)) throw bad(`run ${id} is in the manifest but not in summary.csv`, join(dir, RESULT_FILES.summary));
  summary.rows.forEach((r, i) => {
    if (!listed.has(r[0]!)) throw bad(`run ${r[0]} is not in the manifest`, join(dir, RESULT_FILES.summary), i + 2);
  });
  for (const [name, table] of [['curves', curves], ['gradient_flow', gradientFlow], ['diagnostics', diagnostics]] as const) {
    table?.rows.forEach((r, i) => {
      if (!listed.has(r[0]!)) throw bad(`run ${r[0]} is not in the manifest`, join(dir, RESULT_FILES[name]), i + 2);
    });
  }
  return {dir, manifest, curves, summary, ...(gradientFlow ? {gradient_flow: gradientFlow} : {}), ...(diagnostics ? {diagnostics} : {})};
}

/** Rows as objects keyed by column. */
export function rowObjects(table: CsvTable): Array<Record<string, string>> {
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i]!])));
}
