// What one process trains at a time — a unit: a single run (`runOne`), or with `normbench run
// --stack` a stack of 2 or more runs that differ only in seed and learning rate, trained as one
// stacked model (src/stack/), each replicate bit for bit its unstacked run (`runStack`).
// `planUnits` decides which runs share a stack from the specs alone (nothing is built). Runs that
// cannot be stacked (another model or norm, another optimizer, clipping, regression, or a
// backend whose stacked arithmetic is not bitwise) stay single runs.

import type {RunSpec, Targets} from '../spec/experiment.js';
import {loadDataset} from '../data/registry.js';
import {Interrupted} from '../errors.js';
import {buildModel} from '../models/registry.js';
import type {Mlp} from '../models/mlp.js';
import {parameterCount, type Model} from '../models/types.js';
import type {RunRecord} from '../spec/records.js';
import {stackingRefusal, stackKey, stackRefusal, trainStacked, type Replicate} from '../stack/trainer.js';
import {runMetrics} from '../train/metrics.js';
import {train, type TrainerHooks, type TrainResult} from '../train/trainer.js';
import type {ExperimentHooks} from './hooks.js';

/** A run's record from its training result. */
function runRecord(spec: RunSpec, result: TrainResult, params: number, targets: Targets): RunRecord {
  return {
    spec, status: result.status, steps: result.steps, points: result.points, metrics: runMetrics(result, targets), params,
    message: result.message, gradientFlow: result.gradientFlow, diagnostics: result.diagnostics, evalModes: result.evalModes,
    ...(result.trainEval && {trainEval: result.trainEval}),
  };
}

/** The trainer's hooks for one run: progress tagged with its spec, and what the spec asks to record. */
function runHooks(spec: RunSpec, hooks: ExperimentHooks): Omit<TrainerHooks, 'signal'> {
  return {
    onStep: (step, loss) => hooks.onStep?.(spec, step, loss),
    onEval: (point) => hooks.onEval?.(spec, point),
    probes: spec.probes,
    activation: spec.activation,
    evalModes: spec.eval_modes,
    evalTrain: spec.eval_train === true,
  };
}

/** A unit's runs, all failed with the error's message (an interruption is thrown on). */
function failed(specs: RunSpec[], error: unknown): RunRecord[] {
  if (error instanceof Interrupted) throw error;
  const message = error instanceof Error ? error.message : String(error);
  return specs.map((spec) => ({spec, status: 'failed', steps: 0, points: [], message}));
}

function build(spec: RunSpec, dataDir?: string): Model {
  const data = loadDataset(spec.dataset, dataDir);
  const sequence = data.inputs ? {inputs: data.inputs, steps: data.train.width / data.inputs} : undefined;
  const {model, norm, activation, seed} = spec;
  return buildModel({model, norm, activation, seed, inputs: data.features, classes: data.classes, sequence, ...(data.image && {image: data.image})});
}

/**
 * For tests of what happens to a run that fails: a cell with one of the comma-separated texts of
 * $NORMBENCH_FAIL_CELLS in one of its grid values (`train.batch_size=500`) throws, as a run that
 * fails while training would. Bad input cannot stand in: it is refused before anything trains.
 */
function failOnPurpose(spec: RunSpec): void {
  const texts = (process.env.NORMBENCH_FAIL_CELLS ?? '').split(',').filter(Boolean);
  const values = Object.entries(spec.factors).map(([key, value]) => `${key}=${value}`);
  const hit = texts.find((text) => values.includes(text));
  if (hit) throw new Error(`failed on purpose: $NORMBENCH_FAIL_CELLS names ${hit}`);
}

/** Train one grid cell. Never throws for a failed run (it becomes a record); only when interrupted. */
export async function runOne(spec: RunSpec, targets: Targets, dataDir?: string, hooks: ExperimentHooks = {}, signal?: AbortSignal): Promise<RunRecord> {
  let model: Model | undefined;
  try {
    failOnPurpose(spec);
    model = build(spec, dataDir);
    const result = await train(model, loadDataset(spec.dataset, dataDir), spec.train, spec.seed, {...runHooks(spec, hooks), signal});
    return runRecord(spec, result, parameterCount(model), targets);
  } catch (error) {
    return failed([spec], error)[0]!;
  } finally {
    model?.dispose();
  }
}

/**
 * Train a stack (2 or more runs): one record per run, in order, each what `runOne` would give
 * (timing aside). Never throws for a failure — every run of the stack is then recorded as
 * failed — only when interrupted.
 */
