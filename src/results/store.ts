// The results directory while a grid runs. Writing is append-only and crash-safe:
//   1. a finished run's curve rows are appended to curves.csv in one write, then its summary row
//      to summary.csv;
//   2. then manifest.json is replaced atomically, listing the run and the new committed length
//      of each CSV. Only then is the run part of the results.
// A process killed at any moment leaves whole runs up to the committed lengths; anything after
// them (a run appended but not yet committed) is ignored by readers and cut off on resume.
// Finished runs are appended in the order they finish; when the grid completes, the files are
// put in grid order once, so the result is the same however the work was split or resumed.
//
// Opening a directory that already holds results decides between three things:
//   - resume: the same config, normbench build, backend and shard → skip finished runs, redo
//     failed and unfinished ones;
//   - replace (`--force` without `--resume`): train everything again;
//   - refuse (exit 2, naming what differs): anything else, so that nothing is silently overwritten
//     and stale results never stand in for new ones.

import {EVAL_MODES} from '../spec/names.js';
import {appendFileSync, closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeSync} from 'node:fs';
import {hostname} from 'node:os';
import {join} from 'node:path';
import {stringify} from 'csv-stringify/sync';
import type {ExpandedExperiment} from '../spec/experiment.js';
import {UserError} from '../errors.js';
import {stableStringify} from '../util/canonical.js';
import {curveRows, curveTable, diagnosticsRows, diagnosticsTable, gradientFlowRows, gradientFlowTable, namesOf, rowsOf, summaryTable} from './columns.js';
import type {RunRecord} from '../spec/records.js';
import {toCsv, writeAtomic} from './files.js';
import {manifestRun, type Manifest, type ResultsState} from './manifest.js';
import {readResults, RESULT_FILES, type CsvName, type Results} from './read.js';
import {targetList} from '../spec/targets.js';

/** Files normbench writes into a results directory (replaced by `--force`). */
export const OWN_FILES = [RESULT_FILES.curves, RESULT_FILES.summary, RESULT_FILES.manifest, RESULT_FILES.gradient_flow, 'diagnostics.csv', 'report.md', 'plots'];
const LOCK = '.normbench.lock';

export interface OpenOptions {
  /** Retrain everything (without `resume`), or resume despite a different normbench or backend (with it). */
  force?: boolean;
  /** Resume explicitly: there must be results to resume. */
  resume?: boolean;
  /**
   * On resume, which committed runs to keep (default: every run that did not fail; a failed one
   * is trained again). A tuning rung keeps earlier rungs' runs as they are (they made its
   * selection) and drops its own that the selection no longer includes; the final stage drops
   * runs at values the tuning no longer chooses.
   */
  keep?: (run: Manifest['runs'][number]) => boolean;
}

export type OpenMode = 'fresh' | 'resume' | 'replace';

