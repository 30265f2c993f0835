// report.html: the report as one self-contained page to explore offline. It is report.md turned
// into HTML (the same sections, tables and captions), with each plot an interactive chart where
// report.md has its SVG: tooltips with the run, step and value; a legend click hides or shows a
// norm (or a results directory) in every chart; a metric selector (training, validation and test
// loss and accuracy, every probe); the mean with its band over seeds, each seed's line on demand;
// zoom on the step axis. Tables sort by a click on a column's header.
//
// Everything the page needs is inside it: vega, vega-lite and vega-embed (their built bundles,
// read from node_modules here), the data (JSON), the page's script (report-html-page.ts, compiled)
// and its style. A Content-Security-Policy forbids any request, so the page opens from file:// on
// an air-gapped machine the same as anywhere.
//
// 1. The metrics a curve chart can show, from the results files, as compact rows (the same
//    aggregation as the SVGs: src/results/report-series.ts), each with its Vega-Lite spec.
// 2. A chart per plot of report.md: a curve chart (test_accuracy.svg, train_loss.svg, each
//    diagnostic, gradient flow) or a sweep or sensitivity plot made interactive.
// 3. report.md rendered (marked), its images replaced by the charts, user text escaped.
// 4. The page: style, libraries, data, script.

import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {Marked, type Tokens} from 'marked';
import type {TopLevelSpec} from 'vega-lite';
import {VERSION} from '../version.js';
import {DASHES, PANEL_HEADER, PANEL_HEIGHT, PANEL_WIDTH, PLOT_CONFIG, plotTitle, useLogY, WRAP, X_SHAPE, type PlotContext} from './plots.js';
import {runKey, type Condition, type RunIndex, type Source} from './report-data.js';
import type {PageChart, PageData, PageMetric} from './report-html-data.js';
import {CAPTION_BAND, choose, curvePlots, diagnosticFile, diagnosticPlots, encodingNote, gradientFlowPlots, diagnosticRows, GRADIENT_FLOW_FILE, gradientFlowValues, MEAN_BAND, middleOf, percentileSeries, probeGroups, probeValues, type ProbeGroup} from './report-plots.js';
import {aggregate, curveValues, type RunValue, type SeriesPoint} from './report-series.js';

export const HTML_FILE = 'report.html';

/** More facet rows (layers) than this, and a chart starts with the first alone; a selector offers the others. */
export const MAX_ROWS = 6;

/** The libraries inlined, as their packages name them: the built browser bundle of each. */
const LIBRARIES = [
  {name: 'vega', bundle: 'vega.min.js'},
  {name: 'vega-lite', bundle: 'vega-lite.min.js'},
  {name: 'vega-embed', bundle: 'vega-embed.min.js'},
] as const;

const require = createRequire(import.meta.url);

/** Each library's bundle (beside its package's entry point) and version. */
export function libraries(): Array<{name: string; version: string; code: string}> {
  return LIBRARIES.map(({name, bundle}) => {
    const entry = require.resolve(name);
    const dir = dirname(entry);
    const code = readFileSync(join(dir, bundle), 'utf8');
    const pkg = JSON.parse(readFileSync(join(dir, '..', 'package.json'), 'utf8')) as {name: string; version: string};
    return {name, version: pkg.version, code};
  });
}

// ── 1. Metrics ─────────────────────────────────────────────────────────────────────────────

/** The columns of curves.csv a chart can show (those with a value in some run). */
const CURVE_COLUMNS = [
  {column: 'test_accuracy', label: 'test accuracy', fraction: true},
  {column: 'test_loss', label: 'test loss', fraction: false},
  {column: 'train_loss', label: 'training loss', fraction: false},
  {column: 'train_accuracy', label: 'training accuracy', fraction: true},
  {column: 'val_loss', label: 'validation loss', fraction: false},
  {column: 'val_accuracy', label: 'validation accuracy', fraction: true},
] as const;

const STEP_AXIS = 'training step (optimizer updates)';

/** Numbers in the page: 7 significant digits, as the results files write them. */
const round = (x: number) => Number(x.toPrecision(7));

interface Indexes {
  conditions: Map<string, number>;
  runs: Map<string, number>;
}

