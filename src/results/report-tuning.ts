// A tuned results directory's tuning, for the report: what was tuned and how, the metric at each
// value per condition, the range of good values (how robust a condition is to the tuned key), and
// the sensitivity plot. Read from <dir>/tuning (the tuning runs' summary.csv, through
// tuningOutcome, as the runner and merge read it) and the manifest's `tuning` record.
//
// Per condition, rung and value: the metric's mean over the tuning seeds that finished ok, its
// min–max band, and the score the choice reads (the mean, or the worst possible when a tuning run
// diverged or failed: such a value is never good). Only the last rung trains the full budget, so
// the range of good values is judged there: with successive halving, among the values that
// reached it.

import {existsSync} from 'node:fs';
import {join} from 'node:path';
import type {TopLevelSpec} from 'vega-lite';
import type {TuneSpec} from '../spec/experiment.js';
import {lowerIsBetter, rungSizes, tuneSpec} from '../spec/tune.js';
import {tunedColumn} from './columns.js';
import {fmtValue} from './format.js';
import type {ManifestTuning} from './manifest.js';
import {PANEL_HEADER, PANEL_HEIGHT, PANEL_WIDTH, PLOT_CONFIG, plotTitle, RING_SHAPE as RING, WRAP, X_SHAPE} from './plots.js';
import {readResults, RESULT_FILES} from './read.js';
import type {Source} from './report-data.js';
import type {Grid} from './report-table.js';
import {edgeWarning, TUNING_DIR, tuningOutcome, type TuningOutcome} from './tuning.js';
import {goodRange, toleranceText, type GoodRange} from './good-range.js';

export {GOOD_TOLERANCE, goodLimit, goodRange, isGood, toleranceText, type GoodRange} from './good-range.js';

// ── The tuning of a results directory ──────────────────────────────────────────────────────

/** One condition's tuning runs at one value in one rung. */
export interface TuningPoint {
  condition: string;
  norm: string;
  activation: string;
  /** Facet panel, as the report's other plots: activation and grid factors. */
  panel: string;
  rung: number;
  value: number;
  /** Tuning runs, and those that finished ok with a finite metric. */
  runs: number;
  n: number;
  /** Mean, min and max over the n runs (undefined when n = 0). */
  mean: number | undefined;
  lo: number | undefined;
  hi: number | undefined;
  /** What the choice reads: the mean, or the worst possible when a run diverged, failed or has no finite metric. */
  score: number;
  /** Went on to the next rung (earlier rungs of successive halving). */
  advanced: boolean | undefined;
  chosen: boolean;
  /** The rung's budget for this condition: the most steps a run of it trained in the rung. */
  steps: number;
}

export interface ConditionRange {
  condition: string;
  norm: string;
  activation: string;
  factors: Record<string, string>;
  /** The value its group chose (undefined while the last rung is incomplete). */
  chosen: number | undefined;
  /** Judged at the full budget: undefined when no value there has a finite score. */
  range: GoodRange | undefined;
}

export interface TuningReport {
  spec: TuneSpec;
  record: ManifestTuning;
  /** The tuning runs' directory (<dir>/tuning). */
  dir: string;
  outcome: TuningOutcome;
  lower: boolean;
  /** Rungs in order: how many values each trains and its budgets (steps; one unless train.steps is a grid factor). */
  rungs: Array<{rung: number; values: number; steps: number[]}>;
  points: TuningPoint[];
  ranges: ConditionRange[];
  warnings: string[];
}

