// Sweep plots: a summary metric against a numeric grid factor (a learning rate, a batch size), one
// line per condition — the plot a question about that factor needs. For each chosen factor x and
// metric y (default: every numeric factor; the final test accuracy, or the final test loss of a
// regression task, and the training-loss AUC):
// 1. A factor is numeric when every value it takes is a finite number, and it takes two or more.
// 2. Lines: the conditions that differ only in x, joined (norm, activation and the other factors
//    fixed). At each x: the condition's statistics from the table (src/results/report-summary.ts)
//    — the interval's centre as the point, the 95 % interval as the band (accuracies on the logit
//    scale, losses on the log scale); steps to a target: the censored median and its interval.
// 3. Each ok run is a dot at its own value (a ring when it never left chance level); each diverged
//    or failed run a × at the worse edge of its panel (bottom for an accuracy, top for a loss or
//    steps), since it has no value to place: shown, not dropped.
// 4. x on a log axis when its values are positive and span a decade (max/min ≥ 10); y too for a
//    loss or steps that span a decade. Colour = norm, panels = activation and the other factors,
//    dash = results directory, as in every plot of the report.

import type {TopLevelSpec} from 'vega-lite';
import {UserError} from '../errors.js';
import {nearest} from '../suggest.js';
import {parseNumber} from './format.js';
import {DASHES, PANEL_HEADER, PANEL_HEIGHT, PANEL_WIDTH, PLOT_CONFIG, plotTitle, RING_SHAPE, WRAP, X_SHAPE} from './plots.js';
import {rowObjects} from './read.js';
import {runKey, type Source} from './report-data.js';
import type {ConditionSummary, Metric, MetricStat} from './report-summary.js';

export interface SweepOptions {
  /** Factors to put on x (default: every numeric grid factor). */
  x?: string[];
  /** Metrics to put on y, by summary.csv column (default: the headline ones). */
  y?: string[];
}

export interface SweepPlot {
  file: string;
  title: string;
  caption: string;
  /** Whether x is on a log scale (values positive, max/min ≥ 10). */
  logX: boolean;
  /** The lines: one per condition without x. */
  lines: string[];
  spec: TopLevelSpec;
}

/** The marks of single runs, in legend order. */
const MARKS = {seed: 'one run (seed)', chance: 'a run at chance', bad: 'diverged or failed run (at the edge)'} as const;

/** Step 1: numeric factors over the sources, in order of first appearance, with their values ascending. */
export function numericFactors(sources: Source[]): Map<string, number[]> {
  const values = new Map<string, Set<string>>();
  for (const s of sources) {
    for (const row of rowObjects(s.results.summary)) {
      for (const k of s.factorKeys) if (row[k] !== undefined && row[k] !== '') values.set(k, (values.get(k) ?? new Set()).add(row[k]!));
    }
  }
  const out = new Map<string, number[]>();
  for (const [k, texts] of values) {
    const xs = [...texts].map((t) => parseNumber(t));
    if (xs.length >= 2 && xs.every((x) => x !== undefined && Number.isFinite(x))) out.set(k, (xs as number[]).sort((a, b) => a - b));
  }
  return out;
}

/** Whether values go on a log axis: all positive, spanning a decade. */
export function spansDecade(values: number[]): boolean {
  const positive = values.filter((v) => Number.isFinite(v));
  return positive.length > 0 && positive.every((v) => v > 0) && Math.max(...positive) / Math.min(...positive) >= 10;
}

/**
 * The headline metrics of the conditions that have x: final test accuracy (the final test loss
 * when none has an accuracy: regression) and the training-loss AUC.
 */
function headline(metrics: Metric[], summaries: ConditionSummary[], x: string): Metric[] {
  const mine = summaries.filter((s) => s.condition.factors[x] !== '');
  const has = (key: string) => metrics.find((m) => m.key === key && mine.some((s) => (s.metrics[key]?.n ?? 0) > 0));
  return [has('final_test_accuracy') ?? has('final_test_loss'), has('train_loss_auc')].filter((m): m is Metric => m !== undefined);
}

