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
//   - resume: the same normbench build, backend, shard and data → skip finished runs, redo failed
//     and unfinished ones. The experiment may have changed: a changed wording, targets or verify
//     tolerances are said and what depends on them (steps_to_*) recomputed; a changed grid keeps
//     the finished runs it still holds (by run_id), trains the new cells, and moves the runs that
//     left it to left-grid/<n>/ (a results directory of their own; `prune` drops them instead);
//   - replace (`--force` without `--resume`): train everything again;
//   - refuse (exit 2, naming what differs): anything else — an experiment none of whose finished
//     runs it still trains, other probes, changed data files — so that nothing is silently
//     overwritten and stale results never stand in for new ones.

import {appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeSync} from 'node:fs';
import {hostname} from 'node:os';
import {join} from 'node:path';
import {stringify} from 'csv-stringify/sync';
import type {ExpandedExperiment, ExperimentConfig} from '../spec/experiment.js';
import {UserError} from '../errors.js';
import {stableStringify} from '../util/canonical.js';
import {relaid, runCurves, tablesOf, type Table} from './layout.js';
import type {RunRecord} from '../spec/records.js';
import {toCsv, writeAtomic} from './files.js';
import {configHash, manifestRun, NOT_TRAINING, writtenKinds, writtenKindsText, type DataFile, type Manifest, type ResultsState} from './manifest.js';
import {CSV_FILES, readResults, RESULT_FILES, type CsvName, type Results} from './read.js';

/** Files normbench writes into a results directory (replaced by `--force`). */
/** Where the runs that left a changed grid are kept, each change in a results directory of its own. */
export const LEFT_GRID = 'left-grid';
export const OWN_FILES = [RESULT_FILES.curves, RESULT_FILES.summary, RESULT_FILES.manifest, RESULT_FILES.gradient_flow, 'diagnostics.csv', 'report.md', 'plots', LEFT_GRID];
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
  /** Drop the finished runs that a changed grid no longer holds, instead of keeping them in left-grid/. */
  prune?: boolean;
  /** The runs this directory is to hold, when not the whole grid: a shard's part of it (by run_id). */
  own?: ReadonlySet<string>;
  /** A resolved config's grid expanded (the config layer's, handed in): what left-grid/<n>/ is written for. */
  expand?: ExpandConfig;
}

/** A resolved config's grid, expanded. */
export type ExpandConfig = (config: ExperimentConfig) => ExpandedExperiment;

export type OpenMode = 'fresh' | 'resume' | 'replace';

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

/**
 * What differs between the results in a directory and the run about to start, beside the
 * experiment itself: the code, the backend, the shard, and the data files the runs read.
 */
export function differences(old: Manifest, next: Manifest): string[] {
  const out: string[] = [];
  if (old.normbench.build !== next.normbench.build) {
    const commit = (m: Manifest) => (m.normbench.commit ? ` ${m.normbench.commit.slice(0, 10)}${m.normbench.dirty ? '+dirty' : ''}` : '');
    out.push(`normbench's code differs (${old.normbench.version}${commit(old)}, build ${old.normbench.build} → ` +
      `${next.normbench.version}${commit(next)}, build ${next.normbench.build})`);
  }
  if (old.backend !== next.backend) out.push(`the backend differs (${old.backend} → ${next.backend})`);
  if (old.tfjs_version !== next.tfjs_version) out.push(`the tfjs version differs (${old.tfjs_version} → ${next.tfjs_version})`);
  const shard = (m: Manifest) => (m.shard ? `${m.shard.index}/${m.shard.count}` : 'none');
  if (shard(old) !== shard(next)) out.push(`the shard differs (${shard(old)} → ${shard(next)})`);
  out.push(...dataDifferences(old, next));
  return out;
}

/**
 * The data files that changed between two sessions, named (results that recorded none are not
 * compared). A file is known by its name, and your own data's by their path as the experiment
 * writes it.
 */
