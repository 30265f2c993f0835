// Reading a results directory back: the manifest, then each CSV up to the length the manifest
// committed (a run appended after the last commit, or torn by `kill -9`, is not part of the
// results). Everything verify, merge, report and resume know about results comes from here.
//
// A file that changed outside normbench is named as such (readCommitted): shorter than the
// manifest records, cut mid-line at the committed length, or not valid CSV there, with how
// much longer or shorter it is. One change is read past: CRLF line endings (a git checkout
// with core.autocrlf). normbench writes LF and never a CR, so turning CRLF back into LF gives
// the bytes it wrote; the reader says so in `notes`, and a resume rewrites such files in LF
// before it appends (store.ts).

import {readFileSync, statSync} from 'node:fs';
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
  /** What reading found and read past, for the user: CRLF line endings read as LF, bytes after the committed length of complete results. */
  notes: string[];
  /** The files that had CRLF line endings (read as LF): a writer must rewrite them before it appends. */
  crlf: CsvName[];
}

const CURVE_HEAD: string[] = [...RUN_COLUMNS];
const CURVE_TAIL = CURVE_MEASURES;
const SUMMARY_HEAD: string[] = [...RUN_COLUMNS];

const bad = (message: string, file?: string, line?: number) =>
  new UserError(message, file ? {file, line} : undefined, 'results');

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A file's committed text, with what reading it found (a CSV's `crlf`, and notes for the user). */
export interface Committed {
  text: string;
  crlf: boolean;
  /** The file's length in bytes, CRLF read as LF. */
  size: number;
  notes: string[];
}

/**
 * The first `length` bytes of a CSV as normbench wrote them (all of it when length is undefined):
 * CRLF line endings read as LF, then checked against the committed length — the file must reach
 * it, and a line must end there (normbench commits whole rows only). `complete`: the results
 * are complete, so bytes after the committed length are not a run cut off by a crash but a change
 * made outside normbench (a note; readers ignore them all the same).
 */
export function readCommitted(file: string, length?: number, complete = false): Committed {
  // 1. CRLF line endings, told by the header line's: read as LF.
  let bytes = readFileSync(file);
  const firstLine = bytes.indexOf(0x0a);
  const crlf = firstLine > 0 && bytes[firstLine - 1] === 0x0d;
  const onDisk = bytes.length;
  if (crlf) bytes = Buffer.from(bytes.toString('utf8').replaceAll('\r\n', '\n'), 'utf8');
  const size = bytes.length;
  const n = length ?? size;
  const asLf = crlf ? ` with its CRLF line endings read as LF (${onDisk} bytes on disk)` : '';
  const notes: string[] = [];
  if (crlf) {
    notes.push(`${file} has CRLF line endings (a git checkout with core.autocrlf?); read as LF, as normbench wrote it` +
      `${size >= n ? `: ${n} bytes, the length the manifest committed` : ''}`);
  }
  // 2. Shorter than committed: rows are missing.
  if (size < n) throw bad(`is ${size} bytes long${asLf}, ${plural(n - size, 'byte')} shorter than the manifest records (${n}): it was cut short or changed outside normbench`, file);
  // 3. A line must end at the committed length.
  const longer = size > n ? `; the file is ${plural(size - n, 'byte')} longer than the manifest records${asLf}` : asLf ? `;${asLf}` : '';
  if (n > 0 && bytes[n - 1] !== 0x0a) {
    throw bad(`changed outside normbench: no line ends at the ${n} bytes the manifest committed${longer}, so what comes before them is not what normbench wrote ` +
      '(edited, or rewritten by another tool). Restore it (git checkout), or rerun the experiment.', file);
  }
  if (size > n && complete) {
    notes.push(`${file} has ${plural(size - n, 'byte')} after the ${n} the manifest committed, in complete results: not written by normbench (edited?); ignored, as every reader ignores them`);
  }
  return {text: bytes.subarray(0, n).toString('utf8'), crlf, size, notes};
}

/** A CSV's committed rows: readCommitted, parsed; a committed file that does not parse was changed outside normbench. */
function readCommittedCsv(file: string, length: number | undefined, complete: boolean): Committed & {table: CsvTable} {
  const committed = readCommitted(file, length, complete);
  try {
    return {...committed, table: parseCsv(committed.text, file)};
  } catch (error) {
    if (!(error instanceof UserError) || length === undefined) throw error;
    const {size, crlf} = committed;
    const also = [crlf ? 'has CRLF line endings (read as LF)' : '', size > length ? `is ${plural(size - length, 'byte')} longer than the manifest records` : ''].filter(Boolean);
    throw new UserError(`${error.detail}, in the ${length} bytes the manifest committed: not what normbench wrote, so the file was changed outside normbench` +
      `${also.length ? ` (it also ${also.join(' and ')})` : ''}. Restore it (git checkout), or rerun the experiment.`, error.location, 'results');
  }
}

export function parseCsv(text: string, file: string): CsvTable {
  let records: string[][];
  try {
    records = parse(text, {relax_column_count: false, skip_empty_lines: false}) as string[][];
  } catch (error) {
    const e = error as Error & {lines?: number};
    const length = /^Invalid Record Length: expect (\d+), got (\d+) on line (\d+)/.exec(e.message);
    const what = length ? `line ${length[3]} has ${length[2]} fields, the header ${length[1]}` : e.message;
    throw bad(`is not valid CSV: ${what}`, file, e.lines);
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
    text = readFileSync(file, 'utf8');
  } catch {
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
  const notes: string[] = [];
  const crlf: CsvName[] = [];
  const read = (name: CsvName) => {
    const file = join(dir, RESULT_FILES[name]);
    if (!statSync(file, {throwIfNoEntry: false})) throw bad(`${dir} has a manifest but no ${RESULT_FILES[name]}`);
    const got = readCommittedCsv(file, committed[name], manifest.state === 'complete');
    notes.push(...got.notes);
    if (got.crlf) crlf.push(name);
    return got.table;
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
  return {dir, manifest, curves, summary, ...(gradientFlow ? {gradient_flow: gradientFlow} : {}), ...(diagnostics ? {diagnostics} : {}), notes, crlf};
}

/** Rows as objects keyed by column. */
export function rowObjects(table: CsvTable): Array<Record<string, string>> {
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i]!])));
}
