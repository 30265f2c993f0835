// Run the cells of an experiment's grid, writing results as each finishes.
//
// 1. Check everything before writing anything: the grid, the data, the backend, the output
//    directory. Bad input is a UserError (exit 2) and leaves nothing behind.
// 2. Open the results directory: fresh, resumed (finished runs are skipped) or refused.
// 3. Train the planned cells (this shard's, not yet finished) unit by unit — a unit is one run,
//    or with --stack the runs that differ only in seed and learning rate, trained as one stacked
//    model (src/run/units.ts) — in this process one after another, or in N worker processes
//    (src/run/pool.ts). Finished runs are committed in the order they finish; the results are
//    put in grid order when the grid completes, so the files are the same either way. A
//    diverged run is a result; a run that throws is recorded as `failed`, and the grid goes on.
// 4. SIGINT / SIGTERM stop training at the next step: the runs in progress are dropped, the
//    finished ones are kept, the manifest says `interrupted`, and Interrupted is thrown.
//
// A tuned experiment (`tune:`) runs in two stages, each one or more grids of the kind above. The
// tuning stage trains every condition's values with the tuning seeds into <out>/tuning — rung by
// rung with successive halving, each rung's values chosen from the last rung's results as
// committed, so that a resumed tuning decides exactly as an uninterrupted one — and writes
// <out>/tuning.csv. The final stage trains the grid's runs into <out>, each at its condition's
// chosen value. With --shard the stages run apart: tune shards split the conditions, are merged,
// and the final shards read the merged tuning (--stage final --tuning DIR).

