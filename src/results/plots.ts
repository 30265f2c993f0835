// Line plots of curves aggregated over seeds, as Vega-Lite specs rendered headless to SVG.
//
// Every plot encodes the same way, so a reader learns it once:
// - colour: the norm, from a fixed mapping by norm family (`batch(center=false)` is a shade
//   of `batch`), the same in every plot of every report;
// - panels: the activation and the other grid factors; rows: a further facet (layer, step);
// - stroke dash: the source (results directory), when a report compares several;
// - a line (mean over seeds, or a middle percentile) and a band around it;
// - a × for each diverged run, where it diverged.
// The SVG holds no timestamp: the same data gives the same bytes.

import {parse, View, logger, Error as VegaError} from 'vega';
import {compile, type TopLevelSpec} from 'vega-lite';
import type {DivergedMark, SeriesPoint} from './report-series.js';

/** Colours by norm family (Tableau 10, colour-blind aware); `none`, the baseline, is grey. */
export const NORM_COLOURS: Readonly<Record<string, string>> = {
  none: '#595959',
  batch: '#4e79a7',
  layer: '#f28e2b',
  weight: '#59a14f',
  group: '#b07aa1',
  rms: '#e15759',
  renorm: '#76b7b2',
  'bn-rnn': '#9c755f',
};

/** For families not listed above: picked by a hash of the name, so still the same everywhere. */
const SPARE_COLOURS = ['#edc948', '#ff9da7', '#17becf', '#bcbd22', '#8c564b', '#7f7f7f', '#d62728', '#9467bd'];

/** The family of a norm label: `batch(center=false)` → `batch`. */
export function normFamily(label: string): string {
  const open = label.indexOf('(');
  return (open < 0 ? label : label.slice(0, open)).trim();
}

function familyColour(family: string): string {
  const known = NORM_COLOURS[family];
  if (known) return known;
  let h = 0;
  for (const ch of family) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return SPARE_COLOURS[h % SPARE_COLOURS.length]!;
}

/** Mix a #rrggbb colour with black (f < 0) or white (f > 0) by |f|. */
function shade(hex: string, f: number): string {
  const target = f < 0 ? 0 : 255;
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
    return Math.round(c + (target - c) * Math.abs(f)).toString(16).padStart(2, '0');
  };
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

/**
 * Shades for k variants of a family, in label order: evenly from light (+) to dark (−), so that
 * a sweep (γ 0.1, 0.5, 1) reads as one. With the plain family among them, its own colour (0) is
 * kept for it and the variants take the other steps.
 */
function variantShades(k: number, withFamily: boolean): number[] {
  const steps = withFamily ? k + 1 : k;
  const at = (i: number) => (steps === 1 ? -0.4 : 0.6 - (1.2 * i) / (steps - 1));
  const all = Array.from({length: steps}, (_, i) => at(i));
  if (!withFamily) return all;
  const middle = all.reduce((best, x, i) => (Math.abs(x) < Math.abs(all[best]!) ? i : best), 0);
  return all.filter((_, i) => i !== middle);
}

/**
 * A colour for each norm label. The plain family name gets the family's colour; its variants
 * (sorted by label) get shades of it, so `batch(center=false)` reads as a kind of batch norm.
 */
export function normColours(labels: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const variants = new Map<string, string[]>();
  for (const label of [...new Set(labels)].sort()) {
    const family = normFamily(label);
    if (label === family) out.set(label, familyColour(family));
    else variants.set(family, [...(variants.get(family) ?? []), label]);
  }
  for (const [family, list] of variants) {
    const shades = variantShades(list.length, out.has(family));
    list.forEach((label, i) => out.set(label, shade(familyColour(family), shades[i]!)));
  }
  return out;
}

/** A filled ×, in Vega's unit square, for diverged runs (Vega's own `cross` is a +). */
export const X_SHAPE = 'M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z';

/** A ring, in Vega's unit square (an open circle that still takes a fill colour). */
export const RING_SHAPE = 'M1,0A1,1,0,1,1,-1,0A1,1,0,1,1,1,0ZM0.5,0A0.5,0.5,0,1,0,-0.5,0A0.5,0.5,0,1,0,0.5,0Z';

/** Dash patterns for sources: the first solid. */
export const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [4, 4, 1, 4]];

export interface Axis {
  title: string;
  /** A d3 number format, e.g. `.0%`. */
  format?: string;
  /** Log scale (used only when every value is positive). */
  log?: boolean;
}

export interface LinePlot {
  /** File name under plots/. */
  file: string;
  title: string;
  subtitle: string;
  x: Axis;
  y: Axis;
  points: SeriesPoint[];
  /** Diverged runs, drawn as crosses. */
  marks?: DivergedMark[];
  /** Draw the band's edges as thin lines too (percentile bands, which overlap). */
  edges?: boolean;
  /** One line in report.md under the plot. */
  caption: string;
}

export interface PlotContext {
  /** Norm label → colour over the whole report. */
  colours: Map<string, string>;
  /** Sources in report order; dashes only when there are several. */
  sources: string[];
  /** Panels and rows in report order. */
  panels: string[];
}

export const PANEL_WIDTH = 220;
export const PANEL_HEIGHT = 150;
/** Panels per line of a wrapped facet. */
export const WRAP = 4;

/** The look every plot shares: font, frame, axes, legends. */
export const PLOT_CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  aria: false,
  view: {stroke: '#ccc'},
  axis: {labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal' as const, gridColor: '#ececec'},
  legend: {labelFontSize: 11, titleFontSize: 11, symbolStrokeWidth: 2.5, symbolSize: 240, labelLimit: 420},
};

