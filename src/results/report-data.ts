// What a report is made of, from results files only: the sources (one per results directory),
// the conditions (a grid cell without its seed, within one source), each condition's summary
// statistics over seeds, and curves aggregated over seeds.
//
// Which runs count:
// - the table: runs with status `ok`; diverged and failed runs are counted, not averaged (a
//   diverged run's loss is nan, a failed run has no metrics);
// - steps to a target: the ok runs that reached it (`reached` of `n`);
// - the curves: the ok runs too, so that a line is the mean of the same seeds at every step
//   (a diverged run is drawn as a mark where it diverged instead).

import {basename, resolve} from 'node:path';
import {UserError} from '../errors.js';
import type {DatasetSpec} from '../spec/experiment.js';
import {resultsFactorKeys} from './columns.js';
import {rowObjects, type Results} from './read.js';


export interface Source {
  /** The experiment name, or the directory name where two sources share an experiment. */
  label: string;
  results: Results;
  factorKeys: string[];
}

/** Where a run belongs, and how it ended. */
export interface RunInfo {
  condition: Condition;
  status: string;
  steps: number;
}

/** Runs of the report by runKey(source, run_id). */
export type RunIndex = Map<string, RunInfo>;

export const runKey = (source: string, runId: string) => `${source}\u0000${runId}`;

export interface RunRef {
  run_id: string;
  seed: string;
  status: string;
}

export interface Condition {
  /** Unique over the report. */
  key: string;
  source: string;
  norm: string;
  activation: string;
  /** Grid factors as written in the CSV (a factor another source has but this one lacks is ''). */
  factors: Record<string, string>;
  /** The same with their YAML types, from the manifest (for JSON). */
  factorValues: Record<string, unknown>;
  /** Facet panel: activation and factors, e.g. `relu · train.lr=0.1`. */
  panel: string;
  runs: RunRef[];
}

/** One label per directory: the experiment name, unless two directories share it. */
export function makeSources(all: Results[]): Source[] {
  const resolved = all.map((r) => resolve(r.dir));
  resolved.forEach((dir, i) => {
    const j = resolved.indexOf(dir);
    if (j !== i) throw new UserError(`${all[i]!.dir} is given twice (as ${all[j]!.dir} too)`, undefined, 'usage');
  });
  const names = all.map((r) => r.manifest.experiment);
  const labels = all.map((r, i) => (names.filter((n) => n === names[i]).length > 1 ? basename(resolve(r.dir)) : names[i]!));
  return all.map((results, i) => ({
    label: labels.filter((l) => l === labels[i]).length > 1 ? results.dir : labels[i]!,
    results,
    factorKeys: resultsFactorKeys(results.manifest),
  }));
}

/** Factor keys over all sources, in order of first appearance. */
export function allFactorKeys(sources: Source[]): string[] {
  return [...new Set(sources.flatMap((s) => s.factorKeys))];
}

/** Conditions in order of appearance (grid order within a source), and run → condition. */
export function makeConditions(sources: Source[]): {conditions: Condition[]; runs: RunIndex} {
  const factorKeys = allFactorKeys(sources);
  const conditions = new Map<string, Condition>();
  const runs: RunIndex = new Map();
  for (const source of sources) {
    const typed = new Map(source.results.manifest.runs.map((r) => [r.run_id, r.factors ?? {}]));
    for (const row of rowObjects(source.results.summary)) {
      const factors = Object.fromEntries(factorKeys.map((k) => [k, row[k] ?? '']));
      const norm = row.norm!;
      const activation = row.activation!;
      const key = JSON.stringify([source.label, norm, activation, ...factorKeys.map((k) => factors[k])]);
      let c = conditions.get(key);
      if (!c) {
        const own = source.factorKeys;
        const fromManifest = typed.get(row.run_id!) ?? {};
        c = {
          key, source: source.label, norm, activation,
          factors,
          factorValues: Object.fromEntries(own.map((k) => [k, k in fromManifest ? fromManifest[k] : factors[k]])),
          panel: [activation, ...own.map((k) => `${k}=${factors[k]}`)].join(' · '),
          runs: [],
        };
        conditions.set(key, c);
      }
      c.runs.push({run_id: row.run_id!, seed: row.seed!, status: row.status!});
      runs.set(runKey(source.label, row.run_id!), {condition: c, status: row.status!, steps: Number(row.steps)});
    }
  }
  return {conditions: [...conditions.values()], runs};
}

/**
 * A condition's data set: the experiment's, with any `dataset.*` grid factor of the condition
 * applied (a grid over test_limit changes the test split's size).
 */
export function conditionDataset(source: Source, condition: Condition): DatasetSpec {
  const over = Object.entries(condition.factorValues).filter(([k]) => k.startsWith('dataset.')).map(([k, v]) => [k.slice('dataset.'.length), v]);
  return {...source.results.manifest.config.dataset, ...Object.fromEntries(over)} as DatasetSpec;
}