import {cpSync, existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {join, resolve} from 'node:path';
import {useBackend, TFJS_VERSION} from '../backend.js';
import type {LoadedExperiment} from '../config/load.js';
import {expandResolved} from '../config/expand.js';
import {checkData} from '../data/check.js';
import {dataEntry, dataKey, loadDataset} from '../data/registry.js';
import {Interrupted, throwIfAny, UserError} from '../errors.js';
import {writeAtomic} from '../results/files.js';
import {configHash, draftManifest, type DataFile, type Manifest, type ManifestTuning} from '../results/manifest.js';
import {checkInputDir, prepareOutDir} from '../results/outdir.js';
import {readResults, type Results} from '../results/read.js';
import {ResultsStore, type OpenMode, type OpenOptions} from '../results/store.js';
import {edgeWarning, readTuningChoices, TUNING_CSV, TUNING_DIR, tuningCsv, tuningOutcome, type TuningOutcome} from '../results/tuning.js';
import type {ExpandedExperiment, RunSpec, TuneSpec} from '../spec/experiment.js';
import {rungSizes, rungSteps, tuneSpec} from '../spec/tune.js';
import type {RunRecord} from '../spec/records.js';
import type {ExperimentHooks} from './hooks.js';
import {WorkerPool} from './pool.js';
import {estimatedCost} from './cost.js';
import {defaultOutDir, gridConvMacs, gridWidth, shardRuns, type Shard} from './shard.js';
import {GridInterrupted, trapSignals} from './signals.js';
import {missingChoices, rungCount, rungRuns, shardGroups, tunedExpanded, tuningFactorKeys, tuningGroups, type TuningGroup} from './tuning.js';
import {planUnits, runUnit} from './units.js';

export {runOne} from './units.js';
export type {ExperimentHooks, GridStart} from './hooks.js';
export {gridWidth, parseShard, type Shard} from './shard.js';
export {commandLine, GridInterrupted} from './signals.js';

export interface RunExperimentOptions {
  /** Results directory; default results/<experiment name> (…-shard-I-of-N for a shard). */
  out?: string;
  backend?: string;
  /** Where to look for the full Fashion-MNIST first. */
  dataDir?: string;
  shard?: Shard;
  /** Retrain everything (alone), or resume despite a different normbench or backend (with resume). */
  force?: boolean;
  /** Resume explicitly (there must be results to resume). */
  resume?: boolean;
  /** When the grid changed, drop the finished runs it no longer holds instead of keeping them in left-grid/. */
  prune?: boolean;
  /** Worker processes (default: the cores available); 1 trains in this process. */
  workers?: number;
  /** Train the runs that differ only in seed and learning rate as one stacked model (same results). */
  stack?: boolean;
  hooks?: ExperimentHooks;
  /** The command line recorded in the manifest (default: this process's). */
  command?: string[];
  /**
   * A tuned experiment's stage: `all` (default) tunes, then trains the grid; `tune` only tunes
   * (this shard's conditions); `final` only trains the grid, at the values chosen in `tuning`.
   */
  stage?: Stage;
  /** With stage `final`: the directory holding the tuning (tuning.csv and tuning/; default: the output directory). */
  tuning?: string;
}

export type Stage = 'all' | 'tune' | 'final';

export interface ExperimentResult {
  outDir: string;
  backend: string;
  expanded: ExpandedExperiment;
  mode: OpenMode;
  /** Runs trained in this session (finished ones found on resume are not among them). */
  records: RunRecord[];
  /** Every run in the directory, read back from its files (with stage `tune`: the tuning runs). */
  results: Results;
  stage: Stage;
  /** Runs the results hold now, over both stages of a tuned experiment (tuning runs and grid runs). */
  held: number;
  /** A tuned experiment's tuning: each group's choice, and warnings (a choice at the edge of the range). */
  tuning?: {spec: TuneSpec; outcome: TuningOutcome; warnings: string[]};
}

export async function runExperiment(loaded: LoadedExperiment, options: RunExperimentOptions = {}): Promise<ExperimentResult> {
  // 1. Every check before anything is written.
  const {expanded} = loaded;
  const {config} = expanded;
  const tune = config.tune ? tuneSpec(config.tune) : undefined;
  const stage = checkStage(config.name, tune, options, loaded.file);
  const dataDir = options.dataDir === undefined ? undefined : checkInputDir(options.dataDir, '--data-dir');
  const checked = checkData(expanded, {dataDir, runs: tune ? expanded.runs : shardRuns(expanded.runs, options.shard), locate: (path) => loaded.sources.locate(path)});
  throwIfAny(checked, loaded.sources.layers.map((l) => l.file));
  const data: Record<string, string> = {};
  // The files each data set is read from: part of its runs' identity (a changed file refuses a resume).
  const dataFiles: Record<string, DataFile[]> = {};
  for (const spec of tune ? expanded.runs : shardRuns(expanded.runs, options.shard)) {
    const entry = dataEntry(spec.dataset);
    if (data[entry]) continue;
    const loaded = loadDataset(spec.dataset, dataDir);
    const held = loaded.validation
      ? ` · validation: ${loaded.validation.n} examples held out of the training split, stratified by class, fixed by the data set (not the run seed); training on ${loaded.train.n}`
      : '';
    data[entry] = `${loaded.source}${held}`;
    if (loaded.files) dataFiles[dataKey(spec.dataset)] = loaded.files;
  }
  const source = options.tuning === undefined ? undefined : checkInputDir(options.tuning, '--tuning');
  const backend = await useBackend(options.backend ?? 'auto', gridWidth(expanded.runs), gridConvMacs(expanded.runs));
  const outDir = prepareOutDir(options.out ?? defaultOutDir(config.name, options.shard, stage === 'tune' ? 'tune' : undefined));
  const command = options.command ?? [process.execPath, ...process.argv.slice(1)];
  const draft = (grid: ExpandedExperiment, planned: number, extra: {stage?: 'tuning'; tuning?: ManifestTuning} = {}) =>
    draftManifest({file: loaded.file, expanded: grid, backend, tfjsVersion: TFJS_VERSION, shard: options.shard, planned, data, dataFiles, command, ...extra});
  const context: StageContext = {backend, dataDir, hooks: options.hooks ?? {}, workers: options.workers, stack: options.stack, targets: config.targets};

  if (!tune) {
    const planned = shardRuns(expanded.runs, options.shard);
    const {mode, records} = await trainStage(context, outDir, expanded, planned, draft(expanded, planned.length), {force: options.force, resume: options.resume, prune: options.prune});
    const results = readResults(outDir);
    return {outDir, backend, expanded, mode, records, results, stage, held: results.manifest.runs.length};
  }

  // A tuned experiment: check every directory it will write before training anything.
  const tuningDir = join(outDir, TUNING_DIR);
  const tuningGrid = (runs: RunSpec[]): ExpandedExperiment => ({config, factorKeys: tuningFactorKeys(expanded, tune), runs});
  const hasResults = (dir: string) => existsSync(join(dir, 'manifest.json'));
  if (options.resume && !hasResults(outDir) && !hasResults(tuningDir)) {
    throw new UserError(`--resume: ${outDir} holds no results to resume (no manifest.json, and no tuning/manifest.json)`, undefined, 'conflict');
  }
  const openOptions = (dir: string) => (options.resume ? (hasResults(dir) ? {resume: true, force: options.force} : {}) : {force: options.force});
  // What each directory may come to hold, whatever the tuning chooses: a changed experiment keeps
  // the runs it may still train (more grid seeds keep every tuning run), and is refused when none.
  const groups = tuningGroups(expanded, tune);
  const mayTune = tuningGrid(Array.from({length: rungCount(tune)}, (_, r) => rungRuns(expanded, tune, groups, r + 1, () => tune.values)).flat());
  const mayTrain = {...expanded, runs: tune.values.flatMap((v) => tunedExpanded(expanded, tune, new Map(groups.map((g) => [g.group, v]))).runs)};
  ResultsStore.decide(outDir, draft(mayTrain, 0), openOptions(outDir));
  if (stage !== 'final') ResultsStore.decide(tuningDir, draft(mayTune, 0, {stage: 'tuning'}), openOptions(tuningDir));
  let choices: Map<string, number> | undefined;
  if (stage === 'final') choices = adoptTuning(source ?? outDir, outDir, tune, groups, expanded, options.force);
  if (options.force && !options.resume && stage !== 'final') {
    rmSync(tuningDir, {recursive: true, force: true});
    rmSync(join(outDir, TUNING_CSV), {force: true});
  }

  // The tuning stage: rung by rung, each rung's values from the previous rung's committed results.
  let records: RunRecord[] = [];
  let mode: OpenMode = 'fresh';
  let tuningResults: Results | undefined;
  if (stage !== 'final') {
    const mine = shardGroups(groups, options.shard);
    const rungs = rungCount(tune);
    const resumeTuning = hasResults(tuningDir);
    mkdirSync(tuningDir, {recursive: true});
    let runs: RunSpec[] = [];
    for (let rung = 1; rung <= rungs; rung++) {
      const committed = hasResults(tuningDir) ? readResults(tuningDir) : undefined;
      const outcome = committed && tuningOutcome(committed, tune, expanded.factorKeys);
      const values = (group: string) => (rung === 1 ? tune.values : outcome?.survivors.get(group)?.[rung - 1]);
      const missing = mine.filter((g) => values(g.group) === undefined);
      if (missing.length) throw new Error(`tuning rung ${rung - 1} did not complete for ${missing.map((g) => g.group).join(', ')}`);
      const planned = rungRuns(expanded, tune, mine, rung, (g) => values(g)!);
      runs = [...runs, ...planned];
      // Runs of later rungs already here (a resumed tuning) stay, to be judged at their rung; runs
      // of this rung that its values no longer include — a failed run retried since has changed
      // the previous rung's ranking — are dropped.
      const present = new Set(committed?.manifest.runs.map((r) => r.run_id));
      const later = Array.from({length: rungs - rung}, (_, k) => rungRuns(expanded, tune, mine, rung + 1 + k, () => tune.values).filter((r) => present.has(r.run_id))).flat();
      const ids = new Set(planned.map((r) => r.run_id));
      const keep = (run: {run_id: string; status: string; factors: Record<string, unknown>}) => {
        const at = Number(run.factors.rung);
        // Earlier rungs' runs, failed ones included, made this rung's selection: they stay. This
        // rung's failed runs are trained again; its runs at values no longer selected go.
        return at < rung || (run.status !== 'failed' && (at > rung || ids.has(run.run_id)));
      };
      const budgets = [...new Set(mine.flatMap((g) => g.conditions.map((c) => c.spec.train.steps)))];
      const at = budgets.length <= 1
        ? ` at ${rungSteps(tune, rung - 1, budgets[0] ?? config.train.steps)} steps`
        : rung < rungs ? ` at 1/${tune.eta ** (rungs - rung)} of each condition's steps` : ' at each condition\'s steps';
      const label = `tuning ${tune.key} · rung ${rung} of ${rungs}: ${rungSizes(tune)[rung - 1]} values × ${mine.reduce((n, g) => n + g.conditions.length, 0)} conditions × ` +
        `${tune.seeds.length} seed${tune.seeds.length === 1 ? '' : 's'}${rungs > 1 ? at : ''}`;
      const grid = tuningGrid([...runs, ...later].sort((a, b) => a.index - b.index));
      const result = await trainStage(context, tuningDir, grid, planned, draft(grid, runs.length, {stage: 'tuning'}),
        {...(rung === 1 ? openOptions(tuningDir) : {resume: true, force: options.force}), keep}, label);
      records = [...records, ...result.records];
      if (rung === 1) mode = resumeTuning ? 'resume' : result.mode;
    }
    tuningResults = readResults(tuningDir);
    const outcome = tuningOutcome(tuningResults, tune, expanded.factorKeys);
    writeAtomic(join(outDir, TUNING_CSV), tuningCsv(outcome, tune, expanded.factorKeys));
    choices = new Map(outcome.choices.map((c) => [c.group, c.value]));
    for (const w of warningsOf(outcome, tune)) context.hooks.onNote?.(`warning: ${w}`);
    if (stage === 'tune') {
      return {outDir, backend, expanded, mode, records, results: tuningResults, stage, held: tuningResults.manifest.runs.length, tuning: {spec: tune, outcome, warnings: warningsOf(outcome, tune)}};
    }
  }

  // The final stage: the grid's runs, each at its group's chosen value.
  tuningResults ??= readResults(tuningDir);
  const outcome = tuningOutcome(tuningResults, tune, expanded.factorKeys);
  const warnings = warningsOf(outcome, tune);
  const tuned = tunedExpanded(expanded, tune, choices!);
  const planned = shardRuns(tuned.runs, options.shard);
  const record: ManifestTuning = {
    key: tune.key, values: tune.values, metric: tune.metric, schedule: tune.schedule, eta: tune.eta, shared: tune.shared, seeds: tune.seeds,
    rung_steps: rungSizes(tune).map((_, r) => rungSteps(tune, r, config.train.steps)),
    chosen: outcome.choices.map((c) => ({group: c.group, conditions: c.conditions, value: c.value, ...(c.edge && {edge: c.edge})})),
    warnings,
    ...(source && resolve(source) !== resolve(outDir) && {from: resolve(source)}),
  };
  const label = `final: the grid's ${tuned.runs.length} runs${options.shard ? ` (shard ${options.shard.index}/${options.shard.count}: ${planned.length})` : ''}, each condition at its tuned ${tune.key}`;
  // Runs at a value the tuning no longer chooses (it was redone since) are not these results.
  const finalIds = new Set(tuned.runs.map((r) => r.run_id));
  const keepFinal = (run: {run_id: string; status: string}) => run.status !== 'failed' && finalIds.has(run.run_id);
  const result = await trainStage(context, outDir, tuned, planned, draft(tuned, planned.length, {tuning: record}), {...openOptions(outDir), keep: keepFinal}, label);
  const results = readResults(outDir);
  return {
    outDir, backend, expanded: tuned, mode: stage === 'final' ? result.mode : mode, records: [...records, ...result.records], results, stage,
    held: results.manifest.runs.length + (stage === 'final' ? 0 : tuningResults.manifest.runs.length),
    tuning: {spec: tune, outcome, warnings},
  };
}

/** What a tuning's choices warn of: a value at the edge of the range, a condition no value finished. */
function warningsOf(outcome: TuningOutcome, tune: TuneSpec): string[] {
  return outcome.choices.map((c) => edgeWarning(c, tune.key)).filter((w): w is string => w !== undefined);
}

/** The stage to run, or a usage error when the options do not fit the experiment. */
function checkStage(name: string, tune: TuneSpec | undefined, options: RunExperimentOptions, file: string): Stage {
  const stage = options.stage ?? 'all';
  if (!tune) {
    if (stage !== 'all') throw new UserError(`--stage ${stage}: experiment ${name} tunes nothing (it has no tune: block), so it has one stage`, undefined, 'usage');
    if (options.tuning !== undefined) throw new UserError(`--tuning: experiment ${name} tunes nothing (it has no tune: block)`, undefined, 'usage');
    return stage;
  }
  if (options.tuning !== undefined && stage !== 'final') throw new UserError('--tuning DIR gives the final stage its tuning: use it with --stage final', undefined, 'usage');
  if (options.shard && stage === 'all') {
    const n = options.shard.count;
    throw new UserError(
      `experiment ${name} is tuned (tune:), so its shards run in two stages — the tuning splits the conditions, the final runs split the grid:\n` +
        `  1. normbench run ${file} --stage tune --shard I/${n}        (each I; → results/${name}-tune-shard-I-of-${n})\n` +
        `  2. normbench merge results/${name}-tune-shard-*-of-${n} --out results/${name}-tuning\n` +
        `  3. normbench run ${file} --stage final --tuning results/${name}-tuning --shard I/${n}   (each I; → results/${name}-shard-I-of-${n})\n` +
        `  4. normbench merge results/${name}-shard-*-of-${n} --out results/${name}\n` +
        'Give --stage tune or --stage final with --shard.',
      undefined,
      'usage',
    );
  }
  return stage;
}

/**
 * The final stage's tuning, read from `source`: every group must have its chosen value (else exit
 * 2, naming the missing ones). When `source` is another directory its tuning is copied beside the
 * results, so the results directory holds everything the report reads.
 */
function adoptTuning(source: string, outDir: string, tune: TuneSpec, groups: TuningGroup[], expanded: ExpandedExperiment, force?: boolean): Map<string, number> {
  const {config, factorKeys} = expanded;
  const dir = join(source, TUNING_DIR);
  const where = resolve(source) === resolve(outDir) ? `${source} (the output directory; --tuning DIR reads another)` : source;
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new UserError(`--stage final needs the tuning of every condition, and ${where} holds none (no tuning/manifest.json). Run --stage tune first (and merge its shards).`, undefined, 'conflict');
  }
  const tuning = readResults(dir);
  if (configHash(tuning.manifest.config) !== configHash(config)) {
    throw new UserError(`the tuning in ${where} is of a different experiment (config ${configHash(tuning.manifest.config)}, this one ${configHash(config)}): tune this experiment, or give --tuning the right directory`, undefined, 'conflict');
  }
  if (tuning.manifest.state !== 'complete') {
    throw new UserError(`the tuning in ${where} did not finish (its state is ${tuning.manifest.state}): resume it with --stage tune --resume first`, undefined, 'conflict');
  }
  // The choices as the tuning runs make them; tuning.csv, which says the same, must agree.
  const outcome = tuningOutcome(tuning, tune, factorKeys);
  const choices = new Map(outcome.choices.map((c) => [c.group, c.value]));
  const written = readTuningChoices(source, tune);
  if (!written) throw new UserError(`${where} has tuning runs but no ${TUNING_CSV}: the tuning did not finish; resume it with --stage tune --resume`, undefined, 'conflict');
  const disagree = [...written].filter(([group, value]) => choices.has(group) && choices.get(group) !== value).map(([group]) => group);
  if (disagree.length) {
    throw new UserError(`${join(source, TUNING_CSV)} does not say what its tuning runs choose (for ${disagree.join(', ')}): was it edited? Tune again, or restore it`, undefined, 'results');
  }
  const missing = missingChoices(groups, choices);
  if (missing.length) {
    throw new UserError(
      `--stage final needs the tuning of every condition; ${where} has none for ${missing.length} of ${groups.length}:\n  - ${missing.join('\n  - ')}\n` +
        'Finish the tune shards (normbench run … --stage tune --shard I/N), then merge them all into one directory and give it to --tuning.',
      undefined,
      'conflict',
    );
  }
  if (resolve(source) !== resolve(outDir)) {
    const here = join(outDir, TUNING_CSV);
    const same = existsSync(here) && readFileSync(here, 'utf8') === readFileSync(join(source, TUNING_CSV), 'utf8');
    if (!same) {
      if (existsSync(here) && !force) {
        throw new UserError(`${outDir} already holds another tuning (its tuning.csv differs from ${source}'s): use --force to replace it, or another --out`, undefined, 'conflict');
      }
      rmSync(join(outDir, TUNING_DIR), {recursive: true, force: true});
      cpSync(dir, join(outDir, TUNING_DIR), {recursive: true, filter: (src) => !/\.normbench\.lock$|\/\.\d+\.\d+\.tmp$/.test(src)});
      cpSync(join(source, TUNING_CSV), here);
    }
  }
  return choices;
}