interface MetricInput {
  id: string;
  /** report.md's caption for it (Markdown). */
  caption: string;
  label: string;
  title: string;
  subtitle: string;
  x: string;
  y: {title: string; fraction: boolean; log: boolean};
  series: SeriesPoint[];
  values: RunValue[];
  /** Percentile probes: the band is a percentile range, drawn with its edges. */
  band?: string;
  rowTitle?: string;
}

function pageMetric(input: MetricInput, runs: RunIndex, indexes: Indexes, context: PlotContext): PageMetric {
  const rows = [...new Set(input.series.map((p) => p.row))];
  const row = (r: string) => Math.max(0, rows.indexOf(r));
  const kept = input.values.filter((v) => Number.isFinite(v.value) && ['ok', 'diverged'].includes(runs.get(runKey(v.source, v.run_id))?.status ?? ''));
  const logY = input.y.log && useLogY({y: {title: '', log: true}, points: input.series}) && kept.every((v) => v.value > 0);
  // A diverged run's mark: where it diverged, at its last finite value (as report-series.ts divergedMarks).
  const last = new Map<string, RunValue>();
  for (const v of kept) if (runs.get(runKey(v.source, v.run_id))!.status === 'diverged') last.set(runKey(v.source, v.run_id), v);
  const marks = [...last.entries()].filter(([, v]) => !logY || v.value > 0);
  const spec = curveSpec(input, {logY, rows, marks: marks.length > 0}, context);
  return {
    id: input.id, label: input.label, title: input.title, subtitle: input.subtitle, caption: inlineHtml(input.caption), xName: input.x === STEP_AXIS ? 'steps' : 't', rows,
    series: input.series.map((p) => [indexes.conditions.get(p.condition)!, row(p.row), p.x, round(p.y), round(p.lo), round(p.hi), p.n]),
    runs: kept.map((v) => [indexes.runs.get(runKey(v.source, v.run_id))!, row(v.row), v.x, round(v.value)]),
    diverged: marks.map(([key, v]) => [indexes.runs.get(key)!, row(v.row), runs.get(key)!.steps, round(v.value)]),
    spec,
  };
}

/** Every metric against step of the results: the curves' columns, each probe group; and ‖∂L/∂h_t‖ against t. */
function pageMetrics(sources: Source[], runs: RunIndex, indexes: Indexes, context: PlotContext): Record<string, PageMetric> {
  const title = sources.map((s) => s.label).join(' vs ');
  const out: Record<string, PageMetric> = {};
  const add = (input: MetricInput) => {
    if (input.series.length > 0) out[input.id] = pageMetric(input, runs, indexes, context);
  };
  // report.md's captions, where it has a plot of the metric; the others in the same words.
  const captions = new Map([...curvePlots(sources, runs), ...gradientFlowPlots(sources, runs)].map((p) => [p.file.replace(/\.svg$/, ''), p.caption]));
  const several = sources.length > 1;
  for (const {column, label, fraction} of CURVE_COLUMNS) {
    const values = curveValues(sources, column);
    add({
      caption: captions.get(column) ?? `${label[0]!.toUpperCase()}${label.slice(1)} vs step; ${CAPTION_BAND}; ${encodingNote(several)}.`,
      id: column, label, title: `${label[0]!.toUpperCase()}${label.slice(1)} vs training step`, subtitle: `${title} · ${MEAN_BAND}`,
      x: STEP_AXIS, y: {title: label, fraction, log: column.endsWith('_loss')}, series: aggregate(values, runs), values,
    });
  }
  const rows = diagnosticRows(sources);
  if (rows) {
    const probeCaptions = new Map(diagnosticPlots(sources, runs, undefined).map((p) => [p.file, p.caption]));
    for (const group of probeGroups([...new Set(rows.map((r) => r.row.probe!))])) add({...probeMetric(group, rows, runs, title), caption: probeCaptions.get(diagnosticFile(group.name)) ?? ''});
  }
  const flow = gradientFlowValues(sources);
  add({
    caption: captions.get('gradient_flow') ?? '',
    id: 'gradient_flow', label: '‖∂L/∂h_t‖ vs t', title: 'Gradient flow through time: ‖∂L/∂h_t‖ vs t', subtitle: `${title} · ${MEAN_BAND}`,
    x: 'time step t', y: {title: '‖∂L/∂h_t‖', fraction: false, log: true}, series: aggregate(flow.values, runs), values: flow.values, rowTitle: 'evaluated at',
  });
  return out;
}