/** Top-level keys (dotted) whose values differ between two configs. */
export function diffKeys(a: unknown, b: unknown, prefix = ''): string[] {
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .sort()
      .flatMap((k) => diffKeys(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return stableStringify(a) === stableStringify(b) ? [] : [prefix || '(root)'];
}

/** The values that differ between two configs, by dotted key: what each holds there. */
export function diffValues(a: unknown, b: unknown, prefix = ''): Array<{key: string; a: unknown; b: unknown}> {
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .sort()
      .flatMap((k) => diffValues(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return stableStringify(a) === stableStringify(b) ? [] : [{key: prefix || '(root)', a, b}];
}

/** What differs between the results in a directory and the run about to start. */
export function differences(old: Manifest, next: Manifest): string[] {
  const out: string[] = [];
  if (old.config_hash !== next.config_hash) {
    out.push(`the experiment differs (config ${old.config_hash} → ${next.config_hash}; keys: ${diffKeys(old.config, next.config).join(', ')})`);
  }
  if (old.normbench.build !== next.normbench.build) {
    const commit = (m: Manifest) => (m.normbench.commit ? ` ${m.normbench.commit.slice(0, 10)}${m.normbench.dirty ? '+dirty' : ''}` : '');
    out.push(`normbench's code differs (${old.normbench.version}${commit(old)}, build ${old.normbench.build} → ` +
      `${next.normbench.version}${commit(next)}, build ${next.normbench.build})`);
  }
  if (old.backend !== next.backend) out.push(`the backend differs (${old.backend} → ${next.backend})`);
  if (old.tfjs_version !== next.tfjs_version) out.push(`the tfjs version differs (${old.tfjs_version} → ${next.tfjs_version})`);
  const shard = (m: Manifest) => (m.shard ? `${m.shard.index}/${m.shard.count}` : 'none');
  if (shard(old) !== shard(next)) out.push(`the shard differs (${shard(old)} → ${shard(next)})`);
  return out;
}

/** A tuned experiment's tuning, beside its results: written by the tuning stage before the results are opened. */
const TUNING_ENTRIES = new Set(['tuning', 'tuning.csv']);

function entries(dir: string): string[] {
  return readdirSync(dir).filter((name) => name !== LOCK && !/^\.\d+\.\d+\.tmp$/.test(name) && !TUNING_ENTRIES.has(name));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A recycled pid belongs to some other program: only a node process can be a normbench.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true;
  }
}

/** Refuse a directory another normbench process is writing; take over a stale lock. */
function takeLock(dir: string): void {
  const file = join(dir, LOCK);
  try {
    const [pid, host] = readFileSync(file, 'utf8').trim().split(' ');
    if (host === hostname() && Number(pid) !== process.pid && pidAlive(Number(pid))) {
      throw new UserError(`${dir} is being written by another normbench (pid ${pid}). Wait for it, or if none is running, delete ${file}.`, undefined, 'conflict');
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
  }
  const fd = openSync(file, 'w');
  writeSync(fd, `${process.pid} ${hostname()}\n`);
  closeSync(fd);
}

/** One CSV of a results directory: its columns, and the rows a finished run adds to it. */
interface Table {
  name: CsvName;
  columns: string[];
  rows(record: RunRecord): string[][];
}

/** The tables this experiment writes: curves and summary, and one per probe file asked for. */
function tablesOf(expanded: ExpandedExperiment): Table[] {
  const {factorKeys} = expanded;
  const targetKeys = targetList(expanded.config.targets).map((t) => t.key);
  const evalModes = EVAL_MODES.filter((mode) => expanded.runs.some((r) => r.eval_modes.includes(mode)));
  // A tune shard with no condition of its own has no runs: its columns still follow the experiment's data.
  const validation = expanded.runs.length ? expanded.runs.some((r) => r.dataset.validation !== undefined) : expanded.config.dataset.validation !== undefined;
  const summary = summaryTable(factorKeys, targetKeys, evalModes, validation, expanded.tuned);
  const tables: Table[] = [
    {name: 'curves', columns: namesOf(curveTable(factorKeys, validation)), rows: (r) => curveRows(r, factorKeys, validation)},
    {name: 'summary', columns: namesOf(summary), rows: (r) => rowsOf(summary, [r])},
  ];
  if (expanded.runs.some((r) => r.probes.includes('gradient_flow'))) {
    tables.push({name: 'gradient_flow', columns: namesOf(gradientFlowTable(factorKeys)), rows: (r) => gradientFlowRows(r, factorKeys)});
  }
  if (expanded.runs.some((r) => r.probes.some((p) => p !== 'gradient_flow'))) {
    tables.push({name: 'diagnostics', columns: namesOf(diagnosticsTable(factorKeys)), rows: (r) => diagnosticsRows(r, factorKeys)});
  }
  return tables;
}

export class ResultsStore {
  /** Run ids already finished here (skipped by the runner). */
  readonly done: Set<string>;
  private readonly tables: Table[];
  private readonly session: number;
  private bytes: Partial<Record<CsvName, number>>;
  private inGridOrder = true;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly mode: OpenMode,
    private readonly manifest: Manifest,
    expanded: ExpandedExperiment,
  ) {
    this.tables = tablesOf(expanded);
    this.done = new Set(manifest.runs.map((r) => r.run_id));
    this.session = manifest.sessions.length - 1;
    this.bytes = {...manifest.files};
  }

  private path(name: CsvName | 'manifest'): string {
    return join(this.dir, RESULT_FILES[name]);
  }

  /**
   * Open `dir` (which exists) for the run described by `next` (a new manifest, no runs yet):
   * resume, replace or refuse, as the header explains.
   */
  static open(dir: string, next: Manifest, expanded: ExpandedExperiment, options: OpenOptions = {}): ResultsStore {
    const {mode, old} = ResultsStore.decide(dir, next, options);
    return mode === 'resume' ? ResultsStore.resume(dir, old!, next, expanded, options.keep) : ResultsStore.fresh(dir, next, expanded, mode);
  }

  /**
   * What opening `dir` for `next` would do — start fresh, resume or replace — without writing
   * anything; a refusal is thrown. The runner asks this of every directory a run will write
   * (a tuned experiment's tuning and its results) before it trains anything.
   */
  static decide(dir: string, next: Manifest, options: OpenOptions = {}): {mode: OpenMode; old?: Results} {
    const present = existsSync(dir) ? entries(dir) : [];
    const hasManifest = present.includes(RESULT_FILES.manifest);
    if (present.length > 0 && !hasManifest && !options.force) {
      throw new UserError(
        `${dir} is not empty and holds no normbench results (no ${RESULT_FILES.manifest}); refusing to write into it. ` +
          'Choose a new or empty directory with --out, or use --force to write there anyway.',
        undefined,
        'conflict',
      );
    }
    if (!hasManifest) {
      if (options.resume) throw new UserError(`--resume: ${dir} holds no results to resume (no ${RESULT_FILES.manifest})`, undefined, 'conflict');
      return {mode: present.length > 0 ? 'replace' : 'fresh'};
    }
    let old: Results;
    try {
      old = readResults(dir);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      if (options.force && !options.resume) return {mode: 'replace'};
      throw new UserError(`${dir} holds results that cannot be resumed: ${error.message}\nUse --force to replace them, or --out for a new directory.`, undefined, 'conflict');
    }
    const diff = differences(old.manifest, next);
    const sameConfig = old.manifest.config_hash === next.config_hash;
    if (options.force && !options.resume) return {mode: 'replace'};
    if (diff.length > 0 && !(options.resume && options.force && sameConfig)) {
      const hint = sameConfig
        ? 'Use --force to retrain every run, --resume --force to keep the finished runs anyway (each run records who made it), or --out for a new directory.'
        : 'A different experiment cannot be resumed: use --force to replace these results, or --out for a new directory.';
      throw new UserError(`${dir} holds results of a different run:\n  - ${diff.join('\n  - ')}\n${hint}`, undefined, 'conflict');
    }
    return {mode: 'resume', old};
  }

  private static fresh(dir: string, next: Manifest, expanded: ExpandedExperiment, mode: OpenMode): ResultsStore {
    takeLock(dir);
    for (const name of OWN_FILES) rmSync(join(dir, name), {recursive: true, force: true});
    const store = new ResultsStore(dir, mode, next, expanded);
    store.rewrite({});
    return store;
  }

  /** Keep the finished runs (ok, diverged) that `keep` keeps; drop failed ones, and anything after the last commit. */
  private static resume(dir: string, old: Results, next: Manifest, expanded: ExpandedExperiment, keepRun?: OpenOptions['keep']): ResultsStore {
    takeLock(dir);
    const kept = old.manifest.runs.filter((r) => (keepRun ? keepRun(r) : r.status !== 'failed'));
    const keep = new Set(kept.map((r) => r.run_id));
    const manifest: Manifest = {
      ...next,
      started: old.manifest.started,
      sessions: [...old.manifest.sessions, ...next.sessions],
      runs: kept,
      files: old.manifest.files,
    };
    const store = new ResultsStore(dir, 'resume', manifest, expanded);
    // Runs were appended in the order they finished (several workers, or a resumed failure): the
    // files are put in grid order when the grid completes unless they already are.
    const index = new Map(manifest.grid.run_ids.map((id, i) => [id, i]));
    const order = old.summary.rows.map((r) => index.get(r[0]!) ?? -1);
    store.inGridOrder = order.every((x, i) => i === 0 || order[i - 1]! < x);
    const committed = old.manifest.files as Partial<Record<CsvName, number>>;
    if (kept.length < old.manifest.runs.length) {
      const rows: Partial<Record<CsvName, string[][]>> = {};
      for (const t of store.tables) rows[t.name] = (old[t.name]?.rows ?? []).filter((r) => keep.has(r[0]!));
      store.rewrite(rows);
    } else {
      for (const t of store.tables) {
        if (statSync(store.path(t.name)).size > committed[t.name]!) truncateSync(store.path(t.name), committed[t.name]);
      }
      store.writeManifest();
    }
    return store;
  }

  /** Replace every CSV with these rows (in grid order) and commit them. */
  private rewrite(rows: Partial<Record<CsvName, string[][]>>): void {
    const index = new Map(this.manifest.grid.run_ids.map((id, i) => [id, i]));
    const byGrid = (list: string[][]) => list.map((r, i) => ({r, i})).sort((a, b) => index.get(a.r[0]!)! - index.get(b.r[0]!)! || a.i - b.i).map((x) => x.r);
    for (const t of this.tables) {
      const text = toCsv(t.columns, byGrid(rows[t.name] ?? []));
      writeAtomic(this.path(t.name), text);
      this.bytes[t.name] = Buffer.byteLength(text);
    }
    this.inGridOrder = true;
    this.writeManifest();
  }

  private writeManifest(): void {
    this.manifest.files = {...this.bytes} as Manifest['files'];
    writeAtomic(this.path('manifest'), `${JSON.stringify(this.manifest, null, 2)}\n`);
  }

  /** Append a finished run to every CSV, then commit it in the manifest. */
  commit(record: RunRecord): void {
    for (const t of this.tables) {
      const text = stringify(t.rows(record), {record_delimiter: '\n'});
      appendFileSync(this.path(t.name), text);
      this.bytes[t.name] = (this.bytes[t.name] ?? 0) + Buffer.byteLength(text);
    }
    const runs = this.manifest.runs;
    if (runs.length > 0 && runs[runs.length - 1]!.index > record.spec.index) this.inGridOrder = false;
    runs.push(manifestRun(record, this.session, this.manifest.backend));
    runs.sort((a, b) => a.index - b.index);
    this.done.add(record.spec.run_id);
    this.manifest.sessions[this.session]!.runs++;
    this.writeManifest();
  }

  /** End the session: `complete` puts the files in grid order; `interrupted` keeps what is committed. */
  close(state: Exclude<ResultsState, 'running'>): void {
    if (this.closed) return;
    this.closed = true;
    const now = new Date().toISOString();
    if (state === 'complete' && !this.inGridOrder) {
      const results = readResults(this.dir);
      const rows: Partial<Record<CsvName, string[][]>> = {};
      for (const t of this.tables) rows[t.name] = results[t.name]?.rows ?? [];
      this.rewrite(rows);
    }
    this.manifest.state = state;
    this.manifest.finished = now;
    Object.assign(this.manifest.sessions[this.session]!, {state, finished: now});
    this.writeManifest();
    rmSync(join(this.dir, LOCK), {force: true});
  }
}
