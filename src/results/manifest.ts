// manifest.json: what was run, with what, where, when and by which command, and how each run
// ended. It is also the results directory's commit record: a run is part of the results once
// the manifest lists it, and `files` gives the byte length of each CSV up to its last whole run.

import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {cpus, hostname} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {ExpandedExperiment, ExperimentConfig} from '../spec/experiment.js';
import {hashOf, stableStringify} from '../util/canonical.js';
import {gridBlocks} from '../spec/grid.js';
import {PACKAGE_ROOT, VERSION} from '../version.js';
import type {RunRecord, RunStatus} from '../spec/records.js';
import {RESULTS_FORMAT} from './columns.js';


export type ResultsState = 'running' | 'interrupted' | 'complete';

/** A git checkout's commit and whether tracked files differ from it. */
export interface RepoState {
  root: string;
  commit: string;
  dirty: boolean;
}

/** Which normbench made a run: `build` hashes its code, so any change to the code changes it. */
export interface NormbenchIdentity {
  version: string;
  /** normbench's own git commit, when it runs from a checkout of its repository. */
  commit: string | null;
  dirty: boolean | null;
  build: string;
}

export interface Session {
  started: string;
  finished: string | null;
  state: ResultsState;
  normbench_version: string;
  normbench_build: string;
  backend: string;
  /** Runs trained and committed in this session. */
  runs: number;
}

export interface ManifestRun {
  run_id: string;
  index: number;
  norm: string;
  activation: string;
  seed: number;
  factors: Record<string, unknown>;
  status: RunStatus;
  steps: number;
  params?: number;
  message?: string;
  /** The runs it was trained with as one stack (`run --stack`), when it was. */
  stacked_with?: string[];
  /** Who made this run (a resumed directory can hold runs of several sessions). */
  normbench_version: string;
  backend: string;
  session: number;
}

export interface Manifest {
  format: number;
  experiment: string;
  question: string;
  /** Absolute path of the experiment file. */
  experiment_file: string;
  /** The git state of the repository holding the experiment file, if any. */
  experiment_repo: RepoState | null;
  config_hash: string;
  /** The resolved configuration: extends merged, --set applied, defaults filled in. */
  config: ExperimentConfig;
  /** Every run of the full grid, in grid order (a shard trains some of them). */
  grid: {size: number; run_ids: string[]};
  /** `--shard I/N`: this directory holds the grid cells whose index mod N is I−1. */
  shard: {index: number; count: number} | null;
  normbench: NormbenchIdentity;
  tfjs_version: string;
  backend: string;
  node_version: string;
  platform: string;
  host: {name: string; cpu: string; cores: number};
  /** The command line that started the latest session, and its working directory. */
  command: string[];
  cwd: string;
  /** Where each data set was read from. */
  data: Record<string, string>;
  /**
   * The files each data set was read from, by data set (its name; for your own data, `files: ` and
   * its paths — src/data/registry.ts dataKey): part of the runs' identity (a
   * changed file refuses a resume). Generated data sets (synthetic, adding) have none: their
   * config is their identity. Absent in results written before it was recorded.
   */
  data_files?: Record<string, DataFile[]>;
  started: string;
  finished: string | null;
  state: ResultsState;
  /** Runs this directory is to hold: the grid, or this shard's part of it. */
  runs_total: number;
  /** Committed byte lengths: the CSVs end with a whole run at these lengths (gradient_flow when probed). */
  files: {curves: number; summary: number; gradient_flow?: number; diagnostics?: number};
  sessions: Session[];
  /** Committed runs, in grid order. */
  runs: ManifestRun[];
  /** `tuning`: this directory holds a tuned experiment's tuning runs (<out>/tuning), not its grid. */
  stage?: 'tuning';
  /** A tuned experiment's results: what was tuned, how, and each condition's chosen value. */
  tuning?: ManifestTuning;
}

/** One file a data set was read from: its name, size and SHA-256 (and for your own data its path, as the experiment writes it). */
export interface DataFile {
  name: string;
  path?: string;
  size: number;
  sha256: string;
}

/** A tuned experiment's tuning, as its results' manifest records it. */
export interface ManifestTuning {
  key: string;
  values: number[];
  metric: string;
  schedule: string;
  eta: number;
  shared: boolean;
  seeds: number[];
  /** Steps per rung of a condition with the experiment's train.steps (full: one rung). */
  rung_steps: number[];
  chosen: Array<{group: string; conditions: string[]; value: number; edge?: 'low' | 'high'}>;
  warnings: string[];
  /** Where the tuning was read from when another directory trained it (`run --stage final --tuning DIR`). */
  from?: string;
}

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, {cwd, stdio: ['ignore', 'pipe', 'ignore']}).toString().trim();
  } catch {
    return null;
  }
}

/** The git state of the repository that holds `file` (a file or a directory), if any. */
export function repoState(file: string): RepoState | null {
  const dir = statSync(file, {throwIfNoEntry: false})?.isDirectory() ? file : dirname(file);
  const root = git(dir, ['rev-parse', '--show-toplevel']);
  const commit = root === null ? null : git(dir, ['rev-parse', 'HEAD']);
  if (root === null || commit === null) return null;
  // Dirty: a tracked file differs from the commit, or the experiment file itself is not committed.
  const tracked = git(root, ['status', '--porcelain', '--untracked-files=no']);
  const own = dir === file ? '' : git(root, ['status', '--porcelain', '--untracked-files=all', '--', resolve(file)]);
  return {root, commit, dirty: tracked !== '' || (own !== null && own !== '')};
}