/** A probe's values span more than two decades, all positive (norms of gradients and parameters over many layers): a log axis. */
function spansDecades(values: RunValue[]): boolean {
  const finite = values.map((v) => v.value).filter((v) => Number.isFinite(v));
  return finite.length > 0 && finite.every((v) => v > 0) && Math.max(...finite) / Math.min(...finite) > 100;
}

/** A probe group as a metric: one probe, or percentiles (line at the middle one, band from the lowest to the highest). */
function probeMetric(group: ProbeGroup, rows: Array<{source: string; row: Record<string, string>}>, runs: RunIndex, title: string): Omit<MetricInput, 'caption'> {
  if (group.probes.length === 1) {
    const values = probeValues(rows, group.name);
    return {
      id: `probe:${group.name}`, label: `probe ${group.name}`, title: `${group.name} per layer vs step`, subtitle: `${title} · ${MEAN_BAND}`,
      x: STEP_AXIS, y: {title: group.name, fraction: false, log: spansDecades(values)}, series: aggregate(values, runs), values, rowTitle: 'layer',
    };
  }
  const qs = group.probes.map((p) => `p${p.q}`);
  const middle = middleOf(group);
  const stem = group.name.replace(/_percentiles$/, '');
  const band = `${qs[0]}–${qs[qs.length - 1]}`;
  return {
    id: `probe:${group.name}`, label: `probe ${stem} (${band}, p${middle.q})`, title: `${stem}: percentiles ${qs.join(', ')} per layer vs step`,
    subtitle: `${title} · line: p${middle.q} · band: ${band} · each the mean over seeds`,
    x: STEP_AXIS, y: {title: `${stem} (${band}, p${middle.q})`, fraction: false, log: false},
    series: percentileSeries(rows, group, runs), values: probeValues(rows, middle.probe), band, rowTitle: 'layer',
  };
}

// ── The Vega-Lite of a curve chart ─────────────────────────────────────────────────────────

/** Shown unless its norm or results directory was hidden by a legend click (the page sets both signals). */
const VISIBLE = {filter: 'indexof(hidden, datum.norm) < 0 && indexof(hiddenSources, datum.source) < 0'};

/** The signals the page sets: hidden norms and results directories, and whether each seed's line shows. */
const PAGE_PARAMS = [{name: 'hidden', value: []}, {name: 'hiddenSources', value: []}, {name: 'seeds', value: false}];

const nominal = (field: string) => ({field, type: 'nominal' as const});