export async function runStack(specs: RunSpec[], targets: Targets, dataDir?: string, hooks: ExperimentHooks = {}, signal?: AbortSignal): Promise<RunRecord[]> {
  const models: Mlp[] = [];
  try {
    const data = loadDataset(specs[0]!.dataset, dataDir);
    const replicates: Replicate[] = specs.map((spec) => {
      const model = build(spec, dataDir) as Mlp;
      models.push(model);
      return {model, seed: spec.seed, spec: spec.train, hooks: runHooks(spec, hooks)};
    });
    // The plan and the stack's own check agree (the plan decides from the specs, the stack from
    // the models); should they not, the runs train alone rather than fail.
    if (stackRefusal(replicates, data)) {
      for (const model of models.splice(0)) model.dispose();
      const records: RunRecord[] = [];
      for (const spec of specs) records.push(await runOne(spec, targets, dataDir, hooks, signal));
      return records;
    }
    const params = parameterCount(models[0]!);
    const results = await trainStacked(replicates, data, signal);
    const ids = specs.map((s) => s.run_id);
    return results.map((result, i) => ({...runRecord(specs[i]!, result, params, targets), stackedWith: ids.filter((id) => id !== specs[i]!.run_id)}));
  } catch (error) {
    return failed(specs, error);
  } finally {
    for (const model of models) model.dispose();
  }
}

/** Train a unit: one record per run, in order. */
export async function runUnit(specs: RunSpec[], targets: Targets, dataDir?: string, hooks: ExperimentHooks = {}, signal?: AbortSignal): Promise<RunRecord[]> {
  return specs.length === 1 ? [await runOne(specs[0]!, targets, dataDir, hooks, signal)] : runStack(specs, targets, dataDir, hooks, signal);
}

/** Why a run cannot join a stack on this backend, or undefined when it can. */
export function unstackable(spec: RunSpec, backend: string, dataDir?: string): string | undefined {
  const task = loadDataset(spec.dataset, dataDir).task;
  return stackingRefusal({backend, model: spec.model.kind, norm: spec.norm.name, task, train: spec.train});
}

/** What must agree for runs to share a stack: everything but the seed and the learning rate. */
function shareKey(spec: RunSpec): string {
  return JSON.stringify([spec.dataset, spec.model, spec.norm, spec.activation, stackKey(spec.train)]);
}

export interface UnitPlan {
  /** Units in plan order (a unit's runs keep their order; a unit sits where its first run was). */
  units: RunSpec[][];
  /** Why runs stayed single, with how many (empty when every run is in a stack). */
  single: Map<string, number>;
}

/**
 * Group the runs to train into units: runs that share everything but seed and learning rate form
 * one stack. So that the workers share the work, no stack holds more than its share of the
 * stackable runs (⌈stackable ÷ workers⌉): a larger one is split into near-equal parts, and a
 * part of one run trains alone.
 */
export function planUnits(specs: readonly RunSpec[], backend: string, workers: number, dataDir?: string): UnitPlan {
  const single = new Map<string, number>();
  const count = (reason: string, n = 1) => single.set(reason, (single.get(reason) ?? 0) + n);
  const groups = new Map<string, RunSpec[]>();
  const units: RunSpec[][] = [];
  for (const spec of specs) {
    const reason = unstackable(spec, backend, dataDir);
    const group = reason ? undefined : groups.get(shareKey(spec));
    if (reason) count(reason);
    if (group) group.push(spec);
    else {
      const unit = [spec];
      if (!reason) groups.set(shareKey(spec), unit);
      units.push(unit);
    }
  }
  const stacks = new Set(groups.values());
  const stackable = [...stacks].reduce((n, group) => n + group.length, 0);
  const share = Math.max(1, Math.ceil(stackable / workers));
  const planned = units.flatMap((unit) => {
    if (!stacks.has(unit)) return [unit];
    if (unit.length === 1) count('no other run to stack with (same cell, another seed or learning rate)');
    const n = Math.ceil(unit.length / share);
    const parts = Array.from({length: n}, (_, i) => unit.slice(Math.floor((i * unit.length) / n), Math.floor(((i + 1) * unit.length) / n)));
    const alone = unit.length > 1 ? parts.filter((p) => p.length === 1).length : 0;
    if (alone > 0) count('split off a stack so that every worker has a share', alone);
    return parts;
  });
  return {units: planned, single};
}