function codeFiles(dir: string, ext: string): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .flatMap((e) => (e.isDirectory() ? codeFiles(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : []))
    .sort();
}

let identity: NormbenchIdentity | undefined;

/**
 * This normbench: its version, its commit when run from its own checkout (not the repository
 * of a project that installed it), and a hash of the code that is running — dist/src when
 * built, src/ under bin/dev.js — so that results made by different code are never mistaken
 * for each other, whatever the version number says.
 */
export function normbenchIdentity(): NormbenchIdentity {
  if (identity) return identity;
  const here = dirname(fileURLToPath(import.meta.url));
  const codeRoot = dirname(here); // dist/src or src
  const ext = here.includes(`${join('dist', 'src')}`) ? '.js' : '.ts';
  const hash = createHash('sha256');
  for (const file of codeFiles(codeRoot, ext)) hash.update(file.slice(codeRoot.length)).update(readFileSync(file));
  const repo = repoState(PACKAGE_ROOT);
  const own = repo !== null && resolve(repo.root) === resolve(PACKAGE_ROOT);
  identity = {version: VERSION, commit: own ? repo.commit : null, dirty: own ? repo.dirty : null, build: hash.digest('hex').slice(0, 12)};
  return identity;
}

export function hostInfo(): Manifest['host'] {
  const list = cpus();
  return {name: hostname(), cpu: list[0]?.model.trim() ?? 'unknown', cores: list.length};
}

/**
 * Keys of an experiment that say or check something about its training without changing it: its
 * wording, the targets (steps_to_* are recomputed from the curves), verify's tolerances, the
 * claims `check` decides and how `report` presents the results. None of them is identity.
 */
export const NOT_TRAINING = ['name', 'question', 'description', 'targets', 'verify', 'claims', 'report'] as const;

/** The part of a config that decides what is trained. */
export function trainingPart(config: ExperimentConfig): Record<string, unknown> {
  const rest: Record<string, unknown> = {...config};
  for (const key of NOT_TRAINING) delete rest[key];
  return rest;
}

/**
 * The experiment's identity: a hash of what its config trains (dataset, model, train, norm,
 * activation, seed, grid, probes, eval modes, tune), never of its wording or its checks. Compare
 * configs with this function, not with a manifest's recorded `config_hash`: the hash of results
 * written before a key became "not training" was taken over more keys.
 */
export function configHash(config: ExperimentConfig): string {
  return hashOf(trainingPart(config));
}

/**
 * What the runs of a config write beside their curves: probes, evaluation modes, and whether any
 * holds out a validation split (its columns). Runs that write different things cannot share a
 * directory's tables (a resume, a merge).
 */
export function writtenKinds(config: ExperimentConfig): string {
  const held = (d: unknown) => typeof d === 'object' && d !== null && (d as {validation?: unknown}).validation !== undefined;
  const validation = held(config.dataset) || gridBlocks(config.grid).some((b) => b['dataset.validation'] !== undefined || (b.dataset ?? []).some(held));
  return stableStringify({probes: config.probes ?? null, eval_modes: config.eval_modes ?? null, validation, ...(config.eval_train && {eval_train: true})});
}

/** `writtenKinds` in words: `probes grad_norms, eval_modes none, a validation split`. */
export function writtenKindsText(config: ExperimentConfig): string {
  const held = (JSON.parse(writtenKinds(config)) as {validation: boolean}).validation;
  return `probes ${config.probes?.join(', ') || 'none'}, eval_modes ${config.eval_modes?.join(', ') || 'none'}, ${held ? 'a validation split' : 'no validation split'}${config.eval_train ? ', eval_train' : ''}`;
}

export function manifestRun(record: RunRecord, session: number, backend: string): ManifestRun {
  const s = record.spec;
  return {
    run_id: s.run_id,
    index: s.index,
    norm: s.norm_label,
    activation: s.activation,
    seed: s.seed,
    factors: s.factor_values,
    status: record.status,
    steps: record.steps,
    params: record.params,
    message: record.message,
    stacked_with: record.stackedWith,
    normbench_version: VERSION,
    backend,
    session,
  };
}

/** The manifest of a new session, before any run. */
export function draftManifest(session: {
  /** The experiment file. */
  file: string;
  expanded: ExpandedExperiment;
  backend: string;
  tfjsVersion: string;
  shard?: {index: number; count: number};
  /** Runs this directory is to hold. */
  planned: number;
  /** Where each data set came from, and the files it was read from. */
  data: Record<string, string>;
  dataFiles?: Record<string, DataFile[]>;
  command: string[];
  stage?: 'tuning';
  tuning?: ManifestTuning;
}): Manifest {
  const {expanded, backend, shard, planned, data, command} = session;
  const {config} = expanded;
  const file = resolve(session.file);
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
    tfjs_version: session.tfjsVersion,
    backend,
    node_version: process.version,
    platform: `${process.platform}-${process.arch}`,
    host: hostInfo(),
    command,
    cwd: process.cwd(),
    data,
    ...(session.dataFiles && Object.keys(session.dataFiles).length > 0 && {data_files: session.dataFiles}),
    started: now,
    finished: null,
    state: 'running',
    runs_total: planned,
    files: {curves: 0, summary: 0},
    sessions: [{started: now, finished: null, state: 'running', normbench_version: nb.version, normbench_build: nb.build, backend, runs: 0}],
    runs: [],
    ...(session.stage && {stage: session.stage}),
    ...(session.tuning && {tuning: session.tuning}),
  };
}