/** Panel headers. Long panel labels (every grid factor) break at ' · ' into lines instead of running into the next panel. */
export const PANEL_HEADER = {title: null, labelFontSize: 11, labelFontWeight: 'bold' as const, labelExpr: "split(datum.label, ' · ')"};

/** A plot's title and subtitle. */
export const plotTitle = (text: string, subtitle: string) => ({text, subtitle, anchor: 'start' as const, fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555'});

const unique = <T>(xs: T[]) => [...new Set(xs)];

/** Whether the y axis of a plot is logarithmic: asked for, and every value positive. */
export function useLogY(plot: Pick<LinePlot, 'y' | 'points'>): boolean {
  return Boolean(plot.y.log) && plot.points.length > 0 && plot.points.every((p) => p.lo > 0);
}

const nominal = (field: string) => ({field, type: 'nominal' as const});
const only = (kind: 'series' | 'diverged') => [{filter: `datum.kind === '${kind}'`}];

/** The Vega-Lite spec of a plot. */
export function lineSpec(plot: LinePlot, context: PlotContext): TopLevelSpec {
  const logY = useLogY(plot);
  const marks = (plot.marks ?? []).filter((m) => !logY || m.y > 0);
  const norms = unique(plot.points.map((p) => p.norm));
  const normOrder = [...context.colours.keys()].filter((n) => norms.includes(n));
  const sources = context.sources.filter((s) => plot.points.some((p) => p.source === s));
  const panels = context.panels.filter((p) => plot.points.some((q) => q.panel === p));
  const rows = unique(plot.points.map((p) => p.row));
  const x = {field: 'x', type: 'quantitative' as const, title: plot.x.title, ...(plot.x.log ? {scale: {type: 'log' as const}} : {})};
  const yScale = logY ? {type: 'log' as const, nice: false, padding: 6} : {zero: false, padding: 6};
  const y = {field: 'y', type: 'quantitative' as const, title: logY ? `${plot.y.title} (log scale)` : plot.y.title, scale: yScale, axis: plot.y.format ? {format: plot.y.format} : {}};
  // Lines stroke and bands fill by the same fixed colours; only the lines have a legend. The
  // band's channels read `band`, a copy of `norm`: Vega-Lite merges the legends of channels on
  // one field, and a null legend would win.
  const colour = {...nominal('norm'), title: 'norm', scale: {domain: normOrder, range: normOrder.map((n) => context.colours.get(n)!)}};
  const quiet = {...colour, field: 'band', legend: null};
  const dash = sources.length > 1 || context.sources.length > 1
    ? {strokeDash: {...nominal('source'), title: 'results', scale: {domain: sources, range: sources.map((_, i) => DASHES[i % DASHES.length]!)}}}
    : {};
  const stroke = {...colour, legend: {symbolType: 'stroke'}};
  const edge = (field: 'lo' | 'hi') => ({
    transform: only('series'),
    mark: {type: 'line' as const, strokeWidth: 0.8, strokeOpacity: 0.8},
    encoding: {x, y: {...y, field}, stroke, detail: nominal('condition'), ...dash},
  });
  const layer = {
    layer: [
      {
        transform: only('series'),
        mark: {type: 'area' as const, opacity: plot.edges ? 0.07 : 0.16},
        encoding: {x, y: {...y, field: 'lo', stack: null}, y2: {field: 'hi'}, fill: quiet, detail: nominal('condition')},
      },
      ...(plot.edges ? [edge('lo'), edge('hi')] : []),
      {
        transform: only('series'),
        mark: {type: 'line' as const, strokeWidth: 1.8},
        encoding: {x, y, stroke, detail: nominal('condition'), ...dash},
      },
      ...(marks.length > 0
        ? [{
          transform: only('diverged'),
          mark: {type: 'point' as const, size: 70, filled: true, opacity: 1},
          encoding: {
            x, y, fill: quiet,
            shape: {...nominal('kind'), title: null, scale: {domain: ['diverged'], range: [X_SHAPE]}, legend: {labelExpr: "'diverged run'", symbolFillColor: '#333', symbolStrokeWidth: 0}},
          },
        }]
        : []),
    ],
  };
  const size = {width: PANEL_WIDTH, height: PANEL_HEIGHT};
  const header = PANEL_HEADER;
  const title = plotTitle(plot.title, plot.subtitle);
  const config = PLOT_CONFIG;
  const data = {
    values: [
      ...plot.points.map((p) => ({kind: 'series', ...p, band: p.norm})),
      ...marks.map((m) => ({kind: 'diverged', ...m, band: m.norm})),
    ],
  };
  const facetRows = rows.length > 1 || (rows.length === 1 && rows[0] !== '');
  if (panels.length <= 1 && !facetRows) return {title, data, ...size, ...layer, config} as TopLevelSpec;
  const facet = facetRows
    ? {
      row: {...nominal('row'), sort: rows, header},
      ...(panels.length > 1 ? {column: {...nominal('panel'), sort: panels, header}} : {}),
    }
    : {...nominal('panel'), sort: panels, header};
  return {
    title, data, config, facet,
    ...(facetRows ? {} : {columns: Math.min(WRAP, panels.length)}),
    spec: {...size, ...layer},
    resolve: {scale: {y: 'shared'}},
  } as TopLevelSpec;
}

const quiet = logger(VegaError);

/** Render a Vega-Lite spec to SVG without a browser or canvas. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec, {logger: quiet}).spec), {renderer: 'none', logger: quiet});
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}
