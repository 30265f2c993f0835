// The report's tables, for the terminal and for Markdown: per condition, mean ± sd over the seeds
// that finished (steps to a target: the median, censored), then the intervals of the same metrics
// (src/results/report-stats.ts). Numbers follow the results' formats (src/results/format.ts):
// accuracies as percentages with one decimal, losses with four significant digits, steps whole;
// '—' where there is no value.

import {fmtValue} from './format.js';
import {pairedCell, type PairedRow, type PairedTable} from './report-paired.js';
import type {ConditionSummary, Metric, MetricStat} from './report-summary.js';
import {STEPS_LEVEL} from './report-stats.js';

export interface TableColumns {
  /** Show the source column (several results directories). */
  source: boolean;
  factorKeys: string[];
  /** Metrics with a value in some condition (accuracy columns of a regression task are dropped). */
  metrics: Metric[];
  /** Show the count of runs at chance (some source has a chance rule). */
  chance: boolean;
}

const DASH = '—';

function fmt(kind: Metric['kind'], x: number, spread = false): string {
  if (kind === 'fraction') return (100 * x).toFixed(1);
  if (kind === 'steps') return x.toFixed(0);
  if (kind === 'points') return (100 * x).toFixed(1);
  return fmtValue(x, spread ? 2 : 4);
}

/** A step, or `>3000` past the runs' last step (censored). */
const stepText = (x: number | undefined, last: number) => (x === undefined ? `>${last}` : x.toFixed(0));

/** `72.0 ± 2.0`, the mean alone for one value; steps to a target: the median and the runs that reached it, `500 (3/3)`, `>3000 (1/3)`. */
export function meanCell(metric: Metric, s: MetricStat): string {
  if (s.steps) return s.steps.n === 0 ? DASH : `${stepText(s.steps.median, s.steps.last)} (${s.steps.reached}/${s.steps.n})`;
  if (s.mean === undefined) return DASH;
  return s.sd === undefined ? fmt(metric.kind, s.mean) : `${fmt(metric.kind, s.mean)} ± ${fmt(metric.kind, s.sd, true)}`;
}

/** `[67.0, 77.0]`, or — when n < 2; steps: the median's interval, its level when below 95 %, `[250, >3000] 75 %`. */
export function ciCell(metric: Metric, s: MetricStat): string {
  if (s.steps) {
    const {interval, last} = s.steps;
    if (!interval) return DASH;
    const level = interval.level < STEPS_LEVEL ? ` ${Number((100 * interval.level).toFixed(1))} %` : '';
    return interval.lo === undefined ? `>${last}${level}` : `[${stepText(interval.lo, last)}, ${stepText(interval.hi, last)}]${level}`;
  }
  return s.ci95 ? `[${fmt(metric.kind, s.ci95[0])}, ${fmt(metric.kind, s.ci95[1])}]` : DASH;
}

/** The metrics worth a column: those with a value somewhere. */
export function shownMetrics(metrics: Metric[], rows: ConditionSummary[]): Metric[] {
  return metrics.filter((m) => m.kind === 'steps' || rows.some((r) => r.metrics[m.key]!.n > 0));
}

function identity(columns: TableColumns, r: ConditionSummary): string[] {
  const c = r.condition;
  return [...(columns.source ? [c.source] : []), c.norm, c.activation, ...columns.factorKeys.map((k) => c.factors[k] || DASH)];
}

function identityHeader(columns: TableColumns): string[] {
  return [...(columns.source ? ['results'] : []), 'norm', 'activation', ...columns.factorKeys];
}

export interface Grid {
  header: string[];
  rows: string[][];
  /** Columns holding numbers (right-aligned). */
  numeric: boolean[];
}

/** Mean ± sd per condition, with n, the diverged and failed counts, and the ok runs at chance. */
export function meanGrid(columns: TableColumns, rows: ConditionSummary[]): Grid {
  const id = identityHeader(columns);
  const header = [...id, 'n', 'diverged', 'failed', ...(columns.chance ? ['at chance'] : []), ...columns.metrics.map((m) => m.label)];
  return {
    header,
    rows: rows.map((r) => [
      ...identity(columns, r), String(r.n), String(r.diverged), String(r.failed), ...(columns.chance ? [String(r.atChance.length)] : []),
      ...columns.metrics.map((m) => meanCell(m, r.metrics[m.key]!)),
    ]),
    numeric: header.map((_, i) => i >= id.length),
  };
}

/** Paired differences to a baseline per condition (src/results/report-paired.ts). */
export function pairedGrid(columns: TableColumns, table: PairedTable): Grid {
  const id = identityHeader({...columns, source: false});
  const header = [...id, ...columns.metrics.map((m) => m.label)];
  const cells = (r: PairedRow) => [r.condition.norm, r.condition.activation, ...columns.factorKeys.map((k) => r.condition.factors[k] || DASH)];
  return {
    header,
    rows: table.rows.map((r) => [...cells(r), ...columns.metrics.map((m) => (r.metrics[m.key] ? pairedCell(m, r.metrics[m.key]!) : DASH))]),
    numeric: header.map((_, i) => i >= id.length),
  };
}

/** The 95 % confidence interval of each metric's mean per condition. */
export function ciGrid(columns: TableColumns, rows: ConditionSummary[]): Grid {
  const id = identityHeader(columns);
  const header = [...id, ...columns.metrics.map((m) => m.label)];
  return {
    header,
    rows: rows.map((r) => [...identity(columns, r), ...columns.metrics.map((m) => ciCell(m, r.metrics[m.key]!))]),
    numeric: header.map((_, i) => i >= id.length),
  };
}

/** For the terminal: aligned columns under a rule (as the run table). */
export function textTable(grid: Grid): string {
  const widths = grid.header.map((h, i) => Math.max(h.length, ...grid.rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (grid.numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(grid.header), line(widths.map((w) => '─'.repeat(w))), ...grid.rows.map(line)].join('\n');
}

/** For report.md: a pipe table, numbers right-aligned. */
export function markdownTable(grid: Grid): string {
  const cell = (c: string) => c.replace(/\|/g, '\\|');
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(grid.header), `|${grid.numeric.map((n) => (n ? '---:' : ':---')).join('|')}|`, ...grid.rows.map(line)].join('\n');
}

export const MEAN_NOTE = 'mean ± sd over seeds (n = runs that finished ok; diverged and failed runs are counted, not averaged); steps to a target: the median over the ok runs, a run that never reached it counting as past its last step (>S), and (k/n) the runs that reached it';
export const CHANCE_NOTE = 'at chance: ok runs that never left chance level, counted here and still averaged';
export const CI_NOTE = '95 % intervals, within what each metric can take: an accuracy\'s is Student\'s t on the logit scale, a loss\'s on the log scale (of the geometric mean), each mapped back; steps to a target: the order statistics around the median, its level when below 95 % (n = 3: 75 %), >S past the runs\' last step; — where n < 2';
