// merge: join the directories of the shards of one grid into the directory an unsharded run
// would have written (rows in grid order; timing columns aside, the same bytes). It reads
// results files only, and refuses — naming them — shards of different experiments, runs that
// appear twice, and runs that no shard holds.

import {cpSync, existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {toCsv, writeAtomic} from './files.js';
import type {ExperimentConfig} from '../spec/experiment.js';
import type {Manifest} from './manifest.js';
import {CSV_FILES, parseCsv, readResults, RESULT_FILES, type CsvName, type Results} from './read.js';
import {factorKeysOf} from './columns.js';
import {TUNING_CSV, TUNING_DIR, tuningCsv, tuningOutcome} from './tuning.js';
import {tuneSpec} from '../spec/tune.js';

/** Readable labels of a grid's cells by run id (`#3 batch · relu · seed 1`), from its resolved config. */
export type GridLabels = (config: ExperimentConfig) => Map<string, string>;

/** The merged results, checked and ready to write. */
export interface MergePlan {
  /** Each CSV's merged text, by table (gradient_flow when the shards have it). */
  files: Partial<Record<CsvName, string>>;
  /** Undefined when tune shards are merged: the result holds tuning only. */
  manifest: Manifest | undefined;
  runs: number;
  shards: number;
  /** A tuned experiment's tuning: copied from a final shard, or joined from tune shards. */
  tuning?: {copyFrom: string} | {plan: MergePlan; csv: string};
}

/** Read and check the shard directories, and join them; nothing is written. */
export function planMerge(dirs: string[], command: string[], gridLabels: GridLabels): MergePlan {
  if (dirs.length === 0) throw new UserError('merge needs at least one results directory', undefined, 'usage');
  const tuneShards = dirs.filter((d) => !existsSync(join(d, RESULT_FILES.manifest)) && existsSync(join(d, TUNING_DIR, RESULT_FILES.manifest)));
  if (tuneShards.length > 0) {
    if (tuneShards.length < dirs.length) {
      throw new UserError(`some directories hold only tuning (tune shards: ${tuneShards.join(', ')}) and some hold results: merge the tune shards on their own, then the final shards`, undefined, 'usage');
    }
    return planTuningMerge(dirs, command, gridLabels);
  }
  const parts: Results[] = dirs.map((d) => readResults(d));
  const plan = joinParts(parts, parts[0]!.manifest.grid.run_ids, command, gridLabels);
  // A tuned experiment's final shards: each holds the same tuning (--stage final --tuning DIR copied it).
  if (parts[0]!.manifest.tuning) {
    const texts = dirs.map((d) => {
      const file = join(d, TUNING_CSV);
      if (!existsSync(file)) throw new UserError(`${d} holds a tuned experiment's results but no ${TUNING_CSV}`, undefined, 'results');
      return readFileSync(file, 'utf8');
    });
    const odd = dirs.filter((_, i) => texts[i] !== texts[0]);
    if (odd.length) throw new UserError(`the shards were trained at different tunings (their ${TUNING_CSV} differ: ${[dirs[0], ...odd].join(', ')}); give every final shard the same --tuning`, undefined, 'results');
    plan.tuning = {copyFrom: dirs[0]!};
  }
  return plan;
}

/**
 * Tune shards (`run --stage tune --shard I/N`): each holds the tuning of its conditions. Every
 * shard 1…N must be there, finished (its tuning.csv written), and the tuning is joined into what
 * an unsharded tuning writes: tuning/ with every run, and tuning.csv derived from it.
 */
function planTuningMerge(dirs: string[], command: string[], gridLabels: GridLabels): MergePlan {
  const parts = dirs.map((d) => readResults(join(d, TUNING_DIR)));
  const first = parts[0]!.manifest;
  const count = first.shard?.count;
  const indices = parts.map((p) => p.manifest.shard?.index);
  if (count === undefined || parts.some((p) => p.manifest.shard?.count !== count)) {
    throw new UserError(`tune shards must all be shards of one split (--stage tune --shard I/N with the same N): ${parts.map((p, i) => `${dirs[i]}: ${p.manifest.shard ? `${p.manifest.shard.index}/${p.manifest.shard.count}` : 'not a shard'}`).join(', ')}`, undefined, 'results');
  }
  const absent = Array.from({length: count}, (_, i) => i + 1).filter((i) => !indices.includes(i));
  const twice = indices.filter((i, k) => indices.indexOf(i) !== k);
  if (absent.length || twice.length) {
    throw new UserError(`tune shards of ${count}: ${absent.length ? `shard ${absent.join(', ')} missing` : ''}${absent.length && twice.length ? '; ' : ''}${twice.length ? `shard ${twice.join(', ')} given twice` : ''}`, undefined, 'results');
  }
  const unfinished = dirs.filter((d, i) => !existsSync(join(d, TUNING_CSV)) || parts[i]!.manifest.state !== 'complete');
  if (unfinished.length) throw new UserError(`tune shards not finished (no ${TUNING_CSV}; resume them with --resume): ${unfinished.join(', ')}`, undefined, 'results');
  const ids = parts.flatMap((p) => p.manifest.grid.run_ids);
  const joined = joinParts(parts, ids, command, gridLabels);
  const config = first.config;
  const tune = tuneSpec(config.tune!);
  const factorKeys = factorKeysOf(config);
  const outcome = tuningOutcome({summary: parseCsv(joined.files.summary!, 'summary.csv')}, tune, factorKeys);
  const undecided = outcome.groups.filter((g) => !outcome.choices.some((c) => c.group === g.group)).map((g) => g.group);
  if (undecided.length) throw new UserError(`the tune shards do not decide every condition (no choice for ${undecided.join(', ')}): resume the shards that tune them`, undefined, 'results');
  return {files: {}, manifest: undefined, runs: 0, shards: dirs.length, tuning: {plan: joined, csv: tuningCsv(outcome, tune, factorKeys)}};
}

/** Join parts whose runs, together, are exactly `gridIds`: rows in grid order, one manifest. */
function joinParts(parts: Results[], gridIds: string[], command: string[], gridLabels: GridLabels): MergePlan {
  const first = parts[0]!.manifest;

  // 1. One experiment.
  const hashes = new Set(parts.map((p) => p.manifest.config_hash));
  if (hashes.size > 1) {
    throw new UserError(`the directories hold different experiments:\n${parts.map((p) => `  - ${p.dir}: ${p.manifest.experiment}, config ${p.manifest.config_hash}`).join('\n')}`, undefined, 'results');
  }
  const sameColumns = parts.every((p) => p.curves.columns.join() === parts[0]!.curves.columns.join() && p.summary.columns.join() === parts[0]!.summary.columns.join());
  if (!sameColumns) throw new UserError('the directories have different columns (made by different normbench versions?)', undefined, 'results');

  // 2. Every run exactly once.
  const labels = first.stage === 'tuning' ? new Map<string, string>() : gridLabels(first.config);
  const owner = new Map<string, string>();
  const twice: string[] = [];
  for (const p of parts) {
    for (const run of p.manifest.runs) {
      const seen = owner.get(run.run_id);
      if (seen) twice.push(`  - ${run.run_id} (${labels.get(run.run_id) ?? '?'}) in ${seen} and ${p.dir}`);
      else owner.set(run.run_id, p.dir);
    }
  }
  if (twice.length) throw new UserError(`runs appear in more than one directory:\n${twice.join('\n')}`, undefined, 'results');
  const missing = gridIds.filter((id) => !owner.has(id));
  if (missing.length) {
    throw new UserError(
      `${missing.length} of the grid's ${gridIds.length} runs are in none of the directories (a shard missing, or not finished):\n` +
        missing.map((id) => `  - ${id} (${labels.get(id) ?? '?'})`).join('\n'),
      undefined,
      'results',
    );
  }

  // 3. Rows in grid order, then the manifest of the whole.
  const indexOf = new Map(parts.flatMap((p) => p.manifest.runs.map((r) => [r.run_id, r.index] as const)));
  const ordered = [...gridIds].sort((a, b) => (first.stage === 'tuning' ? indexOf.get(a)! - indexOf.get(b)! : 0));
  const index = new Map(ordered.map((id, i) => [id, i]));
  const byGrid = (rows: string[][]) => rows.map((r, i) => ({r, i})).sort((a, b) => index.get(a.r[0]!)! - index.get(b.r[0]!)! || a.i - b.i).map((x) => x.r);
  const files: Partial<Record<CsvName, string>> = {};
  for (const name of CSV_FILES) {
    const tables = parts.map((p) => p[name]);
    if (tables.every((t) => t === undefined)) continue;
    if (tables.some((t) => t === undefined)) throw new UserError(`some directories have ${RESULT_FILES[name]} and some do not`, undefined, 'results');
    files[name] = toCsv(tables[0]!.columns, byGrid(tables.flatMap((t) => t!.rows)));
  }
  // Sessions are renumbered in order of the parts; each run keeps pointing at its own.
  const sessions: Manifest['sessions'] = [];
  const runs: Manifest['runs'] = [];
  for (const p of parts) {
    const offset = sessions.length;
    sessions.push(...p.manifest.sessions);
    runs.push(...p.manifest.runs.map((r) => ({...r, session: r.session + offset})));
  }
  runs.sort((a, b) => a.index - b.index);
  const manifest: Manifest & {merged_from: unknown[]} = {
    ...first,
    grid: {size: ordered.length, run_ids: ordered},
    shard: null,
    runs_total: ordered.length,
    command,
    cwd: process.cwd(),
    data: Object.assign({}, ...parts.map((p) => p.manifest.data)) as Record<string, string>,
    started: parts.map((p) => p.manifest.started).sort()[0]!,
    finished: parts.map((p) => p.manifest.finished ?? '').sort().at(-1) || null,
    state: 'complete',
    files: Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.byteLength(text)])) as Manifest['files'],
    sessions,
    runs,
    merged_from: parts.map((p) => ({dir: p.dir, shard: p.manifest.shard, state: p.manifest.state, runs: p.manifest.runs.length, host: p.manifest.host})),
  };
  return {files, manifest, runs: runs.length, shards: parts.length};
}

