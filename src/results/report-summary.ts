// A report's table: which metrics it shows, and each condition's statistics over seeds.

import {parseNumber} from './format.js';
import {rowObjects} from './read.js';
import {runKey, type Condition, type Source} from './report-data.js';
import {describe, type Stat} from './report-stats.js';

export type MetricKind = 'fraction' | 'value' | 'steps';

export interface Metric {
  /** summary.csv column. */
  key: string;
  label: string;
  kind: MetricKind;
}

export interface MetricStat extends Stat {
  /** Steps to a target: ok runs that reached it (the others are not in the statistics). */
  reached?: number;
}

export interface ConditionSummary {
  condition: Condition;
  /** Runs with status ok: the statistics are over these. */
  n: number;
  diverged: number;
  failed: number;
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
  {key: 'final_val_accuracy', label: 'final val acc %', kind: 'fraction'},
  {key: 'best_val_accuracy', label: 'best val acc %', kind: 'fraction'},
  {key: 'test_accuracy_at_best_val', label: 'test acc % @ best val', kind: 'fraction'},
  {key: 'val_loss_auc', label: 'val loss AUC', kind: 'value'},
];

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
    ...targets.map((key) => ({key, label: targetLabel(key), kind: 'steps' as const})),
    ...byKind('accuracy').map((key) => ({key, label: `${MODE_COLUMN.exec(key)![2]} acc %`, kind: 'fraction' as const})),
    ...byKind('loss').map((key) => ({key, label: `${MODE_COLUMN.exec(key)![2]} loss`, kind: 'value' as const})),
  ];

}

/** Statistics per condition over its ok runs. */
export function summarise(sources: Source[], conditions: Condition[], metrics: Metric[]): ConditionSummary[] {
  const rows = new Map<string, Record<string, string>>();
  for (const s of sources) for (const row of rowObjects(s.results.summary)) rows.set(runKey(s.label, row.run_id!), row);
  return conditions.map((condition) => {
    const mine = condition.runs.map((r) => rows.get(runKey(condition.source, r.run_id))!);
    const ok = mine.filter((r) => r.status === 'ok');
    const stats: Record<string, MetricStat> = {};
    const columns = sources.find((s) => s.label === condition.source)!.results.summary.columns;
    for (const m of metrics) {
      // A target of another source's experiment does not apply here: no value, not "none reached".
      if (!columns.includes(m.key)) {
        stats[m.key] = {n: 0};
        continue;
      }
      const values = ok.map((r) => parseNumber(r[m.key])).filter((x): x is number => x !== undefined && Number.isFinite(x));
      // The interval stays within what the metric can be: steps within the runs' own, accuracies within [0, 1], losses ≥ 0.
      const steps = Math.max(0, ...mine.map((r) => parseNumber(r.steps) ?? 0));
      const range: [number, number] = m.kind === 'steps' ? [0, steps] : m.kind === 'fraction' ? [0, 1] : [0, Infinity];
      stats[m.key] = m.kind === 'steps' ? {...describe(values, range), reached: values.length} : describe(values, range);
    }
    return {
      condition,
      n: ok.length,
      diverged: mine.filter((r) => r.status === 'diverged').length,
      failed: mine.filter((r) => r.status === 'failed').length,
      metrics: stats,
    };
  });
}
