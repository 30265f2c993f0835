// Run every cell of an experiment's grid, one after another, writing results as each finishes.
// A run that diverges is a result; a run that throws is recorded as `failed` with its error,
// and the rest of the grid goes on.

import {join, resolve} from 'node:path';
import {useBackend, TFJS_VERSION} from '../backend.js';
import {expandExperiment, type ExpandedExperiment, type RunSpec} from '../config/expand.js';
import type {LoadedExperiment} from '../config/load.js';
import type {Targets} from '../config/schema.js';
import {loadDataset} from '../data/registry.js';
import {buildModel} from '../models/registry.js';
import {parameterCount} from '../models/types.js';
import type {RunRecord} from '../results/columns.js';
import {configHash, gitCommit, type Manifest} from '../results/manifest.js';
import {ResultsWriter} from '../results/writer.js';
import {runMetrics} from '../train/metrics.js';
import {train, type CurvePoint} from '../train/trainer.js';
import {VERSION} from '../version.js';

export interface ExperimentHooks {
  onGridStart?(info: {total: number; backend: string; outDir: string}): void;
  onRunStart?(spec: RunSpec, total: number): void;
  onStep?(spec: RunSpec, step: number, loss: number): void;
  onEval?(spec: RunSpec, point: CurvePoint): void;
  onRunEnd?(record: RunRecord, total: number): void;
}

export interface RunExperimentOptions {
  /** Results directory; default results/<experiment name>. */
  out?: string;
  backend?: string;
  /** Where to look for the full Fashion-MNIST first. */
  dataDir?: string;
  hooks?: ExperimentHooks;
}

export interface ExperimentResult {
  outDir: string;
  backend: string;
  expanded: ExpandedExperiment;
  /** One per run, in grid order. */
  records: RunRecord[];
  files: {curves: string; summary: string; manifest: string};
}

export function defaultOutDir(name: string): string {
  return join('results', name);
}

/** Train one grid cell. Never throws: an error becomes a `failed` record carrying its message. */
export function runOne(spec: RunSpec, targets: Targets, dataDir?: string, hooks: ExperimentHooks = {}): RunRecord {
  let model;
  try {
    const data = loadDataset(spec.dataset, dataDir);
    model = buildModel({...spec, inputs: data.features, classes: data.classes});
    const params = parameterCount(model);
    const result = train(model, data, spec.train, spec.seed, {
      onStep: (step, loss) => hooks.onStep?.(spec, step, loss),
      onEval: (point) => hooks.onEval?.(spec, point),
    });
    return {
      spec,
      status: result.status,
      steps: result.steps,
      points: result.points,
      metrics: runMetrics(result, targets),
      params,
      message: result.message,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {spec, status: 'failed', steps: 0, points: [], message};
  } finally {
    model?.dispose();
  }
}

export async function runExperiment(loaded: LoadedExperiment, options: RunExperimentOptions = {}): Promise<ExperimentResult> {
  const expanded = expandExperiment(loaded);
  const {config} = expanded;
  const outDir = resolve(options.out ?? defaultOutDir(config.name));
  // Missing data is bad input, not a failed run: find every dataset before writing anything.
  for (const spec of expanded.runs) loadDataset(spec.dataset, options.dataDir);
  const backend = await useBackend(options.backend ?? 'auto');
  const hooks = options.hooks ?? {};
  const manifest: Manifest = {
    experiment: config.name,
    question: config.question,
    file: loaded.file,
    config_hash: configHash(config),
    config,
    normbench_version: VERSION,
    tfjs_version: TFJS_VERSION,
    backend,
    node_version: process.version,
    platform: `${process.platform}-${process.arch}`,
    git_commit: gitCommit(resolve(loaded.file)),
    started: new Date().toISOString(),
    finished: null,
    state: 'running',
    runs_total: expanded.runs.length,
    runs: [],
  };
  const writer = new ResultsWriter(outDir, expanded, manifest);
  writer.start();
  hooks.onGridStart?.({total: expanded.runs.length, backend, outDir});
  const records: RunRecord[] = [];
  for (const spec of expanded.runs) {
    hooks.onRunStart?.(spec, expanded.runs.length);
    const record = runOne(spec, config.targets, options.dataDir, hooks);
    records.push(record);
    writer.add(record);
    hooks.onRunEnd?.(record, expanded.runs.length);
  }
  writer.finish();
  return {outDir, backend, expanded, records, files: writer.paths};
}
