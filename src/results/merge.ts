// merge: join the directories of the shards of one grid into the directory an unsharded run
// would have written (rows in grid order; timing columns aside, the same bytes). It reads
// results files only, and refuses — naming them — runs that appear twice, and runs that no shard
// holds. Directories of *different* experiments join when their runs are compatible (the
// identity rules of a resume: same probes, data and normbench's results format, nothing tuned):
// the result is one experiment whose grid is the blocks of all of theirs, each pinned to the
// settings its directory trained with, and every table is laid out for it.

import {cpSync, existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {toCsv, writeAtomic} from './files.js';
import type {ExpandedExperiment} from '../spec/experiment.js';
import {configHash, trainingPart, writtenKinds, writtenKindsText, type Manifest} from './manifest.js';
import {gridBlocks} from '../spec/grid.js';
import {cellLabel} from '../spec/cells.js';
import {dataDifferences, diffValues, type ExpandConfig} from './store.js';
import {relaid, runCurves, tablesOf} from './layout.js';
import {CSV_FILES, parseCsv, readResults, RESULT_FILES, type CsvName, type Results} from './read.js';
import {factorKeysOf} from './columns.js';
import {TUNING_CSV, TUNING_DIR, tuningCsv, tuningOutcome} from './tuning.js';
import {tuneSpec} from '../spec/tune.js';


/** Readable labels of a grid's cells by run id: `#3 batch · relu · seed 1`. */
function gridLabels(expanded: ExpandedExperiment): Map<string, string> {
  return new Map(expanded.runs.map((r) => [r.run_id, `#${r.index} ${cellLabel(r)}`]));
}

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
export function planMerge(dirs: string[], command: string[], expand: ExpandConfig): MergePlan {
  if (dirs.length === 0) throw new UserError('merge needs at least one results directory', undefined, 'usage');
  const tuneShards = dirs.filter((d) => !existsSync(join(d, RESULT_FILES.manifest)) && existsSync(join(d, TUNING_DIR, RESULT_FILES.manifest)));
  if (tuneShards.length > 0) {
    if (tuneShards.length < dirs.length) {
      throw new UserError(`some directories hold only tuning (tune shards: ${tuneShards.join(', ')}) and some hold results: merge the tune shards on their own, then the final shards`, undefined, 'usage');
    }
    return planTuningMerge(dirs, command, expand);
  }
  const parts: Results[] = dirs.map((d) => readResults(d));
  if (new Set(parts.map((p) => configHash(p.manifest.config))).size > 1) return planUnion(parts, command, expand);
  // Shards whose targets differ (not identity) have other steps_to_* columns: laid out for the first's.
  const sameColumns = parts.every((p) => p.curves.columns.join() === parts[0]!.curves.columns.join() && p.summary.columns.join() === parts[0]!.summary.columns.join());
  const relay = sameColumns || parts[0]!.manifest.tuning ? undefined : expand(parts[0]!.manifest.config);
  const plan = joinParts(parts, parts[0]!.manifest.grid.run_ids, command, expand, relay);
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
function planTuningMerge(dirs: string[], command: string[], expand: ExpandConfig): MergePlan {
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
  const joined = joinParts(parts, ids, command, expand);
  const config = first.config;
  const tune = tuneSpec(config.tune!);
  const factorKeys = factorKeysOf(config);
  const outcome = tuningOutcome({summary: parseCsv(joined.files.summary!, 'summary.csv')}, tune, factorKeys);
  const undecided = outcome.groups.filter((g) => !outcome.choices.some((c) => c.group === g.group)).map((g) => g.group);
  if (undecided.length) throw new UserError(`the tune shards do not decide every condition (no choice for ${undecided.join(', ')}): resume the shards that tune them`, undefined, 'results');
  return {files: {}, manifest: undefined, runs: 0, shards: dirs.length, tuning: {plan: joined, csv: tuningCsv(outcome, tune, factorKeys)}};
}

/**
 * Directories of different experiments whose runs can stand in one table: one experiment whose
 * grid joins the blocks of theirs, each block pinned to what its directory trained with where it
 * differs from the first (train.lr: 0.1 there, 1 here). Each directory must be complete.
 */
function planUnion(parts: Results[], command: string[], expand: ExpandConfig): MergePlan {
  const first = parts[0]!.manifest;
  const name = (p: Results) => `${p.dir} (${p.manifest.experiment})`;
  const tuned = parts.filter((p) => p.manifest.config.tune || p.manifest.tuning || p.manifest.stage);
  if (tuned.length) throw new UserError(`tuned experiments merge only as shards of one experiment: ${tuned.map(name).join(', ')}`, undefined, 'results');
  const written = (m: Manifest) => writtenKinds(m.config);
  const odd = parts.filter((p) => written(p.manifest) !== written(first));
  if (odd.length) throw new UserError(`the directories' runs recorded other probes, evaluation modes or validation splits, so they cannot share tables: ${[parts[0]!, ...odd].map((p) => `${name(p)}: ${writtenKindsText(p.manifest.config)}`).join('; ')}`, undefined, 'results');
  const data = parts.flatMap((p) => dataDifferences(first, p.manifest).map((d) => `${p.dir}: ${d}`));
  if (data.length) throw new UserError(`the directories trained on different data:\n  - ${data.join('\n  - ')}`, undefined, 'results');
  const unfinished = parts.filter((p) => p.manifest.runs.length < p.manifest.grid.size || p.manifest.runs.some((r) => r.status === 'failed'));
  if (unfinished.length) {
    throw new UserError(`directories of different experiments merge when each is complete (resume them first): ${unfinished.map((p) => `${name(p)}: ${p.manifest.runs.filter((r) => r.status !== 'failed').length} of ${p.manifest.grid.size} runs finished`).join(', ')}`, undefined, 'results');
  }
  // The joined grid: every directory's blocks, pinned where its training differs from the first's.
  const base = first.config;
  const blocks = parts.flatMap((p) => {
    const pins: Record<string, unknown[]> = {};
    const {grid: _g, ...mine} = trainingPart(p.manifest.config);
    const {grid: _b, ...theirs} = trainingPart(base);
    for (const {key} of diffValues(theirs, mine)) {
      const [section, field] = key.split('.');
      const config = p.manifest.config as unknown as Record<string, Record<string, unknown>>;
      if (section === 'dataset' || section === 'model') {
        const whole = field === 'name' || field === 'kind' || config[section]![section === 'dataset' ? 'name' : 'kind'] !== (base as unknown as Record<string, Record<string, unknown>>)[section]![section === 'dataset' ? 'name' : 'kind'];
        if (whole) pins[section] = [config[section]];
        else pins[key] = [config[section]![field!]];
      } else if (section === 'train' && field !== undefined) pins[key] = [config.train![field]];
      else if (section === 'norm') pins.norm = [(p.manifest.config as unknown as Record<string, unknown>).norm];
      else if (key === 'norm' || key === 'activation' || key === 'seed') pins[key] = [(p.manifest.config as unknown as Record<string, unknown>)[key]];
      else throw new UserError(`${p.dir} differs from ${parts[0]!.dir} in ${key}, which a grid cannot vary: they are not runs of one experiment`, undefined, 'results');
    }
    return gridBlocks(p.manifest.config.grid).map((block) => ({...Object.fromEntries(Object.entries(pins).filter(([k]) => !(k in block) && !(k.includes('.') && k.split('.')[0]! in block))), ...block}));
  });
  // Runs found twice are refused below, by name, before the joined grid would call them repeated cells.
  twiceOrMissing(parts, [], new Map());
  let expanded: ExpandedExperiment;
  try {
    expanded = expand({...base, grid: blocks});
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`the directories' grids do not join into one experiment:\n${error.message}`, undefined, 'results');
  }
  const held = new Set(parts.flatMap((p) => p.manifest.runs.map((r) => r.run_id)));
  const extra = expanded.runs.filter((r) => !held.has(r.run_id));
  if (extra.length) {
    throw new UserError(`the directories' grids join into one with ${extra.length} run${extra.length === 1 ? '' : 's'} that none of them holds (${extra.map((r) => `${r.run_id} (${cellLabel(r)})`).slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}): ` +
      'is one of them a part of a grid (a shard, or an interrupted run)?', undefined, 'results');
  }
  return joinParts(parts, expanded.runs.map((r) => r.run_id), command, expand, expanded);
}

/** Refuse runs that two directories hold, and (with `gridIds`) grid runs that none holds. */
function twiceOrMissing(parts: Results[], gridIds: string[], labels: Map<string, string>): void {
  const owner = new Map<string, string>();
  const twice: string[] = [];
  for (const p of parts) {
    for (const run of p.manifest.runs) {
      const seen = owner.get(run.run_id);
      if (seen) twice.push(`  - ${run.run_id} (${labels.get(run.run_id) ?? `${run.norm} · ${run.activation} · seed ${run.seed}`}) in ${seen} and ${p.dir}`);
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
}

/**
 * Join parts whose runs, together, are exactly `gridIds`: rows in grid order, one manifest. With
 * `joined` (directories of different experiments), the manifest is the joined experiment's and
 * every row is laid out for its tables.
 */
function joinParts(parts: Results[], gridIds: string[], command: string[], expand: ExpandConfig, joined?: ExpandedExperiment): MergePlan {
  const first = parts[0]!.manifest;

  // 1. One experiment.
  if (!joined) {
    const hashes = new Set(parts.map((p) => configHash(p.manifest.config)));
    if (hashes.size > 1) {
      throw new UserError(`the directories hold different experiments:\n${parts.map((p) => `  - ${p.dir}: ${p.manifest.experiment}, config ${configHash(p.manifest.config)}`).join('\n')}`, undefined, 'results');
    }
    const sameColumns = parts.every((p) => p.curves.columns.join() === parts[0]!.curves.columns.join() && p.summary.columns.join() === parts[0]!.summary.columns.join());
    if (!sameColumns) throw new UserError('the directories have different columns (their targets differ, or different normbench versions made them)', undefined, 'results');
  }

  // 2. Every run exactly once.
  const labels = first.stage === 'tuning' ? new Map<string, string>() : gridLabels(joined ?? expand(first.config));
  twiceOrMissing(parts, gridIds, labels);

  // 3. Rows in grid order, then the manifest of the whole.
  const indexOf = new Map(parts.flatMap((p) => p.manifest.runs.map((r) => [r.run_id, r.index] as const)));
  const ordered = [...gridIds].sort((a, b) => (first.stage === 'tuning' ? indexOf.get(a)! - indexOf.get(b)! : 0));
  const index = new Map(ordered.map((id, i) => [id, i]));
  const byGrid = (rows: string[][]) => rows.map((r, i) => ({r, i})).sort((a, b) => index.get(a.r[0]!)! - index.get(b.r[0]!)! || a.i - b.i).map((x) => x.r);
  const files: Partial<Record<CsvName, string>> = {};
  if (joined) {
    const specs = new Map(joined.runs.map((r) => [r.run_id, r]));
    const curves = parts.map((p) => runCurves(p));
    for (const table of tablesOf(joined)) {
      const rows = parts.flatMap((p, i) => (p[table.name] ? relaid(p[table.name]!, p[table.name]!.rows, table.columns, joined, specs, curves[i]!) : []));
      files[table.name] = toCsv(table.columns, byGrid(rows));
    }
  } else {
    for (const name of CSV_FILES) {
      const tables = parts.map((p) => p[name]);
      if (tables.every((t) => t === undefined)) continue;
      if (tables.some((t) => t === undefined)) throw new UserError(`some directories have ${RESULT_FILES[name]} and some do not`, undefined, 'results');
      files[name] = toCsv(tables[0]!.columns, byGrid(tables.flatMap((t) => t!.rows)));
    }
  }
  // Sessions are renumbered in order of the parts; each run keeps pointing at its own.
  const sessions: Manifest['sessions'] = [];
  const runs: Manifest['runs'] = [];
  for (const p of parts) {
    const offset = sessions.length;
    sessions.push(...p.manifest.sessions);
    runs.push(...p.manifest.runs.map((r) => ({...r, session: r.session + offset})));
  }
  if (joined) {
    // A run takes its place and factors in the joined grid.
    const specs = new Map(joined.runs.map((r) => [r.run_id, r]));
    for (const run of runs) Object.assign(run, {index: specs.get(run.run_id)!.index, factors: specs.get(run.run_id)!.factor_values});
  }
  runs.sort((a, b) => a.index - b.index);
  const manifest: Manifest & {merged_from: unknown[]} = {
    ...first,
    ...(joined && {experiment: joined.config.name, config: joined.config, config_hash: configHash(joined.config)}),
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
    merged_from: parts.map((p) => ({dir: p.dir, experiment: p.manifest.experiment, shard: p.manifest.shard, state: p.manifest.state, runs: p.manifest.runs.length, host: p.manifest.host})),
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
