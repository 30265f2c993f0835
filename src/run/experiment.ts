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

import {availableParallelism} from 'node:os';
import {useBackend, TFJS_VERSION} from '../backend.js';
import type {LoadedExperiment} from '../config/load.js';
import {loadDataset} from '../data/registry.js';
import {Interrupted} from '../errors.js';
import {draftManifest} from '../results/manifest.js';
import {checkInputDir, prepareOutDir} from '../results/outdir.js';
import {readResults, type Results} from '../results/read.js';
import {ResultsStore, type OpenMode} from '../results/store.js';
import type {ExpandedExperiment, RunSpec} from '../spec/experiment.js';
import type {RunRecord} from '../spec/records.js';
import type {ExperimentHooks} from './hooks.js';
import {WorkerPool} from './pool.js';
import {defaultOutDir, gridWidth, shardRuns, type Shard} from './shard.js';
import {GridInterrupted, trapSignals} from './signals.js';
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
  /** Worker processes (default: the cores available); 1 trains in this process. */
  workers?: number;
  /** Train the runs that differ only in seed and learning rate as one stacked model (same results). */
  stack?: boolean;
  hooks?: ExperimentHooks;
  /** The command line recorded in the manifest (default: this process's). */
  command?: string[];
}

export interface ExperimentResult {
  outDir: string;
  backend: string;
  expanded: ExpandedExperiment;
  mode: OpenMode;
  /** Runs trained in this session (finished ones found on resume are not among them). */
  records: RunRecord[];
  /** Every run in the directory, read back from its files. */
  results: Results;
}

export async function runExperiment(loaded: LoadedExperiment, options: RunExperimentOptions = {}): Promise<ExperimentResult> {
  // 1. Every check before anything is written.
  const {expanded} = loaded;
  const {config} = expanded;
  const planned = shardRuns(expanded.runs, options.shard);
  const dataDir = options.dataDir === undefined ? undefined : checkInputDir(options.dataDir, '--data-dir');
  const data: Record<string, string> = {};
  for (const spec of planned) {
    const loaded = loadDataset(spec.dataset, dataDir);
    const held = loaded.validation
      ? ` · validation: ${loaded.validation.n} examples held out of the training split, stratified by class, fixed by the data set (not the run seed); training on ${loaded.train.n}`
      : '';
    data[spec.dataset.name] = `${loaded.source}${held}`;
  }
  const backend = await useBackend(options.backend ?? 'auto', gridWidth(expanded.runs));
  const outDir = prepareOutDir(options.out ?? defaultOutDir(config.name, options.shard));

  // 2. The results directory.
  const command = options.command ?? [process.execPath, ...process.argv.slice(1)];
  const manifest = draftManifest({file: loaded.file, expanded, backend, tfjsVersion: TFJS_VERSION, shard: options.shard, planned: planned.length, data, command});
  const store = ResultsStore.open(outDir, manifest, expanded, {force: options.force, resume: options.resume});
  const todo = planned.filter((r) => !store.done.has(r.run_id));
  const requested = Math.max(1, Math.min(options.workers ?? availableParallelism(), todo.length));
  const plan = options.stack ? planUnits(todo, backend, requested, dataDir) : undefined;
  const units = plan?.units ?? todo.map((spec) => [spec]);
  const workers = Math.max(1, Math.min(requested, units.length));
  const hooks = options.hooks ?? {};
  hooks.onGridStart?.({
    total: planned.length,
    done: planned.length - todo.length,
    steps: todo.reduce((n, r) => n + r.train.steps, 0),
    backend,
    outDir,
    mode: store.mode,
    workers,
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
  const position = new Map(todo.map((spec, i) => [spec.run_id, planned.length - todo.length + i + 1]));
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
      await Promise.race([pool.run(units, config.targets, {...hooks, started, finished}), interrupted]);
      await pool.close();
    } else {
      for (const unit of units) {
        for (const spec of unit) started(spec);
        for (const record of await runUnit(unit, config.targets, dataDir, hooks, controller.signal)) finished(record);
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
    throw new GridInterrupted(error.signal, outDir, store.done.size, planned.length, [...inProgress.values()]);
  } finally {
    release();
  }
  store.close('complete');
  return {outDir, backend, expanded, mode: store.mode, records, results: readResults(outDir)};
}