export function dataDifferences(old: Manifest, next: Manifest): string[] {
  const out: string[] = [];
  const size = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);
  const id = (f: DataFile) => f.path ?? f.name;
  for (const [dataset, files] of Object.entries(old.data_files ?? {})) {
    const now = next.data_files?.[dataset];
    if (!now) continue;
    const whose = (f: DataFile) => (f.path === undefined ? `${dataset}'s ${f.name}` : f.path);
    for (const file of files) {
      const other = now.find((f) => id(f) === id(file));
      if (!other) out.push(`the data differs: ${dataset} no longer reads ${id(file)}`);
      else if (other.sha256 !== file.sha256) {
        out.push(`the data differs: ${whose(file)} changed (${size(file.size)}, sha256 ${file.sha256.slice(0, 12)}… → ${size(other.size)}, ${other.sha256.slice(0, 12)}…)`);
      }
    }
    for (const file of now) if (!files.some((f) => id(f) === id(file))) out.push(`the data differs: ${dataset} now reads ${id(file)}`);
  }
  return out;
}

const short = (v: unknown) => {
  const text = v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

/** How an experiment changed between two configs: what it says and checks, and what it trains. */
export interface ExperimentChange {
  /** Changed keys that do not change training (wording, targets, verify, claims, report). */
  wording: string[];
  /** Changed keys that do, with their values before and after. */
  training: Array<{key: string; a: unknown; b: unknown}>;
}

export function experimentChange(old: ExperimentConfig, next: ExperimentConfig): ExperimentChange {
  const notTraining = (key: string) => (NOT_TRAINING as readonly string[]).includes(key.split('.')[0]!);
  const changed = diffValues(old, next);
  return {
    wording: [...new Set(changed.filter((d) => notTraining(d.key)).map((d) => d.key.split('.')[0]!))],
    training: changed.filter((d) => !notTraining(d.key)),
  };
}

/** The training keys that changed, one line each: `train.steps: 200 → 400`. */
function changedValues(change: ExperimentChange, limit = 10): string {
  const lines = change.training.slice(0, limit).map((d) => `    ${d.key}: ${short(d.a)} → ${short(d.b)}`);
  if (change.training.length > limit) lines.push(`    … and ${change.training.length - limit} more`);
  return lines.join('\n');
}

/**
 * Whether the finished runs in a directory can stay when the experiment trained there changed:
 * they can when the new grid still holds some of them (by run_id) and every run writes the same
 * kind of rows. Throws the refusal, naming what changed.
 */
function checkChange(dir: string, old: Manifest, next: Manifest, change: ExperimentChange): void {
  const refuse = (why: string) => {
    throw new UserError(`${dir} holds results of another experiment: ${why}. What changed:\n${changedValues(change)}\n` +
      'Use --force to replace these results, or --out for a new directory.', undefined, 'conflict');
  };
  const written = (m: Manifest) => writtenKinds(m.config);
  if (written(old) !== written(next)) refuse(`its runs recorded other things (${writtenKindsText(old.config)}; now ${writtenKindsText(next.config)}), so they cannot stand beside the new ones`);
  const grid = new Set(next.grid.run_ids);
  const finished = old.runs.filter((r) => r.status !== 'failed');
  if (finished.length > 0 && !finished.some((r) => grid.has(r.run_id))) {
    refuse(`none of its ${finished.length} finished run${finished.length === 1 ? ' is' : 's are'} in the new grid`);
  }
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

/**
 * The experiment that trains exactly `runs` of `config`'s grid: its grid is one block per run,
 * each pinning the run's norm (with every option), activation, seed and factors, so that it
 * expands to those runs, in that order, and to nothing else (merge and verify read it so).
 */
function experimentOf(config: ExperimentConfig, runs: Manifest['runs'], expand: ExpandConfig): ExperimentConfig {
  const before = expand(config);
  const specs = new Map(before.runs.map((r) => [r.run_id, r]));
  const blocks = runs.map((run) => {
    const spec = specs.get(run.run_id)!;
    return {
      norm: [{name: spec.norm.name, ...spec.norm.options}], activation: [spec.activation], seed: [spec.seed],
      ...Object.fromEntries(before.factorKeys.map((k) => [k, [spec.factor_values[k]]])),
    };
  });
  const subset = {...config, grid: blocks};
  const ids = expand(subset).runs.map((r) => r.run_id);
  if (stableStringify(ids) !== stableStringify(runs.map((r) => r.run_id))) throw new Error(`left-grid: the pinned grid does not expand to the runs that left (${ids.join(', ')})`);
  return subset;
}

/** Keep runs that left a changed grid in left-grid/<n>/, a results directory of their own; its path. */
function keepLeaving(dir: string, old: Results, leaving: Manifest['runs'], expand: ExpandConfig): string {
  const parent = join(dir, LEFT_GRID);
  mkdirSync(parent, {recursive: true});
  let n = 1;
  while (existsSync(join(parent, String(n)))) n++;
  const out = join(parent, String(n));
  mkdirSync(out);
  const ids = new Set(leaving.map((r) => r.run_id));
  const files: Partial<Record<CsvName, number>> = {};
  for (const name of CSV_FILES) {
    const table = old[name];
    if (!table) continue;
    const text = toCsv(table.columns, table.rows.filter((r) => ids.has(r[0]!)));
    writeAtomic(join(out, RESULT_FILES[name]), text);
    files[name] = Buffer.byteLength(text);
  }
  // A tuned experiment's runs are not its grid's cells as written (they train at chosen values): they keep its config.
  const config = old.manifest.config.tune ? old.manifest.config : experimentOf(old.manifest.config, leaving, expand);
  const manifest: Manifest = {
    ...old.manifest,
    config,
    config_hash: configHash(config),
    grid: {size: leaving.length, run_ids: leaving.map((r) => r.run_id)},
    runs_total: leaving.length,
    runs: leaving.map((r, index) => ({...r, index})),
    files: files as Manifest['files'],
    state: 'complete',
  };
  writeAtomic(join(out, RESULT_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return out;
}

export class ResultsStore {
  /** Run ids already finished here (skipped by the runner). */
  readonly done: Set<string>;
  /** What opening the directory found changed, and did about it (said before the first run). */
  readonly notes: string[] = [];
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
    return mode === 'resume' ? ResultsStore.resume(dir, old!, next, expanded, options) : ResultsStore.fresh(dir, next, expanded, mode);
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
    if (options.force && !options.resume) return {mode: 'replace'};
    const diff = differences(old.manifest, next);
    if (diff.length > 0 && !(options.resume && options.force)) {
      throw new UserError(`${dir} holds results of a different run:\n  - ${diff.join('\n  - ')}\n` +
        'Use --force to retrain every run, --resume --force to keep the finished runs anyway (each run records who made it), or --out for a new directory.', undefined, 'conflict');
    }
    const change = experimentChange(old.manifest.config, next.config);
    if (change.training.length > 0) checkChange(dir, old.manifest, next, change);
    return {mode: 'resume', old};
  }

  private static fresh(dir: string, next: Manifest, expanded: ExpandedExperiment, mode: OpenMode): ResultsStore {
    takeLock(dir);
    for (const name of OWN_FILES) rmSync(join(dir, name), {recursive: true, force: true});
    const store = new ResultsStore(dir, mode, next, expanded);
    store.rewrite({});
    return store;
  }

  /**
   * Keep the finished runs (ok, diverged) that `keep` keeps and the grid still holds; drop failed
   * ones, and anything after the last commit. When the experiment changed, every table is laid
   * out anew: factor columns from the new grid, steps_to_* of new targets from the curves; the
   * runs that left the grid go to left-grid/<n>/ (or nowhere, with `prune`).
   */
  private static resume(dir: string, old: Results, next: Manifest, expanded: ExpandedExperiment, options: OpenOptions): ResultsStore {
    takeLock(dir);
    const change = experimentChange(old.manifest.config, next.config);
    // What this directory is to hold: the grid, or the shard's part of it (a changed grid moves
    // cells between shards: a run now of another shard leaves this one).
    const grid = options.own ?? new Set(next.grid.run_ids);
    const regrid = change.training.length > 0;
    const leaving = regrid ? old.manifest.runs.filter((r) => !grid.has(r.run_id)) : [];
    const index = new Map(next.grid.run_ids.map((id, i) => [id, i]));
    const specs = new Map(expanded.runs.map((r) => [r.run_id, r]));
    const kept = old.manifest.runs
      .filter((r) => (options.keep ? options.keep(r) : r.status !== 'failed') && (!regrid || grid.has(r.run_id)))
      // A run that a changed grid keeps takes its new place and factors.
      .map((r) => (regrid && specs.has(r.run_id) ? {...r, index: index.get(r.run_id)!, factors: specs.get(r.run_id)!.factor_values} : r))
      .sort((a, b) => a.index - b.index);
    const keep = new Set(kept.map((r) => r.run_id));
    const manifest: Manifest = {
      ...next,
      started: old.manifest.started,
      sessions: [...old.manifest.sessions, ...next.sessions],
      runs: kept,
      files: old.manifest.files,
    };
    const store = new ResultsStore(dir, 'resume', manifest, expanded);
    if (change.wording.length > 0) {
      const recomputed = change.wording.includes('targets') ? '; steps_to_* recomputed from curves.csv' : '';
      store.notes.push(`the experiment's ${change.wording.join(', ')} changed — not what it trains, so every finished run stays${recomputed}`);
    }
    if (regrid) {
      const where = leaving.length === 0 ? '' : options.prune ? ` ${leaving.length} that left it dropped (--prune).` : ` ${leaving.length} that left it moved to ${keepLeaving(dir, old, leaving, options.expand!)} (a results directory of its own; --prune drops them instead).`;
      const toTrain = [...grid].filter((id) => !keep.has(id)).length;
      store.notes.push(`the experiment changed (${[...new Set(change.training.map((d) => d.key))].join(', ')}): kept ${kept.length} finished run${kept.length === 1 ? '' : 's'} it still trains, ` +
        `training ${toTrain} new.${where}`);
    }
    // A file with CRLF line endings (a git checkout) is rewritten in LF before anything is
    // appended: LF rows after CRLF ones, or a cut at the LF length, would corrupt it.
    if (old.crlf.length > 0) {
      store.notes.push(`note: ${old.crlf.map((name) => RESULT_FILES[name]).join(', ')} in ${dir} had CRLF line endings (a git checkout with core.autocrlf?): ` +
        'rewritten with LF, as normbench writes them, before appending');
    }
    const changed = regrid || change.wording.length > 0;
    if (changed || kept.length < old.manifest.runs.length || old.crlf.length > 0) {
      const curves = runCurves(old);
      const rows: Partial<Record<CsvName, string[][]>> = {};
      for (const t of store.tables) {
        const before = old[t.name];
        const mine = (before?.rows ?? []).filter((r) => keep.has(r[0]!));
        rows[t.name] = changed && before ? relaid(before, mine, t.columns, expanded, specs, curves) : mine;
      }
      store.rewrite(rows);
    } else {
      // Runs were appended in the order they finished (several workers, or a resumed failure): the
      // files are put in grid order when the grid completes unless they already are.
      const order = old.summary.rows.map((r) => index.get(r[0]!) ?? -1);
      store.inGridOrder = order.every((x, i) => i === 0 || order[i - 1]! < x);
      const committed = old.manifest.files as Partial<Record<CsvName, number>>;
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
