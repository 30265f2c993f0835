// Runs that finished `ok` but never left chance level. A network stuck predicting one class trains
// to its last step and is recorded as `ok`, which it is: summary.csv's status says how a run ended,
// not whether it learned, and stays as it is. The report flags such runs instead (a column of the
// table, and `at_chance` in --json); they are still averaged, as every ok run is.
//
// Classification, K classes, an evaluation split of N examples: a guesser's accuracy has mean
// p = 1/K and standard error SE = √(p(1 − p)/N). A run is at chance when its best accuracy over
// every evaluated step (best_test_accuracy; best_val_accuracy when there is no test accuracy)
// stayed ≤ p + 3·SE. Three standard errors rather than two because the best of many evaluations
// is the largest of many draws: a guesser evaluated 20 times would pass 2 SE in about a third of
// its runs (1 − 0.977²⁰), 3 SE in under 3 % (1 − 0.99865²⁰). Fashion-MNIST's 1000 test examples
// of the bundled subset: 10 % + 3 · 0.95 % = 12.85 %. The splits are balanced (Fashion-MNIST by
// construction, the subset and synthetic data by stratification), so a constant guess scores p.
//
// Regression has no chance level; the adding problem has the mean. Its target is the sum of two
// U(0, 1) values, so predicting the mean, 1, scores an MSE of Var(y) = 1/6 with standard error
// √(Var((y − 1)²)/N) = √((1/15 − 1/36)/N) = √(7/180/N) (E(y − 1)⁴ = 1/15 for that triangular y).
// A run never beat the mean when its lowest test loss over every evaluated step stayed
// ≥ 1/6 − 3·SE. Other regression data sets have no rule, and no flag.

import {datasetFacts} from '../spec/datasets.js';
import type {DatasetSpec} from '../spec/experiment.js';
import {fmtValue, parseNumber} from './format.js';
import {rowObjects} from './read.js';
import {conditionDataset, runKey, type Condition, type Source} from './report-data.js';

/** Standard errors above chance (below the mean's loss) a run must reach once to count as having left it. */
export const CHANCE_SE = 3;

export interface ChanceRule {
  /** `accuracy`: best accuracy ≤ threshold; `mean`: lowest test loss ≥ threshold (regression). */
  kind: 'accuracy' | 'mean';
  /** What is compared: a summary.csv column, or curves.csv's test_loss at its lowest. */
  column: 'best_test_accuracy' | 'best_val_accuracy' | 'test_loss';
  /** Chance accuracy 1/K, or the mean predictor's loss. */
  chance: number;
  threshold: number;
  /** Examples of the split the chance level's standard error is taken on. */
  examples: number;
  classes?: number;
}

/** The rule for a data set whose results have these summary columns; undefined when there is none. */
export function chanceRule(dataset: DatasetSpec, columns: string[]): ChanceRule | undefined {
  const facts = datasetFacts(dataset);
  if (facts.task === 'regression') {
    if (dataset.name !== 'adding' || facts.test === undefined) return undefined;
    const se = Math.sqrt(7 / 180 / facts.test);
    return {kind: 'mean', column: 'test_loss', chance: 1 / 6, threshold: 1 / 6 - CHANCE_SE * se, examples: facts.test};
  }
  const test = columns.includes('best_test_accuracy');
  const examples = test ? facts.test : facts.validation;
  if (examples === undefined || (!test && !columns.includes('best_val_accuracy'))) return undefined;
  const p = 1 / facts.classes;
  const se = Math.sqrt((p * (1 - p)) / examples);
  return {kind: 'accuracy', column: test ? 'best_test_accuracy' : 'best_val_accuracy', chance: p, threshold: p + CHANCE_SE * se, examples, classes: facts.classes};
}

/** The rule in words, for notes: `best test accuracy ≤ 12.8 % (chance 1/10 + 3 SE on 1000 test examples)`. */
export function ruleText(rule: ChanceRule): string {
  if (rule.kind === 'mean') {
    return `lowest test loss ≥ ${fmtValue(rule.threshold, 4)} (the adding problem's mean predictor, MSE 1/6, − ${CHANCE_SE} SE on ${rule.examples} test examples)`;
  }
  const split = rule.column === 'best_test_accuracy' ? 'test' : 'validation';
  return `best ${split} accuracy ≤ ${(100 * rule.threshold).toFixed(1)} % (chance 1/${rule.classes} + ${CHANCE_SE} SE on ${rule.examples} ${split} examples)`;
}

export interface ChanceReport {
  /** Each source's rules (one, unless a dataset.* factor changes the data), in words and as numbers. */
  rules: Array<{source: string; rule: ChanceRule}>;
  /** runKey(source, run_id) of every ok run at chance. */
  runs: Set<string>;
}

/** The lowest test loss of each run of a source, from curves.csv. */
function lowestLoss(source: Source): Map<string, number> {
  const {columns, rows} = source.results.curves;
  const c = columns.indexOf('test_loss');
  const lowest = new Map<string, number>();
  for (const r of rows) {
    const x = parseNumber(r[c]);
    if (x === undefined || !Number.isFinite(x)) continue;
    lowest.set(r[0]!, Math.min(x, lowest.get(r[0]!) ?? Infinity));
  }
  return lowest;
}

/** Every ok run that never left chance level, and the rules that decided it. */
export function chanceReport(sources: Source[], conditions: Condition[]): ChanceReport {
  const runs = new Set<string>();
  const rules: ChanceReport['rules'] = [];
  for (const source of sources) {
    const rows = new Map(rowObjects(source.results.summary).map((r) => [r.run_id!, r]));
    let losses: Map<string, number> | undefined;
    for (const condition of conditions.filter((c) => c.source === source.label)) {
      const rule = chanceRule(conditionDataset(source, condition), source.results.summary.columns);
      if (!rule) continue;
      if (!rules.some((r) => r.source === source.label && JSON.stringify(r.rule) === JSON.stringify(rule))) rules.push({source: source.label, rule});
      for (const run of condition.runs.filter((r) => r.status === 'ok')) {
        if (rule.kind === 'mean') {
          losses ??= lowestLoss(source);
          const lowest = losses.get(run.run_id);
          if (lowest !== undefined && lowest >= rule.threshold) runs.add(runKey(source.label, run.run_id));
        } else {
          const best = parseNumber(rows.get(run.run_id)?.[rule.column]);
          if (best !== undefined && Number.isFinite(best) && best <= rule.threshold) runs.add(runKey(source.label, run.run_id));
        }
      }
    }
  }
  return {rules, runs};
}
