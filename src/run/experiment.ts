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
import {basename, join, relative, resolve} from 'node:path';
import {useBackend, TFJS_VERSION} from '../backend.js';
import {expandExperiment, type ExpandedExperiment, type RunSpec} from '../config/expand.js';
import type {LoadedExperiment} from '../config/load.js';
import {loadDataset} from '../data/registry.js';
import {Interrupted, UserError} from '../errors.js';
import {modelWidth} from '../models/registry.js';
import type {RunRecord} from '../results/columns.js';
import {configHash, hostInfo, normbenchIdentity, repoState, RESULTS_FORMAT, type Manifest} from '../results/manifest.js';
import {readResults, type Results} from '../results/read.js';
import {ResultsStore, type OpenMode} from '../results/store.js';
import type {CurvePoint} from '../train/trainer.js';
import {checkInputDir, prepareOutDir} from './outdir.js';
import {WorkerPool} from './pool.js';
import {planUnits, runUnit} from './units.js';

export {runOne} from './units.js';

export interface GridStart {
  /** Runs this directory is to hold (the grid, or this shard's part). */
  total: number;
  /** Of those, already finished here (resumed). */
  done: number;
  /** Training steps still to run, over all planned runs. */
  steps: number;
  backend: string;
  outDir: string;
  mode: OpenMode;
  /** Worker processes training the cells (1: this process). */
  workers: number;
  /** With --stack: the size of each stack to train (stacks of 2 or more runs), in plan order. */
  stacks?: number[];
  /** With --stack: why runs train alone, and how many. */
  unstacked?: Record<string, number>;
}

export interface ExperimentHooks {
  onGridStart?(info: GridStart): void;
  onRunStart?(spec: RunSpec, position: number, total: number): void;
  onStep?(spec: RunSpec, step: number, loss: number): void;
  onEval?(spec: RunSpec, point: CurvePoint): void;
  onRunEnd?(record: RunRecord, position: number, total: number): void;
  /** Training stopped by a signal; called before the results are closed. */
  onInterrupt?(signal: NodeJS.Signals): void;
}

/** `--shard I/N`: the cells whose grid index mod N is I−1 (1 ≤ I ≤ N). */
export interface Shard {
  index: number;
  count: number;
}

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

/** Raised after an interruption, once the finished runs are safely committed. */
export class GridInterrupted extends Interrupted {
  constructor(
    signal: NodeJS.Signals,
    readonly outDir: string,
    readonly kept: number,
    readonly total: number,
    /** The runs in progress, dropped. */
    readonly dropped: RunSpec[],
  ) {
    super(signal);
  }
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UserError(`--shard takes I/N with 1 ≤ I ≤ N (e.g. --shard 1/4), got "${text}"`, undefined, 'usage');
  }
  return {index, count};
}

export function defaultOutDir(name: string, shard?: Shard): string {
  return join('results', shard ? `${name}-shard-${shard.index}-of-${shard.count}` : name);
}

/** The cells a shard trains: every N-th by grid index, so each shard gets a mix of the grid. */
export function shardRuns(runs: RunSpec[], shard?: Shard): RunSpec[] {
  return shard ? runs.filter((r) => r.index % shard.count === shard.index - 1) : runs;
}

/** Stop on SIGINT / SIGTERM at the next training step; a second signal exits at once. */
function trapSignals(controller: AbortController, onForce: (signal: NodeJS.Signals) => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) onForce(signal);
    else controller.abort(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/** The manifest of a new session, before any run. */
function draftManifest(loaded: LoadedExperiment, expanded: ExpandedExperiment, backend: string, shard: Shard | undefined, planned: number, data: Record<string, string>, command: string[]): Manifest {
  const {config} = expanded;
  const file = resolve(loaded.file);
  const nb = normbenchIdentity();
  const now = new Date().toISOString();
  return {
    format: RESULTS_FORMAT,
    experiment: config.name,
    question: config.question,
    experiment_file: file,
    experiment_repo: repoState(file),
    config_hash: configHash(config),
    config,
    grid: {size: expanded.runs.length, run_ids: expanded.runs.map((r) => r.run_id)},
    shard: shard ?? null,
    normbench: nb,
    tfjs_version: TFJS_VERSION,
    backend,
    node_version: process.version,
    platform: `${process.platform}-${process.arch}`,
    host: hostInfo(),
    command,
    cwd: process.cwd(),
    data,
    started: now,
    finished: null,
    state: 'running',
    runs_total: planned,
    files: {curves: 0, summary: 0},
    sessions: [{started: now, finished: null, state: 'running', normbench_version: nb.version, normbench_build: nb.build, backend, runs: 0}],
    runs: [],
  };
}

/** How to run a command again, as the user typed it. */
export function commandLine(argv: string[] = process.argv): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const bin = argv[1] ?? 'normbench';
  const rel = relative(process.cwd(), bin);
  const head = basename(bin) === 'run.js' || basename(bin) === 'dev.js' ? `node ${rel && !rel.startsWith('..') ? rel : bin}` : 'normbench';
  return [head, ...argv.slice(2).map(quote)].join(' ');
}

/**
 * The widest layer over the whole grid, for `--backend auto`: the same for every shard and every
 * resume, so the shards of one grid pick the same backend.
 */
export function gridWidth(runs: readonly RunSpec[]): number {
  return Math.max(0, ...runs.map((r) => modelWidth(r.model)));
}

export async function runExperiment(loaded: LoadedExperiment, options: RunExperimentOptions = {}): Promise<ExperimentResult> {
  // 1. Every check before anything is written.
  const expanded = expandExperiment(loaded);
  const {config} = expanded;
  const planned = shardRuns(expanded.runs, options.shard);
  const dataDir = options.dataDir === undefined ? undefined : checkInputDir(options.dataDir, '--data-dir');
  const data: Record<string, string> = {};
  for (const spec of planned) data[spec.dataset.name] = loadDataset(spec.dataset, dataDir).source;
  const backend = await useBackend(options.backend ?? 'auto', gridWidth(expanded.runs));
  const outDir = prepareOutDir(options.out ?? defaultOutDir(config.name, options.shard));

  // 2. The results directory.
  const command = options.command ?? [process.execPath, ...process.argv.slice(1)];
  const manifest = draftManifest(loaded, expanded, backend, options.shard, planned.length, data, command);
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