/**
 * The factors that go with x: in every condition with a value of x, the factor's value is a
 * function of x's (a grid written as blocks that sets train.steps with each train.batch_size).
 * They take one value per value of x, so they neither split lines nor panels, and are named
 * with x instead.
 */
export function tiedFactors(summaries: ConditionSummary[], x: string): string[] {
  const mine = summaries.filter((s) => (s.condition.factors[x] ?? '') !== '');
  const keys = [...new Set(mine.flatMap((s) => Object.keys(s.condition.factors)))].filter((k) => k !== x);
  return keys.filter((k) => {
    const seen = new Map<string, string>();
    for (const s of mine) {
      const at = s.condition.factors[x]!;
      const v = s.condition.factors[k] ?? '';
      if (v === '' || (seen.has(at) && seen.get(at) !== v)) return false;
      seen.set(at, v);
    }
    // Tied, and not constant: a constant factor splits nothing anyway.
    return new Set(seen.values()).size > 1;
  });
}

export interface SweepChoice {
  x: string;
  /** The factor's values, ascending. */
  values: number[];
  y: Metric;
}

/** The plots to draw, factor by metric; a bad --x or --y is bad input (found before anything is written). */
export function sweepChoices(sources: Source[], metrics: Metric[], summaries: ConditionSummary[], options: SweepOptions): SweepChoice[] {
  const numeric = numericFactors(sources);
  const factors = [...new Set(sources.flatMap((s) => s.factorKeys))];
  for (const x of options.x ?? []) {
    if (numeric.has(x)) continue;
    if (!factors.includes(x)) {
      const guess = nearest(x, factors);
      throw new UserError(`--x ${x}: not a grid factor of the results${guess ? ` — did you mean "${guess}"?` : ''} (factors: ${factors.join(', ') || 'none besides norm, activation and seed'})`, undefined, 'usage');
    }
    throw new UserError(`--x ${x}: its values are not numbers, or it takes one value only: nothing to plot against`, undefined, 'usage');
  }
  for (const y of options.y ?? []) {
    if (metrics.some((m) => m.key === y)) continue;
    const keys = metrics.map((m) => m.key);
    const guess = nearest(y, keys);
    throw new UserError(`--y ${y}: not a metric of the report${guess ? ` — did you mean "${guess}"?` : ''} (metrics: ${keys.join(', ')})`, undefined, 'usage');
  }
  // By default every numeric factor, but one of factors that move together (each tied to an earlier one) is enough.
  const xs = options.x?.length ? options.x : [...numeric.keys()].filter((x, i, all) => !all.slice(0, i).some((earlier) => tiedFactors(summaries, earlier).includes(x)));
  return xs.flatMap((x) => {
    const ys = options.y?.length ? options.y.map((y) => metrics.find((m) => m.key === y)!) : headline(metrics, summaries, x);
    return ys.map((y) => ({x, values: numeric.get(x)!, y}));
  });
}

/** A condition's point on the line: centre and band, or a censored median's. */
function pointOf(s: MetricStat): {y: number | null; lo: number | null; hi: number | null} {
  if (s.steps) {
    const {median, interval, last} = s.steps;
    return {y: median ?? null, lo: interval?.lo ?? median ?? null, hi: interval ? (interval.hi ?? last) : (median ?? null)};
  }
  const y = s.centre ?? s.mean;
  if (y === undefined) return {y: null, lo: null, hi: null};
  return {y, lo: s.ci95?.[0] ?? y, hi: s.ci95?.[1] ?? y};
}

const nominal = (field: string) => ({field, type: 'nominal' as const});
const only = (kind: string) => [{filter: `datum.kind === '${kind}'`}];
const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]+/g, '-');