/** A curve chart as lineSpec draws it (plots.ts), with the page's interactions: see the layers' comments. */
function curveSpec(input: MetricInput, layout: {logY: boolean; rows: string[]; marks: boolean}, context: PlotContext): TopLevelSpec {
  const {logY, rows} = layout;
  const {series} = input;
  const norms = new Set(series.map((p) => p.norm));
  const normOrder = [...context.colours.keys()].filter((n) => norms.has(n));
  const sources = context.sources.filter((s) => series.some((p) => p.source === s));
  const panels = context.panels.filter((p) => series.some((q) => q.panel === p));
  const format = input.y.fraction ? '.1%' : '.4~g';
  const x = {field: 'x', type: 'quantitative' as const, title: input.x};
  const yScale = logY ? {type: 'log' as const, nice: false, padding: 6} : {zero: false, padding: 6};
  const y = {field: 'y', type: 'quantitative' as const, title: logY ? `${input.y.title} (log scale)` : input.y.title, scale: yScale, axis: input.y.fraction ? {format: '.0%'} : {}};
  const colour = {...nominal('norm'), title: 'norm', scale: {domain: normOrder, range: normOrder.map((n) => context.colours.get(n)!)}};
  const quiet = {...colour, field: 'band', legend: null};
  const stroke = {...colour, legend: {symbolType: 'stroke'}};
  const dash = context.sources.length > 1
    ? {strokeDash: {...nominal('source'), title: 'results', scale: {domain: sources, range: sources.map((_, i) => DASHES[context.sources.indexOf(sources[i]!) % DASHES.length]!)}}}
    : {};
  const series_ = {filter: "datum.kind === 'series'"};
  const range = input.band ?? 'min–max over seeds';
  const rowKey = rows.length > 1 || rows[0] !== '' ? [[input.rowTitle ?? 'row', 'datum.row'] as [string, string]] : [];
  const at: Array<[string, string]> = [['run', 'datum.run'], ...rowKey, [input.x === STEP_AXIS ? 'step' : 't', 'datum.x'], [input.y.title, `format(datum.y, '${format}')`]];
  const tip = `datum.kind === 'series' ? ${tipObject([...at, [range, `format(datum.lo, '${format}') + ' – ' + format(datum.hi, '${format}')`]])} : ${tipObject(at)}`;
  const edge = (field: 'lo' | 'hi') => ({
    name: `edge_${field}`,
    transform: [series_, VISIBLE],
    mark: {type: 'line' as const, strokeWidth: 0.8, strokeOpacity: 0.8},
    encoding: {x, y: {...y, field}, stroke, detail: nominal('condition'), ...dash},
  });
  const layer = [
    {
      name: 'band',
      transform: [series_, VISIBLE],
      // Zoom and pan on the step axis: the wheel zooms, a drag pans, a double click resets.
      params: [{name: 'zoom', select: {type: 'interval' as const, encodings: ['x' as const]}, bind: 'scales' as const}],
      mark: {type: 'area' as const, opacity: input.band ? 0.07 : 0.16},
      encoding: {x, y: {...y, field: 'lo', stack: null}, y2: {field: 'hi'}, fill: quiet, detail: nominal('condition')},
    },
    ...(input.band ? [edge('lo'), edge('hi')] : []),
    {
      name: 'seeds',
      transform: [{filter: "seeds && datum.kind === 'run'"}, VISIBLE],
      mark: {type: 'line' as const, strokeWidth: 0.9, strokeOpacity: 0.55},
      encoding: {x, y, stroke, detail: nominal('id'), ...dash},
    },
    {
      name: 'mean',
      transform: [series_, VISIBLE],
      mark: {type: 'line' as const, strokeWidth: 1.8},
      encoding: {x, y, stroke, detail: nominal('condition'), ...dash},
    },
    ...(layout.marks
      ? [{
        name: 'diverged',
        transform: [{filter: "datum.kind === 'diverged'"}, VISIBLE, {calculate: tipObject(at), as: 'tip'}],
        mark: {type: 'point' as const, size: 70, filled: true, opacity: 1},
        encoding: {
          x, y, fill: quiet, tooltip: TOOLTIP,
          shape: {...nominal('kind'), title: null, scale: {domain: ['diverged'], range: [X_SHAPE]}, legend: {labelExpr: "'diverged run'", symbolFillColor: '#333', symbolStrokeWidth: 0}},
        },
      }]
      : []),
    {
      // The nearest point to the pointer (a line's mean, or a seed's value when seeds show) and its tooltip.
      name: 'hover',
      transform: [
        {filter: "datum.kind === 'series' || (seeds && datum.kind === 'run')"}, VISIBLE,
        {calculate: tip, as: 'tip'},
      ],
      params: [{name: 'near', select: {type: 'point' as const, on: 'pointerover', nearest: true, clear: 'pointerout'}}],
      mark: {type: 'point' as const, filled: true, size: 50},
      encoding: {x, y, fill: quiet, opacity: {condition: {param: 'near', empty: false, value: 1}, value: 0}, tooltip: TOOLTIP},
    },
  ];
  const title = plotTitle(input.title, input.subtitle);
  // A page has more room than report.md's column: few panels are drawn larger (one as the sweeps draw it).
  const grow = panels.length <= 1 ? 1.6 : panels.length <= 3 ? 1.25 : 1;
  const size = {width: Math.round(grow * PANEL_WIDTH), height: Math.round(Math.min(grow, 1.3) * PANEL_HEIGHT)};
  const data = {name: 'points'};
  const facetRows = rows.length > 1 || rows[0] !== '';
  const top = {title, data, params: PAGE_PARAMS, config: PLOT_CONFIG};
  if (panels.length <= 1 && !facetRows) return {...top, ...size, layer} as TopLevelSpec;
  const header = PANEL_HEADER;
  const facet = facetRows
    ? {row: {...nominal('row'), sort: rows, header, title: null}, ...(panels.length > 1 ? {column: {...nominal('panel'), sort: panels, header}} : {})}
    : {...nominal('panel'), sort: panels, header};
  return {...top, facet, ...(facetRows ? {} : {columns: Math.min(WRAP, panels.length)}), spec: {...size, layer}, resolve: {scale: {y: 'shared'}}} as TopLevelSpec;
}

