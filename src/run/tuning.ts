// The tuning stage as run specs. A condition is a grid cell without its seed; each condition (or,
// with `tune.shared`, all of them together: one group) trains the tuned key's values with the
// tuning seeds, rung by rung; then the grid's runs train at their group's chosen value.
//
// Tuning runs are ordinary runs: their id hashes what they train (the value, the rung's steps, the
// tuning seed), and their index — rung, condition, value, seed — orders them the same way whether
// one process trains them all or shards train their groups, so merged tune shards are the
// unsharded tuning, file for file.

import {runId} from '../config/expand.js';
import {hashOf} from '../util/canonical.js';
import type {ExpandedExperiment, RunSpec, TuneSpec} from '../spec/experiment.js';
import {rungSizes, rungSteps, trainField} from '../spec/tune.js';
import {conditionLabel, SHARED_GROUP, type TuningChoice} from '../results/tuning.js';
import type {Shard} from './shard.js';

/** The factor columns tuning runs add to the grid's: the tuned key's value and the rung. */
export const tuningFactorKeys = (expanded: ExpandedExperiment, tune: TuneSpec): string[] => [...expanded.factorKeys, tune.key, 'rung'];

export const conditionOf = (spec: Pick<RunSpec, 'norm_label' | 'activation' | 'factors'>): string => conditionLabel(spec.norm_label, spec.activation, spec.factors);

export interface TuningGroup {
  group: string;
  /** Position among the groups (shards split the groups by it). */
  index: number;
  /** The group's conditions: each one's first grid run (its seed is replaced by the tuning seeds). */
  conditions: Array<{label: string; index: number; spec: RunSpec}>;
}

/** The conditions of a grid, in grid order, grouped for tuning (each alone, or all together when shared). */
export function tuningGroups(expanded: ExpandedExperiment, tune: TuneSpec): TuningGroup[] {
  const conditions: TuningGroup['conditions'] = [];
  for (const spec of expanded.runs) {
    const label = conditionOf(spec);
    if (!conditions.some((c) => c.label === label)) conditions.push({label, index: conditions.length, spec});
  }
  return tune.shared
    ? [{group: SHARED_GROUP, index: 0, conditions}]
    : conditions.map((c, index) => ({group: c.label, index, conditions: [c]}));
}

/** A shard's groups: those whose index mod N is I−1 (with `shared` there is one group: shard 1 tunes it). */
export function shardGroups(groups: TuningGroup[], shard?: Shard): TuningGroup[] {
  return shard ? groups.filter((g) => g.index % shard.count === shard.index - 1) : groups;
}

/** The runs of rung `rung` (1-based) for these groups, given the values each group trains there. */
export function rungRuns(expanded: ExpandedExperiment, tune: TuneSpec, groups: TuningGroup[], rung: number, values: (group: string) => number[]): RunSpec[] {
  // Indices count every condition of the grid, so that a shard's runs have the unsharded indices.
  const conditionCount = new Set(expanded.runs.map(conditionOf)).size;
  const field = trainField(tune.key);
  const runs: RunSpec[] = [];
  for (const group of groups) {
    for (const condition of group.conditions) {
      for (const value of values(group.group)) {
        tune.seeds.forEach((seed, s) => {
          const base = condition.spec;
          const train = {...base.train, [field]: value, steps: rungSteps(tune, rung - 1, base.train.steps)};
          const v = tune.values.indexOf(value);
          const index = (((rung - 1) * conditionCount + condition.index) * tune.values.length + v) * tune.seeds.length + s;
          const spec = {norm: base.norm, activation: base.activation, seed, dataset: base.dataset, model: base.model, train};
          runs.push({
            ...spec,
            // What is trained, and where it stands in the tuning: two conditions whose budgets
            // differ can train the same spec in different rungs, and each is its own run.
            run_id: hashOf({run: runId(spec), rung, budget: base.train.steps}),
            index,
            norm_label: base.norm_label,
            factors: {...base.factors, [tune.key]: String(value), rung: String(rung)},
            factor_values: {...base.factor_values, [tune.key]: value, rung},
            // Tuning runs record no probes and no extra evaluations: they only choose.
            probes: [],
            eval_modes: [],
          });
        });
      }
    }
  }
  return runs.sort((a, b) => a.index - b.index);
}

/** How many rungs the schedule has. */
export const rungCount = (tune: TuneSpec): number => rungSizes(tune).length;

/** The grid with each run at its group's chosen value (a new run id: it trains something else). */
export function tunedExpanded(expanded: ExpandedExperiment, tune: TuneSpec, choices: Map<string, number>): ExpandedExperiment {
  const field = trainField(tune.key);
  const runs = expanded.runs.map((spec) => {
    const value = choices.get(tune.shared ? SHARED_GROUP : conditionOf(spec));
    if (value === undefined) throw new Error(`no tuned value for ${conditionOf(spec)}`);
    const train = {...spec.train, [field]: value};
    return {...spec, train, run_id: runId({norm: spec.norm, activation: spec.activation, seed: spec.seed, dataset: spec.dataset, model: spec.model, train})};
  });
  return {...expanded, runs, tuned: tune.key};
}

/** The groups that have no chosen value in `choices`. */
export function missingChoices(groups: TuningGroup[], choices: Map<string, number>): string[] {
  return groups.filter((g) => !choices.has(g.group)).map((g) => g.group);
}

export type {TuningChoice};