interface StageContext {
  backend: string;
  dataDir?: string;
  hooks: ExperimentHooks;
  workers?: number;
  stack?: boolean;
  targets: ExpandedExperiment['config']['targets'];
}

/**
 * Train `planned` (runs of `grid`) into `dir`: open the results, train what is not finished —
 * in this process or in workers — committing each run as it finishes, and close.
 */
async function trainStage(
  context: StageContext,
  dir: string,
  grid: ExpandedExperiment,
  planned: RunSpec[],
  manifest: Manifest,
  open: OpenOptions,
  stage?: string,
): Promise<{mode: OpenMode; records: RunRecord[]}> {
  // 2. The results directory.
  const {backend, dataDir, hooks, targets} = context;
  // A shard's directory holds its part of the grid (a tuning rung's holds its grid: earlier and later rungs' runs too).
  const own = manifest.shard && manifest.stage !== 'tuning' ? new Set(planned.map((r) => r.run_id)) : undefined;
  const store = ResultsStore.open(dir, manifest, grid, {...open, own, expand: expandResolved});
  for (const note of store.notes) hooks.onNote?.(note);
  const todo = planned.filter((r) => !store.done.has(r.run_id));
  const requested = Math.max(1, Math.min(context.workers ?? availableParallelism(), todo.length));
  const plan = context.stack ? planUnits(todo, backend, requested, dataDir) : undefined;
  const units = plan?.units ?? todo.map((spec) => [spec]);
  const workers = Math.max(1, Math.min(requested, units.length));
  hooks.onGridStart?.({
    total: planned.length,
    done: planned.length - todo.length,
    work: todo.reduce((n, r) => n + estimatedCost(r), 0),
    backend,
    outDir: dir,
    mode: store.mode,
    workers,
    ...(stage && {stage}),
    ...(own && manifest.shard && {shard: {...manifest.shard, gridRuns: grid.runs.length}}),
    ...(plan && {stacks: units.filter((u) => u.length > 1).map((u) => u.length), unstacked: Object.fromEntries(plan.single)}),
  });

  // 3. Train, committing each run as it finishes; 4. or stop cleanly on a signal.
  const controller = new AbortController();
  const pool = workers > 1 ? new WorkerPool(workers, {backend, dataDir}) : undefined;
  const release = trapSignals(controller, (signal) => {
    pool?.stop();
    store.close('interrupted');
    process.exit(new Interrupted(signal).exitCode);
  });
  const records: RunRecord[] = [];
  // By run id: a spec back from a worker process is a copy, not the same object.
  const inProgress = new Map<string, RunSpec>();
  // Runs are numbered by their place in the planned grid: the same number before and after a resume.
  const position = new Map(planned.map((spec, i) => [spec.run_id, i + 1]));
  const finished = (record: RunRecord) => {
    store.commit(record);
    records.push(record);
    inProgress.delete(record.spec.run_id);
    hooks.onRunEnd?.(record, position.get(record.spec.run_id)!, planned.length);
  };
  const started = (spec: RunSpec) => {
    inProgress.set(spec.run_id, spec);
    hooks.onRunStart?.(spec, position.get(spec.run_id)!, planned.length);
  };
  try {
    if (pool) {
      const interrupted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => {
          pool.stop();
          reject(new Interrupted(controller.signal.reason as NodeJS.Signals));
        });
      });
      await Promise.race([pool.run(units, targets, {...hooks, started, finished}), interrupted]);
      await pool.close();
    } else {
      for (const unit of units) {
        for (const spec of unit) started(spec);
        for (const record of await runUnit(unit, targets, dataDir, hooks, controller.signal)) finished(record);
      }
    }
  } catch (error) {
    pool?.stop();
    if (!(error instanceof Interrupted)) {
      store.close('interrupted');
      throw error;
    }
    hooks.onInterrupt?.(error.signal);
    store.close('interrupted');
    throw new GridInterrupted(error.signal, dir, planned.filter((r) => store.done.has(r.run_id)).length, planned.length, [...inProgress.values()]);
  } finally {
    release();
  }
  store.close('complete');
  return {mode: store.mode, records};
}