/**
 * A tooltip as a Vega expression: an object that vega-embed's tooltip shows as a table, its
 * `title` as the heading (the condition). Keys are shown as written.
 */
export function tipObject(entries: Array<[string, string]>, title = 'datum.label'): string {
  return `{${[['title', title] as [string, string], ...entries].map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`;
}

/** The tooltip: the object a layer computed as `tip`. */
const TOOLTIP = {field: 'tip', type: 'nominal' as const};

/**
 * A plot of report.md made interactive: hidden norms and directories filtered out, and on each
 * layer of points of a kind in `tips` (its `datum.kind === '…'` filter) the tooltip that says.
 */
export function interactiveSpec(spec: TopLevelSpec, tips: Record<string, string>): TopLevelSpec {
  type Layer = {mark: {type: string}; transform?: Array<Record<string, unknown>>; encoding: Record<string, unknown>};
  const layer = (l: Layer): Layer => {
    const transform = l.transform ?? [];
    const kind = transform.map((t) => /datum\.kind === '(\w+)'/.exec(String(t.filter))?.[1]).find((k) => k !== undefined);
    const tip = l.mark.type === 'point' && kind ? tips[kind] : undefined;
    return {...l, transform: [...transform, VISIBLE, ...(tip ? [{calculate: tip, as: 'tip'}] : [])], ...(tip ? {encoding: {...l.encoding, tooltip: TOOLTIP}} : {})};
  };
  // Layers wherever they are: at the top, in a facet's spec, in each view of a concatenation.
  const walk = (node: Record<string, unknown>): Record<string, unknown> => ({
    ...node,
    ...(Array.isArray(node.layer) ? {layer: (node.layer as Layer[]).map(layer)} : {}),
    ...(node.spec ? {spec: walk(node.spec as Record<string, unknown>)} : {}),
    ...Object.fromEntries(['vconcat', 'hconcat', 'concat'].filter((k) => Array.isArray(node[k])).map((k) => [k, (node[k] as Array<Record<string, unknown>>).map(walk)])),
  });
  return {...walk(structuredClone(spec) as unknown as Record<string, unknown>), params: PAGE_PARAMS} as unknown as TopLevelSpec;
}

// ── 2. Charts ──────────────────────────────────────────────────────────────────────────────

export interface HtmlInput {
  title: string;
  markdown: string;
  sources: Source[];
  conditions: Condition[];
  runs: RunIndex;
  context: PlotContext;
  /** Plots of report.md besides the curves: sweeps and the tuning sensitivity, by file (plots/<name>.svg). */
  fixed: Array<{file: string; spec: TopLevelSpec}>;
  /** Diagnostics chosen by --diagnostic (default all). */
  diagnostics?: string[];
}

/** The data of the page: conditions, runs, metrics and a chart per plot of report.md. */
export function pageData(input: HtmlInput, plotFiles: string[]): PageData {
  const {sources, conditions, runs, context} = input;
  const several = sources.length > 1;
  const indexes: Indexes = {conditions: new Map(conditions.map((c, i) => [c.key, i])), runs: new Map()};
  const pageRuns = conditions.flatMap((c, i) => c.runs.map((r) => ({id: r.run_id, seed: r.seed, status: r.status, condition: i, source: c.source})));
  pageRuns.forEach((r, i) => indexes.runs.set(runKey(r.source, r.id), i));
  const metrics = pageMetrics(sources, runs, indexes, context);
  const stepMetrics = Object.keys(metrics).filter((id) => id !== 'gradient_flow');
  const probeIds = new Map<string, string>();
  const rows = diagnosticRows(sources);
  if (rows) {
    for (const group of choose(probeGroups([...new Set(rows.map((r) => r.row.probe!))]), input.diagnostics)) probeIds.set(`plots/${diagnosticFile(group.name)}`, `probe:${group.name}`);
  }
  const charts: PageChart[] = plotFiles.flatMap((file): PageChart[] => {
    const fixed = input.fixed.find((f) => f.file === file);
    if (fixed) return [{kind: 'fixed', file, spec: fixed.spec}];
    if (file === `plots/${GRADIENT_FLOW_FILE}`) return metrics.gradient_flow ? [{kind: 'curves', file, metrics: ['gradient_flow'], initial: 'gradient_flow'}] : [];
    const initial = probeIds.get(file) ?? /^plots\/(\w+)\.svg$/.exec(file)?.[1];
    return initial && metrics[initial] ? [{kind: 'curves', file, metrics: stepMetrics, initial}] : [];
  });
  return {
    conditions: conditions.map((c) => ({label: [...(several ? [c.source] : []), c.norm, c.panel].join(' · '), source: c.source, norm: c.norm, panel: c.panel})),
    runs: pageRuns.map(({id, seed, status, condition}) => ({id, seed, status, condition})),
    metrics, charts,
    norms: [...context.colours.keys()],
    sources: context.sources,
    maxRows: MAX_ROWS,
  };
}