/** The tuning of a single tuned results directory, or undefined (not tuned, or no tuning/ beside it). */
export function tuningReport(source: Source): TuningReport | undefined {
  const {manifest, dir} = source.results;
  const tuningDir = join(dir, TUNING_DIR);
  if (!manifest.tuning || !manifest.config.tune || !existsSync(join(tuningDir, RESULT_FILES.manifest))) return undefined;
  const spec = tuneSpec(manifest.config.tune);
  const lower = lowerIsBetter(spec);
  const outcome = tuningOutcome(readResults(tuningDir), spec, source.factorKeys);
  const worst = lower ? Infinity : -Infinity;
  // 1. Points: the rows grouped by condition, rung and value (rows come sorted that way). A
  //    rung's budget for a condition: the most steps a run of it trained (a diverged run stops early).
  const budget = new Map<string, number>();
  for (const r of outcome.rows) budget.set(`${r.condition}\u0000${r.rung}`, Math.max(budget.get(`${r.condition}\u0000${r.rung}`) ?? 0, r.steps));
  const points = new Map<string, TuningPoint & {metrics: number[]}>();
  for (const r of outcome.rows) {
    const key = JSON.stringify([r.condition, r.rung, r.value]);
    const p = points.get(key) ?? {
      condition: r.condition, norm: r.norm, activation: r.activation,
      panel: [r.activation, ...source.factorKeys.map((k) => `${k}=${r.factors[k] ?? ''}`)].join(' · '),
      rung: r.rung, value: r.value, runs: 0, n: 0, mean: undefined, lo: undefined, hi: undefined, score: NaN,
      advanced: r.advanced, chosen: r.chosen, steps: budget.get(`${r.condition}\u0000${r.rung}`)!, metrics: [],
    };
    p.runs += 1;
    if (r.status === 'ok' && r.metric !== undefined && Number.isFinite(r.metric)) p.metrics.push(r.metric);
    points.set(key, p);
  }
  const list: TuningPoint[] = [...points.values()].map(({metrics, ...p}) => {
    const mean = metrics.length ? metrics.reduce((a, b) => a + b, 0) / metrics.length : undefined;
    return {
      ...p, n: metrics.length, mean,
      lo: metrics.length ? Math.min(...metrics) : undefined,
      hi: metrics.length ? Math.max(...metrics) : undefined,
      score: metrics.length === p.runs ? mean! : worst,
    };
  });
  // 2. Rungs, with the budgets their runs trained.
  const last = rungSizes(spec).length;
  const rungs = rungSizes(spec).map((values, i) => ({
    rung: i + 1, values, steps: [...new Set(list.filter((p) => p.rung === i + 1).map((p) => p.steps))].sort((a, b) => a - b),
  }));
  // 3. Per condition: its group's choice, and the good values at the full budget.
  const conditions = [...new Map(outcome.rows.map((r) => [r.condition, r])).values()];
  const ranges = conditions.map((r): ConditionRange => {
    const choice = outcome.choices.find((c) => c.conditions.includes(r.condition));
    const full = list.filter((p) => p.condition === r.condition && p.rung === last);
    return {
      condition: r.condition, norm: r.norm, activation: r.activation, factors: r.factors, chosen: choice?.value,
      range: goodRange(full.map((p) => ({value: p.value, score: p.score})), lower),
    };
  });
  const warnings = outcome.choices.map((c) => edgeWarning(c, spec.key)).filter((w): w is string => w !== undefined);
  return {spec, record: manifest.tuning, dir: tuningDir, outcome, lower, rungs, points: list, ranges, warnings};
}

// ── Words and tables ───────────────────────────────────────────────────────────────────────

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const steps = (list: number[]) => (list.length === 0 ? '? steps' : list.length === 1 ? plural(list[0]!, 'step') : `${list[0]}–${list[list.length - 1]} steps`);
const valueList = (values: number[]) => values.map(String).join(', ');

/** A rung in words: `rung 1 of 2 · 30 steps`, the last `… (the full budget)`. */
export function rungText(tr: TuningReport, rung: number): string {
  const r = tr.rungs[rung - 1]!;
  const full = rung === tr.rungs.length;
  if (tr.rungs.length === 1) return `${steps(r.steps)} (the full budget)`;
  return `rung ${rung} of ${tr.rungs.length} · ${steps(r.steps)}${full ? ' (the full budget)' : ''}`;
}