/** One sweep plot: metric `y` against factor `x`. */
export function sweepPlot(sources: Source[], summaries: ConditionSummary[], x: string, values: number[], metric: Metric, colours: Map<string, string>): SweepPlot {
  const rows = new Map(sources.flatMap((s) => rowObjects(s.results.summary).map((r) => [runKey(s.label, r.run_id!), r] as const)));
  const several = sources.length > 1;
  // 2. Conditions with a value of x, keyed by everything else.
  const data: Array<Record<string, unknown>> = [];
  const lines: string[] = [];
  const panels: string[] = [];
  const tied = tiedFactors(summaries, x);
  for (const summary of summaries) {
    const c = summary.condition;
    const at = parseNumber(c.factors[x]);
    if (at === undefined || !Number.isFinite(at)) continue;
    const others = Object.keys(c.factors).filter((k) => k !== x && !tied.includes(k) && c.factors[k] !== '');
    const line = [c.source, c.norm, c.activation, ...others.map((k) => `${k}=${c.factors[k]}`)].join(' · ');
    const panel = [c.activation, ...others.map((k) => `${k}=${c.factors[k]}`)].join(' · ');
    if (!lines.includes(line)) lines.push(line);
    if (!panels.includes(panel)) panels.push(panel);
    const base = {line, norm: c.norm, band: c.norm, source: c.source, panel, x: at};
    data.push({kind: 'series', ...base, ...pointOf(summary.metrics[metric.key]!), n: summary.n});
    // 3. Each run.
    for (const run of c.runs) {
      const row = rows.get(runKey(c.source, run.run_id));
      if (run.status === 'ok') {
        const v = parseNumber(row?.[metric.key]);
        if (v === undefined || !Number.isFinite(v)) continue;
        data.push({kind: 'run', ...base, y: v, mark: summary.atChance.includes(run.run_id) ? MARKS.chance : MARKS.seed});
      } else {
        data.push({kind: 'bad', ...base, status: run.status, mark: MARKS.bad});
      }
    }
  }
  // 4. Axes.
  const logX = spansDecade(values);
  const ys = data.filter((d) => d.kind !== 'bad').flatMap((d) => [d.y, d.lo, d.hi]).filter((v): v is number => typeof v === 'number');
  const logY = metric.kind !== 'fraction' && spansDecade(ys) && ys.every((v) => v > 0);
  const higherIsBetter = metric.kind === 'fraction';
  const xEnc = {
    field: 'x', type: 'quantitative' as const, title: `${x}${logX ? ' (log scale)' : ''}`,
    scale: {...(logX ? {type: 'log' as const} : {zero: false}), domain: [values[0]!, values[values.length - 1]!], nice: false, padding: 10},
    axis: {values, format: '~g', labelOverlap: true, grid: true},
  };
  const yEnc = {
    field: 'y', type: 'quantitative' as const, title: `${metric.label}${logY ? ' (log scale)' : ''}`,
    scale: logY ? {type: 'log' as const, nice: false, padding: 6} : {zero: false, padding: 6},
    axis: metric.kind === 'fraction' ? {format: '.0%'} : {},
  };
  const norms = [...new Set(data.map((d) => d.norm as string))];
  const normOrder = [...colours.keys()].filter((n) => norms.includes(n));
  const colour = {...nominal('norm'), title: 'norm', scale: {domain: normOrder, range: normOrder.map((n) => colours.get(n)!)}};
  const quiet = {...colour, field: 'band', legend: null};
  const sourceLabels = sources.map((s) => s.label);
  const dash = several ? {strokeDash: {...nominal('source'), title: 'results', scale: {domain: sourceLabels, range: sourceLabels.map((_, i) => DASHES[i % DASHES.length]!)}}} : {};
  const marks = Object.values(MARKS).filter((m) => data.some((d) => d.mark === m));
  const shape = {
    ...nominal('mark'), title: 'point',
    scale: {domain: marks, range: marks.map((m) => (m === MARKS.bad ? X_SHAPE : m === MARKS.chance ? RING_SHAPE : 'circle'))},
    legend: {symbolFillColor: '#555', symbolStrokeWidth: 0, symbolSize: 60},
  };
  const bad = data.some((d) => d.kind === 'bad');
  // One panel gets more room: it is the whole answer to the question about x.
  const size = panels.length <= 1 ? {width: 1.6 * PANEL_WIDTH, height: 1.6 * PANEL_HEIGHT} : {width: PANEL_WIDTH, height: PANEL_HEIGHT};
  const layer = [
    {transform: only('series'), mark: {type: 'area' as const, opacity: 0.16}, encoding: {x: xEnc, y: {...yEnc, field: 'lo', stack: null}, y2: {field: 'hi'}, fill: quiet, detail: nominal('line')}},
    {transform: only('series'), mark: {type: 'line' as const, strokeWidth: 1.8}, encoding: {x: xEnc, y: yEnc, stroke: {...colour, legend: {symbolType: 'stroke'}}, detail: nominal('line'), ...dash}},
    {transform: only('series'), mark: {type: 'point' as const, filled: true, opacity: 1, size: 36}, encoding: {x: xEnc, y: yEnc, fill: quiet}},
    // A ring drawn larger than the line's point, so that it shows around it when one run is the whole condition.
    {
      transform: only('run'),
      mark: {type: 'point' as const, filled: true, opacity: 0.6},
      encoding: {x: xEnc, y: yEnc, fill: quiet, shape, size: {condition: {test: `datum.mark === '${MARKS.chance}'`, value: 110}, value: 22}},
    },
    ...(bad ? [{transform: only('bad'), mark: {type: 'point' as const, filled: true, opacity: 1, size: 60}, encoding: {x: xEnc, y: {value: higherIsBetter ? size.height : 0}, fill: quiet, shape}}] : []),
  ];
  const moves = tied.length ? ` · ${tied.join(', ')} ${tied.length === 1 ? 'moves' : 'move'} with ${x}` : '';
  const title = plotTitle(`${metric.label} vs ${x}`, `${sourceLabels.join(' vs ')} · one line per condition · band: 95 % interval · dots: single runs${moves}`);
  const top = panels.length <= 1
    ? {...size, layer}
    : {facet: {...nominal('panel'), sort: panels, header: PANEL_HEADER}, columns: Math.min(WRAP, panels.length), spec: {...size, layer}, resolve: {scale: {y: 'shared'}}};
  const spec = {title, data: {values: data}, config: PLOT_CONFIG, ...top} as TopLevelSpec;
  return {
    file: `sweep-${safe(x)}-${safe(metric.key)}.svg`,
    title: `${metric.label} vs ${x}`,
    caption: sweepCaption(x, metric, logX, bad, data.some((d) => d.mark === MARKS.chance), panels.length > 1, several, tied),
    logX, lines, spec,
  };
}