// ── 3. report.md as HTML ───────────────────────────────────────────────────────────────────

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A heading's anchor, as GitHub makes it (report.md links to #tuning). */
const slug = (text: string) => text.toLowerCase().replace(/<[^>]*>/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s+/g, '-');

/** A caption's Markdown (`code`, **bold**) as HTML, raw HTML escaped. */
function inlineHtml(markdown: string): string {
  const marked = new Marked({gfm: true});
  marked.use({renderer: {html: ({text}: Tokens.HTML | Tokens.Tag) => escapeHtml(text)}});
  return marked.parseInline(markdown) as string;
}

/** report.md in HTML: headings with anchors, tables to sort, each plot's image a chart's place; raw HTML in user text stays text. */
export function markdownHtml(markdown: string, charts: PageChart[]): string {
  const marked = new Marked({gfm: true});
  marked.use({
    renderer: {
      heading(this: {parser: {parseInline(tokens: Tokens.Generic[]): string}}, {tokens, depth}: Tokens.Heading) {
        const text = this.parser.parseInline(tokens);
        return `<h${depth} id="${slug(text)}">${text}</h${depth}>\n`;
      },
      image({href, text}: Tokens.Image) {
        const i = charts.findIndex((c) => c.file === href);
        if (i < 0) return `<img src="" alt="${escapeHtml(text)}">`;
        const none = `<noscript>This chart is drawn by the page's script: allow JavaScript for this file, or see ${escapeHtml(href)} beside report.md.</noscript>`;
        return `</p><figure class="chart" data-chart="${i}" aria-label="${escapeHtml(text)}"><div class="controls"></div><div class="view">${none}</div></figure><p>`;
      },
      html({text}: Tokens.HTML | Tokens.Tag) {
        return escapeHtml(text);
      },
    },
  });
  return (marked.parse(markdown) as string).replace(/<p><\/p>\n?/g, '').replace(/<table>/g, '<div class="table"><table class="sortable">').replace(/<\/table>/g, '</table></div>');
}

// ── 4. The page ────────────────────────────────────────────────────────────────────────────

/** The page's script: report-html-page.ts as compiled beside this file. */
function pageScript(): string {
  return readFileSync(new URL('./report-html-page.js', import.meta.url), 'utf8');
}