/** Write a merge's results files into `dir`: the CSVs, then the manifest that commits them. */
function writeParts(plan: MergePlan, dir: string): void {
  for (const name of [...CSV_FILES, 'manifest'] as const) rmSync(join(dir, RESULT_FILES[name]), {force: true});
  for (const [name, text] of Object.entries(plan.files)) writeAtomic(join(dir, RESULT_FILES[name as CsvName]), text);
  writeAtomic(join(dir, RESULT_FILES.manifest), `${JSON.stringify(plan.manifest, null, 2)}\n`);
}

/** Write a merge into `out` (an existing directory): the tuning first, then the results and the manifest that commits them. */
export function writeMerge(plan: MergePlan, out: string): void {
  if (plan.tuning) {
    const dir = join(out, TUNING_DIR);
    rmSync(dir, {recursive: true, force: true});
    if ('copyFrom' in plan.tuning) {
      cpSync(join(plan.tuning.copyFrom, TUNING_DIR), dir, {recursive: true, filter: (src) => !/\.normbench\.lock$|\/\.\d+\.\d+\.tmp$/.test(src)});
      cpSync(join(plan.tuning.copyFrom, TUNING_CSV), join(out, TUNING_CSV));
    } else {
      mkdirSync(dir);
      writeParts(plan.tuning.plan, dir);
      writeAtomic(join(out, TUNING_CSV), plan.tuning.csv);
    }
  }
  if (plan.manifest) writeParts(plan, out);
}