/** What was tuned, how, and with which seeds: label → text (Markdown). */
export function tuningFacts(tr: TuningReport, gridSeeds: string[]): Array<[string, string]> {
  const {spec, record} = tr;
  const schedule = spec.schedule === 'halving' && tr.rungs.length > 1
    ? `successive halving, η = ${spec.eta}: ${tr.rungs.map((r) => `rung ${r.rung} trains ${r.rung === 1 ? `all ${r.values}` : `the best ${r.values}`} for ${steps(r.steps)}`).join(', ')} (the full budget)`
    : `full: every value for ${steps(tr.rungs[0]?.steps ?? [])} (the full budget)`;
  return [
    ['tuned', `\`${spec.key}\`, ${plural(spec.values.length, 'value')}: ${valueList(spec.values)}`],
    ['chosen by', `\`${spec.metric}\` (${tr.lower ? 'lower' : 'higher'} is better), the mean over the tuning seeds${spec.shared ? ' and over every condition: one value for all (shared)' : ', per condition'}; a value with a diverged or failed tuning run scores worst`],
    ['schedule', schedule],
    ['tuning seeds', `${valueList(spec.seeds)} (the grid's seeds${gridSeeds.length ? `, ${gridSeeds.join(', ')},` : ''} train at the chosen value; summary.csv's \`${tunedColumn(spec.key)}\`)`],
    ...(record.from ? [['tuning from', `\`${record.from}\``] as [string, string]] : []),
  ];
}

/** A number as the report's tuning tables write it. */
const num = (x: number | undefined) => (x === undefined ? '—' : fmtValue(x, 4));

/** The good range in words: `0.1 … 1 (3 of 7 tried)`; with halving, of the values at the full budget. */
export function rangeCell(tr: TuningReport, range: GoodRange): string {
  const span = range.lo === range.hi ? String(range.lo) : `${range.lo} … ${range.hi}`;
  const tried = tr.spec.values.length;
  const of = range.judged.length === tried ? `${range.good.length} of ${tried} tried` : `${range.good.length} of ${range.judged.length} at the full budget; ${tried} tried`;
  const gaps = range.gaps.length ? `; not ${valueList(range.gaps)}` : '';
  return `${span} (${of}${gaps})`;
}

/** Per condition: the chosen value, the best score, the good values and the width of their range in decades. */
export function rangeGrid(tr: TuningReport): Grid {
  const header = ['condition', `chosen ${tr.spec.key}`, `best ${tr.spec.metric} (at)`, `good ${tr.spec.key}`, 'width (decades)'];
  return {
    header,
    rows: tr.ranges.map(({condition, chosen, range}) => [
      condition, chosen === undefined ? '—' : String(chosen),
      range ? `${num(range.best)} (${range.bestValue})` : '—',
      range ? rangeCell(tr, range) : 'no value scored at the full budget',
      range?.decades === undefined ? '—' : range.decades.toFixed(2),
    ]),
    numeric: [false, true, true, false, true],
  };
}

/** What the range table means: the tolerance, which values are judged, and the width. */
export function rangeNote(tr: TuningReport): string {
  const last = tr.rungs.length;
  const judged = tr.spec.schedule === 'halving' && last > 1
    ? `Only the values that reached the last rung (rung ${last}, ${steps(tr.rungs[last - 1]!.steps)}) are judged: with successive halving the others stopped at a shorter budget, where the metric is not comparable, so the range is among the values that reached the full budget.`
    : 'Every value trained the full budget, and every one is judged.';
  return `A good value: its mean \`${tr.spec.metric}\` over the tuning seeds at the full budget is ${toleranceText(tr.lower)}; a value with a diverged or failed tuning run is not good. ${judged} ` +
    `The range runs from the smallest good value to the largest ("not …": a value inside it that is not good); its width is log10(largest/smallest) in decades — the wider, the more robust training is to \`${tr.spec.key}\`.`;
}

// ── The sensitivity plot ───────────────────────────────────────────────────────────────────

export const SENSITIVITY_FILE = 'tuning-sensitivity.svg';

/** The point marks and their legend entries, in legend order. */
const MARKS = {
  chosen: 'chosen value',
  full: 'full budget',
  advanced: 'went on to the next rung',
  stopped: 'stopped at this rung',
  bad: 'diverged or failed run',
} as const;

/** Symbols in Vega's unit square, drawn at one size: the chosen value a larger diamond, a value that stopped a ring (hollow, as a path). */
const BIG_DIAMOND = 'M0,-1.6L1.6,0L0,1.6L-1.6,0Z';