/** Text inside <script>: nothing that ends it early, no source map to look for. */
const scriptText = (code: string) => code.replace(/^\/\/# sourceMappingURL=.*$/gm, '').replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/** Nothing leaves the page: no request of any kind (scripts and styles are inline; vega compiles expressions with Function). */
const CSP = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; form-action 'none'; base-uri 'none'";

export function reportHtml(input: HtmlInput, plotFiles: string[]): string {
  const data = pageData(input, plotFiles);
  const libs = libraries();
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="normbench ${VERSION}">
<title>${escapeHtml(input.title)} · normbench report</title>
<style>
${STYLE}
</style>
${libs.map((l) => `<script data-library="${l.name}@${l.version}">\n${scriptText(l.code)}\n</script>`).join('\n')}
</head>
<body>
<main>
${markdownHtml(input.markdown, data.charts)}
</main>
<footer>Made by normbench ${VERSION}; drawn with ${libs.map((l) => `${l.name} ${l.version}`).join(', ')}, all inside this file: it needs no network.
Hover a line for its values; click a legend entry to hide or show it in every chart; the wheel zooms on the step axis, a drag pans, a double click resets; click a column's header to sort a table.</footer>
<script type="application/json" id="normbench-data">${json}</script>
<script type="module">
${scriptText(pageScript())}
</script>
</body>
</html>
`;
}

const STYLE = `
:root { --ink: #222; --muted: #666; --rule: #ddd; --accent: #4e79a7; }
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 1.2em 1.5em 2em; }
h1 { font-size: 1.6em; margin: 0.3em 0; }
h2 { font-size: 1.3em; margin: 1.6em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.05em; margin: 1.3em 0 0.4em; }
blockquote { margin: 0.5em 0; padding: 0.2em 1em; border-left: 4px solid var(--rule); color: #444; }
code { font: 0.92em Menlo, Consolas, monospace; background: #f4f4f4; padding: 0 0.2em; border-radius: 3px; }
div.table { overflow-x: auto; margin: 0.6em 0 1em; }
table { border-collapse: collapse; font-size: 0.93em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #eee; white-space: nowrap; }
th { border-bottom: 2px solid var(--rule); background: #fafafa; position: sticky; top: 0; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th:hover { background: #eef3f8; }
th[aria-sort="ascending"]::after { content: " ▲"; font-size: 0.75em; color: var(--accent); }
th[aria-sort="descending"]::after { content: " ▼"; font-size: 0.75em; color: var(--accent); }
tbody tr:hover { background: #f6f9fc; }
figure.chart { margin: 0.6em 0 0.3em; padding: 0.6em; border: 1px solid #e6e6e6; border-radius: 6px; overflow-x: auto; }
figure.chart .controls { display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; align-items: center; margin-bottom: 0.4em; font-size: 0.93em; }
figure.chart .controls label { display: inline-flex; gap: 0.35em; align-items: center; }
figure.chart .controls .hint { color: var(--muted); font-size: 0.9em; }
figure.chart .error { color: #b00; white-space: pre-wrap; }
footer { max-width: 1180px; margin: 0 auto 2em; padding: 0.8em 1.5em 0; border-top: 1px solid var(--rule); color: var(--muted); font-size: 0.88em; }
#vg-tooltip-element { font: 12px Helvetica, Arial, sans-serif; }
`;

// ── Tooltips of report.md's other plots ────────────────────────────────────────────────────

const formatOf = (kind: 'fraction' | 'steps' | 'other') => (kind === 'fraction' ? '.1%' : kind === 'steps' ? 'd' : '.4~g');

/** A sweep plot (report-sweep.ts): a condition's point, a single run's, a diverged or failed run's. */
export function sweepTips(x: string, metric: {label: string; kind: string}): Record<string, string> {
  const f = formatOf(metric.kind === 'fraction' ? 'fraction' : metric.kind === 'steps' ? 'steps' : 'other');
  const at: [string, string] = [x, "format(datum.x, '~g')"];
  const value: [string, string] = [metric.label, `format(datum.y, '${f}')`];
  return {
    series: tipObject([at, value, [metric.kind === 'steps' ? 'interval of the median' : '95 % interval', `format(datum.lo, '${f}') + ' – ' + format(datum.hi, '${f}')`], ['runs', 'datum.n']], 'datum.line'),
    run: tipObject([at, value, ['point', 'datum.mark']], 'datum.line'),
    bad: tipObject([at, ['run', 'datum.status']], 'datum.line'),
  };
}

/** The tuning's sensitivity plot (report-tuning.ts): a condition's mean at a value and rung, the runs with no score. */
export function sensitivityTips(key: string, metric: string, lower: boolean): Record<string, string> {
  const f = formatOf(lower ? 'other' : 'fraction');
  const at: [string, string] = [key, "format(datum.x, '~g')"];
  return {
    point: tipObject([at, ['rung', 'datum.rung'], [metric, `format(datum.y, '${f}')`], ['min–max over seeds', `format(datum.lo, '${f}') + ' – ' + format(datum.hi, '${f}')`], ['runs', 'datum.n'], ['point', 'datum.mark']], 'datum.condition'),
    bad: tipObject([at, ['rung', 'datum.rung'], ['diverged or failed runs', 'datum.runs']], 'datum.condition'),
  };
}
