// A report's table: which metrics it shows, and each condition's statistics over seeds, each with
// the interval its range calls for (src/results/report-stats.ts): accuracies on the logit scale,
// losses on the log scale, steps to a target as a censored median.

import {datasetFacts} from '../spec/datasets.js';
import type {DatasetSpec} from '../spec/experiment.js';
import {parseNumber} from './format.js';
import {rowObjects} from './read.js';
import {conditionDataset, runKey, type Condition, type Source} from './report-data.js';
import {describe, stepsToTarget, type Scale, type Stat, type StepsStat} from './report-stats.js';

/** An accuracy in [0, 1], a loss (> 0), steps to a target, or a difference (of accuracies: `points`; of losses: `difference`), which may be negative. */
export type MetricKind = 'fraction' | 'value' | 'steps' | 'points' | 'difference';

export interface Metric {
  /** summary.csv column. */
  key: string;
  label: string;
  kind: MetricKind;
  /** The split an accuracy is measured on (its size sets the logit's ε); default test. */
  split?: 'test' | 'validation' | 'train';
}

export interface MetricStat extends Stat {
  /** Steps to a target: how many reached it, the median and its interval (a run that never did is censored at its last step). */
  steps?: StepsStat;
}

export interface ConditionSummary {
  condition: Condition;
  /** Runs with status ok: the statistics are over these. */
  n: number;
  diverged: number;
  failed: number;
  /** Ok runs that never left chance level (src/results/report-chance.ts), by run id: counted, still averaged. */
  atChance: string[];
  metrics: Record<string, MetricStat>;
}

export const BASE_METRICS: Metric[] = [
  {key: 'final_test_accuracy', label: 'final acc %', kind: 'fraction'},
  {key: 'best_test_accuracy', label: 'best acc %', kind: 'fraction'},
  {key: 'final_test_loss', label: 'final test loss', kind: 'value'},
  {key: 'train_loss_auc', label: 'loss AUC', kind: 'value'},
];

/** With a validation split: what it selects and the test accuracy at the step it selects. */
export const VALIDATION_METRICS: Metric[] = [
  {key: 'final_val_accuracy', label: 'final val acc %', kind: 'fraction', split: 'validation'},
  {key: 'best_val_accuracy', label: 'best val acc %', kind: 'fraction', split: 'validation'},
  {key: 'test_accuracy_at_best_val', label: 'test acc % @ best val', kind: 'fraction'},
  {key: 'val_loss_auc', label: 'val loss AUC', kind: 'value'},
];

/** With `eval_train`: the training split's accuracy at the end, and the generalization gaps. */
export const TRAIN_EVAL_METRICS: Metric[] = [
  {key: 'final_train_eval_accuracy', label: 'train-split acc %', kind: 'fraction', split: 'train'},
  {key: 'gap_accuracy', label: 'acc gap (pts)', kind: 'points'},
  {key: 'gap_loss', label: 'loss gap', kind: 'difference'},
];

/** Examples a logit keeps away from 0 and 1 when the split's size is unknown (a spec without sizes): as if 1000. */
const DEFAULT_EXAMPLES = 1000;

/** The scale of a metric's interval: logit with half an example of its split for accuracies, log for losses. */
function scaleOf(metric: Metric, dataset: DatasetSpec): Scale {
  if (metric.kind === 'value') return {kind: 'log'};
  if (metric.kind !== 'fraction') return {kind: 'linear'};
  const facts = datasetFacts(dataset);
  const size = (metric.split === 'validation' ? facts.validation : metric.split === 'train' ? facts.train : facts.test) ?? DEFAULT_EXAMPLES;
  return {kind: 'logit', epsilon: 0.5 / size};
}

/** `steps_to_test_accuracy_0.8` → `steps→test acc 0.8` (as in the run table). */
function targetLabel(column: string): string {
  const stem = column.slice('steps_to_'.length);
  const m = /^(.*)_([^_]+)$/.exec(stem);
  const [metric, value] = m ? [m[1]!, m[2]!] : [stem, ''];
  return `steps→${metric.replace('_accuracy', ' acc').replace('_loss', ' loss')} ${value}`.trimEnd();
}

/** `test_accuracy_population` → `population acc %` (the evaluation modes' columns). */
const MODE_COLUMN = /^test_(accuracy|loss)_(ema|population|batch)$/;

/** The table's metrics: the base four, every `steps_to_<target>` column, then the evaluation modes' accuracies and losses. */
export function metricsOf(sources: Source[]): Metric[] {
  const targets = [...new Set(sources.flatMap((s) => s.results.summary.columns.filter((c) => c.startsWith('steps_to_'))))];
  const modes = [...new Set(sources.flatMap((s) => s.results.summary.columns.filter((c) => MODE_COLUMN.test(c))))];
  const byKind = (kind: string) => modes.filter((c) => MODE_COLUMN.exec(c)![1] === kind);
  const validation = VALIDATION_METRICS.filter((m) => sources.some((s) => s.results.summary.columns.includes(m.key)));
  return [
    ...BASE_METRICS,
    ...validation,
    ...TRAIN_EVAL_METRICS.filter((m) => sources.some((s) => s.results.summary.columns.includes(m.key))),
    ...targets.map((key) => ({key, label: targetLabel(key), kind: 'steps' as const})),
    ...byKind('accuracy').map((key) => ({key, label: `${MODE_COLUMN.exec(key)![2]} acc %`, kind: 'fraction' as const})),
    ...byKind('loss').map((key) => ({key, label: `${MODE_COLUMN.exec(key)![2]} loss`, kind: 'value' as const})),
  ];

}

/** Statistics per condition over its ok runs; `atChance` holds the runKeys of runs stuck at chance. */
export function summarise(sources: Source[], conditions: Condition[], metrics: Metric[], atChance: ReadonlySet<string> = new Set()): ConditionSummary[] {
  const rows = new Map<string, Record<string, string>>();
  for (const s of sources) for (const row of rowObjects(s.results.summary)) rows.set(runKey(s.label, row.run_id!), row);
  return conditions.map((condition) => {
    const mine = condition.runs.map((r) => rows.get(runKey(condition.source, r.run_id))!);
    const ok = mine.filter((r) => r.status === 'ok');
    const stats: Record<string, MetricStat> = {};
    const source = sources.find((s) => s.label === condition.source)!;
    const columns = source.results.summary.columns;
    const dataset = conditionDataset(source, condition);
    for (const m of metrics) {
      // A target of another source's experiment does not apply here: no value, not "none reached".
      if (!columns.includes(m.key)) {
        stats[m.key] = {n: 0};
        continue;
      }
      const values = ok.map((r) => parseNumber(r[m.key])).filter((x): x is number => x !== undefined && Number.isFinite(x));
      if (m.kind === 'steps') {
        // Every ok run counts: one without a value never reached the target and is censored at its last step.
        const last = Math.max(0, ...ok.map((r) => parseNumber(r.steps) ?? 0));
        stats[m.key] = {n: ok.length, steps: stepsToTarget(values, ok.length, last)};
      } else {
        stats[m.key] = describe(values, scaleOf(m, dataset));
      }
    }
    return {
      condition,
      n: ok.length,
      diverged: mine.filter((r) => r.status === 'diverged').length,
      failed: mine.filter((r) => r.status === 'failed').length,
      atChance: ok.filter((r) => atChance.has(runKey(condition.source, r.run_id!))).map((r) => r.run_id!),
      metrics: stats,
    };
  });
}