function sweepCaption(x: string, metric: Metric, logX: boolean, bad: boolean, chance: boolean, panels: boolean, several: boolean, tied: string[] = []): string {
  const band = metric.kind === 'steps'
    ? 'line = the median steps over the ok runs (a run that never reached the target counts as past its last step; a median past it is not drawn), band = its order-statistic interval (up to the runs\' last step when its top is censored)'
    : `line = the ok runs' ${metric.kind === 'fraction' ? 'mean on the logit scale, mapped back' : 'geometric mean'}, band = its 95 % interval (Student's t on the ${metric.kind === 'fraction' ? 'logit' : 'log'} scale)`;
  const moving = tied.length ? ` (${tied.map((k) => `\`${k}\``).join(', ')} ${tied.length === 1 ? 'moves' : 'move'} with it)` : '';
  return `\`${metric.key}\` at each \`${x}\`${moving}${logX ? ' (log axis)' : ''}, one line per condition; ${band}; dots = single ok runs` +
    `${chance ? ', a ring = a run that never left chance level' : ''}` +
    `${bad ? `; × at the ${metric.kind === 'fraction' ? 'bottom' : 'top'} edge = a diverged or failed run at that value (it has no value to place)` : ''}` +
    `; colour = norm${panels ? ', panels = activation and the other grid factors' : ''}${several ? ', dash = results directory' : ''}.`;
}