export interface SensitivityPlot {
  file: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

const nominal = (field: string) => ({field, type: 'nominal' as const});

/**
 * The metric against the tuned value (log axis when every value is positive), one line per
 * condition: one view per rung, the full budget on top (where the choice was made), each earlier
 * rung below it with its own y axis — a shorter budget's score is not comparable.
 */
export function sensitivityPlot(tr: TuningReport, colours: Map<string, string>, title: string): SensitivityPlot {
  const {spec, lower} = tr;
  const last = tr.rungs.length;
  const seeds = spec.seeds.length;
  // A value with a diverged or failed run scores worst: no point (its line breaks there), a × at the edge.
  const scored = tr.points.filter((p) => Number.isFinite(p.score));
  const bad = tr.points.filter((p) => p.n < p.runs);
  const norms = [...new Set(tr.points.map((p) => p.norm))];
  const panels = [...new Set(tr.points.map((p) => p.panel))];
  const logX = spec.values.every((v) => v > 0);
  const logY = lower && scored.length > 0 && scored.every((p) => p.lo! > 0);
  const markOf = (p: TuningPoint) => (p.rung === last ? (p.chosen ? MARKS.chosen : MARKS.full) : p.advanced ? MARKS.advanced : MARKS.stopped);
  const data = {
    values: [
      ...tr.points.map((p) => {
        const at = Number.isFinite(p.score) ? {y: p.mean, lo: p.lo, hi: p.hi} : {y: null, lo: null, hi: null};
        return {kind: 'point', condition: p.condition, norm: p.norm, band: p.norm, panel: p.panel, rung: p.rung, x: p.value, ...at, n: p.n, mark: markOf(p)};
      }),
      ...bad.map((p) => ({kind: 'bad', condition: p.condition, norm: p.norm, band: p.norm, panel: p.panel, rung: p.rung, x: p.value, runs: p.runs - p.n, mark: MARKS.bad})),
    ],
  };
  const marks = [
    ...(tr.points.some((p) => p.rung === last && p.chosen) ? [MARKS.chosen] : []),
    ...(tr.points.some((p) => p.rung === last && !p.chosen) ? [MARKS.full] : []),
    ...(last > 1 ? [MARKS.advanced, MARKS.stopped] : []),
    ...(bad.length ? [MARKS.bad] : []),
  ];
  const shape = (mark: string) => (mark === MARKS.chosen ? BIG_DIAMOND : mark === MARKS.stopped ? RING : mark === MARKS.bad ? X_SHAPE : 'circle');
  const byMark = {domain: marks, range: marks.map(shape)};
  const normOrder = [...colours.keys()].filter((n) => norms.includes(n));
  const colour = {...nominal('norm'), title: 'norm', scale: {domain: normOrder, range: normOrder.map((n) => colours.get(n)!)}};
  const quiet = {...colour, field: 'band', legend: null};
  const x = {
    field: 'x', type: 'quantitative' as const, title: `${spec.key}${logX ? ' (log scale)' : ''}`,
    scale: {...(logX ? {type: 'log' as const} : {zero: false}), domain: [spec.values[0]!, spec.values[spec.values.length - 1]!], nice: false, padding: 8},
    axis: {values: spec.values, format: '~g', labelOverlap: true, grid: true},
  };
  const y = {
    field: 'y', type: 'quantitative' as const, title: `${spec.metric}${logY ? ' (log scale)' : ''}`,
    scale: logY ? {type: 'log' as const, nice: false, padding: 6} : {zero: false, padding: 6},
    axis: lower ? {} : {format: '.1~%'},
  };
  const legendTitle = 'point';
  const pointLegend = {title: legendTitle, symbolFillColor: '#555', symbolStrokeWidth: 0, symbolSize: 70};
  const only = (kind: string) => [{filter: `datum.kind === '${kind}'`}];
  const layer = [
    ...(seeds >= 2
      ? [{
        transform: only('point'),
        mark: {type: 'area' as const, opacity: 0.16},
        encoding: {x, y: {...y, field: 'lo', stack: null}, y2: {field: 'hi'}, fill: quiet, detail: nominal('condition')},
      }]
      : []),
    {
      transform: only('point'),
      mark: {type: 'line' as const, strokeWidth: 1.8},
      encoding: {x, y, stroke: {...colour, legend: {symbolType: 'stroke'}}, detail: nominal('condition')},
    },
    {
      transform: only('point'),
      mark: {type: 'point' as const, filled: true, opacity: 1, size: 50},
      encoding: {
        x, y,
        fill: quiet,
        stroke: {condition: {test: `datum.mark === '${MARKS.chosen}'`, value: '#222'}, value: null},
        strokeWidth: {condition: {test: `datum.mark === '${MARKS.chosen}'`, value: 1.2}, value: 0},
        shape: {...nominal('mark'), scale: byMark, legend: pointLegend},
      },
    },
    // A diverged or failed run has no score to place: a × at the worse edge of the plot.
    ...(bad.length
      ? [{
        transform: only('bad'),
        mark: {type: 'point' as const, filled: true, opacity: 1, size: 70},
        encoding: {
          x, y: {value: lower ? 0 : PANEL_HEIGHT},
          fill: quiet,
          shape: {...nominal('mark'), scale: byMark, legend: pointLegend},
        },
      }]
      : []),
  ];
  const size = {width: PANEL_WIDTH, height: PANEL_HEIGHT};
  const view = (rung: number) => {
    const transform = [{filter: `datum.rung === ${rung}`}];
    // Short: Vega measures text by an estimate here (no canvas), and a long title would push the legend away.
    const label = `${rung === last ? 'full budget · ' : ''}rung ${rung} · ${steps(tr.rungs[rung - 1]!.steps)}`;
    const heading = last > 1 ? {title: {text: label, anchor: 'start' as const, fontSize: 11, fontWeight: 'bold' as const, offset: 6}} : {};
    if (panels.length <= 1) return {...heading, transform, ...size, layer};
    return {
      ...heading, transform,
      facet: {...nominal('panel'), sort: panels, header: PANEL_HEADER},
      columns: Math.min(WRAP, panels.length),
      spec: {...size, layer},
      resolve: {scale: {y: 'shared'}},
    };
  };
  const band = seeds >= 2 ? `line: mean over ${seeds} tuning seeds · band: min–max` : 'one tuning seed: no band';
  const subtitle = `${title} · ${band} · ${last > 1 ? 'top: the full budget, where the choice was made; below: earlier rungs' : 'every value at the full budget'}`;
  const views = tr.rungs.map((r) => r.rung).reverse().map(view);
  const top = views.length === 1 ? views[0]! : {vconcat: views, spacing: 24};
  const plotSpec = {title: plotTitle(`Sensitivity to ${spec.key}: ${spec.metric} vs ${spec.key}`, subtitle), data, config: PLOT_CONFIG, ...top} as TopLevelSpec;
  return {file: SENSITIVITY_FILE, title: `Sensitivity to ${spec.key}`, caption: sensitivityCaption(tr, bad.length > 0, panels.length > 1), spec: plotSpec};
}

function sensitivityCaption(tr: TuningReport, bad: boolean, panels: boolean): string {
  const {spec, lower} = tr;
  const seeds = spec.seeds.length;
  const last = tr.rungs.length;
  const line = seeds >= 2
    ? `line = mean over the ${seeds} tuning seeds, band = min–max over them`
    : `line = the one tuning seed (${spec.seeds[0]})`;
  const rungs = last > 1
    ? `; top: ${rungText(tr, last)}, the values that reached it — the choice was made there; below, each earlier rung at its shorter budget, its own y axis (a shorter budget's score is not comparable): ● went on to the next rung, ○ stopped there`
    : '';
  const edge = bad ? `; × at the ${lower ? 'top' : 'bottom'} edge = a value with a diverged or failed tuning run: it scores worst, so it has no point and its condition's line breaks there` : '';
  const chosen = spec.shared ? '◆ = the chosen value (one for every condition: shared)' : '◆ = the chosen value';
  return `Sensitivity: \`${spec.metric}\` at each tried \`${spec.key}\`${spec.values.every((v) => v > 0) ? ' (log axis)' : ''}, per condition; ${line}; ${chosen}` +
    `${rungs}${edge}; colour = norm${panels ? ', panels = activation and other grid factors' : ''}.`;
}
