/// <reference lib="dom" />
// The script of report.html (src/results/report-html.ts inlines it, compiled, after vega,
// vega-lite and vega-embed, which it finds as globals). It reads the page's data
// (#normbench-data) and:
// 1. draws a chart in each <figure class="chart">: a curve chart with its controls (the metric,
//    the layer when there are many, each seed's line), or a plot of report.md made interactive;
// 2. keeps one set of hidden norms and results directories for the whole page: a click on a
//    legend entry hides it in every chart, a second click shows it again;
// 3. sorts a table by a click on a column's header (numbers as numbers, — last);
// 4. says when every chart has rendered: <html data-rendered="ms since navigation start">, and
//    window.normbench holds the views (the browser test reads both).
// It imports types only, so the compiled script has no import: nothing is fetched.

import type {Item, Spec, View} from 'vega';
import type {EmbedOptions, Result} from 'vega-embed';
import type {TopLevelSpec} from 'vega-lite';
import type {PageChart, PageData, PageMetric, PagePoint} from './report-html-data.js';

declare const vega: {Error: number};
declare const vegaLite: {compile(spec: TopLevelSpec): {spec: Spec}};
declare const vegaEmbed: (el: HTMLElement, spec: Spec, options: EmbedOptions) => Promise<Result>;

interface ChartState {
  figure: HTMLElement;
  chart: PageChart;
  metric?: string;
  /** The facet row shown ('' for all). */
  row: string;
  seeds: boolean;
  result?: Result;
}

declare global {
  interface Window {
    normbench: {views: Map<number, View>; charts: ChartState[]; ready: Promise<number>};
  }
}

const data = JSON.parse(document.getElementById('normbench-data')!.textContent!) as PageData;
const hidden = {norm: new Set<string>(), source: new Set<string>()};
const SIGNALS = {norm: 'hidden', source: 'hiddenSources'} as const;
const views = new Map<number, View>();

// ── Data ───────────────────────────────────────────────────────────────────────────────────

/** A metric's rows as Vega-Lite data, only those of one facet row when one is chosen. */
function points(metric: PageMetric, row: string): PagePoint[] {
  const at = row === '' ? -1 : metric.rows.indexOf(row);
  const out: PagePoint[] = [];
  const base = (condition: number) => {
    const c = data.conditions[condition]!;
    return {condition, label: c.label, source: c.source, norm: c.norm, band: c.norm, panel: c.panel};
  };
  for (const [c, r, x, y, lo, hi, n] of metric.series as number[][] as Array<[number, number, number, number, number, number, number]>) {
    if (at < 0 || r === at) out.push({kind: 'series', ...base(c), row: metric.rows[r]!, x, y, lo, hi, n, run: `mean of ${n} run${n === 1 ? '' : 's'}`, id: -1});
  }
  const runPoint = (kind: 'run' | 'diverged') => ([i, r, x, y]: number[]) => {
    if (at >= 0 && r !== at) return;
    const run = data.runs[i!]!;
    const status = run.status === 'ok' ? '' : `, ${run.status}`;
    out.push({kind, ...base(run.condition), row: metric.rows[r!]!, x: x!, y: y!, run: `${run.id} (seed ${run.seed}${status})`, id: i!});
  };
  metric.runs.forEach(runPoint('run'));
  metric.diverged.forEach(runPoint('diverged'));
  return out;
}

// ── Vega ───────────────────────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

/**
 * Legends of norms and of results directories answer clicks: their symbols and labels become
 * interactive, named for the click handler, and fade while hidden. Vega-Lite makes legends
 * interactive only for its own selections, hence this pass over the compiled Vega.
 */
function clickableLegends(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(clickableLegends);
  if (!node || typeof node !== 'object') return;
  const spec = node as Json;
  for (const legend of (spec.legends as Json[] | undefined) ?? []) {
    const kind = legend.strokeDash ? 'source' : (legend.stroke || legend.fill) && !legend.shape ? 'norm' : undefined;
    if (!kind) continue;
    const encode = (legend.encode ?? {}) as Record<string, Json>;
    const part = (name: 'symbols' | 'labels') => {
      const own = encode[name] ?? {};
      const update = (own.update ?? {}) as Json;
      return {...own, name: `legend-${kind}-${name}`, interactive: true, update: {...update, cursor: {value: 'pointer'}, opacity: {signal: `indexof(${SIGNALS[kind]}, datum.value) < 0 ? 1 : 0.25`}}};
    };
    legend.encode = {...encode, symbols: part('symbols'), labels: part('labels')};
  }
  for (const value of Object.values(spec)) if (value && typeof value === 'object') clickableLegends(value);
}

/** The spec with the page's state as its parameters' values, so that the first render is the right one. */
function withState(spec: TopLevelSpec, seeds: boolean): TopLevelSpec {
  const params = ((spec as unknown as Json).params as Json[] | undefined)?.map((p) =>
    p.name === 'hidden' ? {...p, value: [...hidden.norm]} : p.name === 'hiddenSources' ? {...p, value: [...hidden.source]} : p.name === 'seeds' ? {...p, value: seeds} : p,
  );
  return {...spec, ...(params ? {params} : {})} as TopLevelSpec;
}

// Vega's warnings stay quiet: an empty layer (the seeds' lines while hidden) warns of its empty extent.
const EMBED: EmbedOptions = {mode: 'vega', renderer: 'svg', logLevel: vega.Error, actions: {export: true, source: false, compiled: false, editor: false}};

async function draw(index: number, state: ChartState): Promise<void> {
  const target = state.figure.querySelector<HTMLElement>('.view')!;
  let spec: TopLevelSpec;
  if (state.chart.kind === 'curves') {
    const metric = data.metrics[state.metric!]!;
    spec = {...withState(metric.spec as TopLevelSpec, state.seeds), datasets: {points: points(metric, state.row)}} as TopLevelSpec;
  } else {
    spec = withState(state.chart.spec as TopLevelSpec, false);
  }
  const vega = vegaLite.compile(spec).spec;
  clickableLegends(vega);
  state.result?.finalize();
  state.result = await vegaEmbed(target, vega, EMBED);
  const view = state.result.view;
  view.addEventListener('click', (_event, item) => legendClick(item));
  views.set(index, view);
}

/** A click on a legend entry of norms or results directories: hide it everywhere, or show it again. */
function legendClick(item: Item | null | undefined): void {
  const name = (item?.mark as {name?: string} | undefined)?.name ?? '';
  const kind = /^legend-(norm|source)-/.exec(name)?.[1] as 'norm' | 'source' | undefined;
  if (!kind) return;
  const value = String((item!.datum as {value: unknown}).value);
  const set = hidden[kind];
  if (set.has(value)) set.delete(value);
  else set.add(value);
  for (const view of views.values()) void view.signal(SIGNALS[kind], [...set]).runAsync();
}

// ── Controls ───────────────────────────────────────────────────────────────────────────────

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

function select(label: string, name: string, options: Array<[string, string]>, value: string, change: (value: string) => void): HTMLElement {
  const box = element('select', {name});
  for (const [v, text] of options) box.append(element('option', {value: v, selected: v === value}, text));
  box.addEventListener('change', () => change(box.value));
  return element('label', {}, `${label} `, box);
}

/** The first row of a metric with many (layers), all of them otherwise. */
const firstRow = (metric: PageMetric) => (metric.rows.length > data.maxRows ? metric.rows[0]! : '');

function controls(index: number, state: ChartState): void {
  const box = state.figure.querySelector<HTMLElement>('.controls')!;
  box.replaceChildren();
  if (state.chart.kind !== 'curves') {
    box.append(element('span', {className: 'hint'}, 'hover a point for its values · click a legend entry to hide or show it'));
    return;
  }
  const chart = state.chart;
  const metric = data.metrics[state.metric!]!;
  const redraw = () => {
    controls(index, state);
    return draw(index, state).catch(report(state));
  };
  if (chart.metrics.length > 1) {
    box.append(select('metric', 'metric', chart.metrics.map((id) => [id, data.metrics[id]!.label]), state.metric!, (id) => {
      state.metric = id;
      state.row = firstRow(data.metrics[id]!);
      describe(state);
      void redraw();
    }));
  }
  if (metric.rows.length > data.maxRows) {
    const rows: Array<[string, string]> = [...metric.rows.map((r): [string, string] => [r, r]), ['', `all ${metric.rows.length}`]];
    box.append(select('layer', 'row', rows, state.row, (row) => {
      state.row = row;
      void redraw();
    }));
  }
  const seeds = element('input', {type: 'checkbox', name: 'seeds', checked: state.seeds});
  seeds.addEventListener('change', () => {
    state.seeds = seeds.checked;
    void views.get(index)?.signal('seeds', state.seeds).runAsync();
  });
  box.append(element('label', {}, seeds, 'each seed'));
  box.append(element('span', {className: 'hint'}, `hover for values · click a legend entry to hide or show it · wheel: zoom on ${metric.xName}, drag: pan, double click: reset`));
}

/** The heading above a chart and the caption under it say what it shows. */
function describe(state: ChartState): void {
  const metric = data.metrics[state.metric!]!;
  const heading = state.figure.previousElementSibling;
  if (heading?.tagName === 'H3') heading.textContent = metric.title;
  const caption = state.figure.nextElementSibling;
  const figure = caption?.querySelector('em');
  if (caption?.tagName === 'P' && figure) caption.innerHTML = `<em>${figure.textContent}</em> ${metric.caption}`;
}

const report = (state: ChartState) => (error: unknown) => {
  console.error(error);
  state.figure.querySelector('.view')!.replaceChildren(element('p', {className: 'error'}, `This chart could not be drawn: ${String(error)}`));
};

// ── Tables ─────────────────────────────────────────────────────────────────────────────────

/** A cell's number: `72.0 ± 2.0` → 72, `>3000 (0/3)` → 3000.5 (past the last step), `−1.2` → −1.2; none for `—` or text. */
function cellNumber(text: string): number | undefined {
  const m = /^\s*(>)?\s*([+\-−]?\d+(?:\.\d+)?(?:e[+\-−]?\d+)?)/i.exec(text);
  if (!m) return undefined;
  return Number(m[2]!.replace(/−/g, '-')) + (m[1] ? 0.5 : 0);
}

function sortable(table: HTMLTableElement): void {
  const headers = [...table.tHead?.rows[0]?.cells ?? []];
  // A table of facts (the provenance: its first header is empty) keeps its order.
  if (!headers[0]?.textContent) return table.classList.remove('sortable');
  headers.forEach((th, column) => {
    th.title = 'sort by this column';
    th.addEventListener('click', () => {
      const ascending = th.getAttribute('aria-sort') !== 'ascending';
      headers.forEach((h) => h.removeAttribute('aria-sort'));
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      const body = table.tBodies[0]!;
      const rows = [...body.rows].map((tr, i) => ({tr, i, text: tr.cells[column]?.textContent ?? '', n: cellNumber(tr.cells[column]?.textContent ?? '')}));
      const numeric = rows.some((r) => r.n !== undefined) && rows.every((r) => r.n !== undefined || /^\s*—?\s*$/.test(r.text));
      const sign = ascending ? 1 : -1;
      rows.sort((a, b) => {
        if (numeric) {
          // No value sorts last either way.
          if (a.n === undefined || b.n === undefined) return (a.n === undefined ? 1 : 0) - (b.n === undefined ? 1 : 0) || a.i - b.i;
          return sign * (a.n - b.n) || a.i - b.i;
        }
        return sign * a.text.localeCompare(b.text, undefined, {numeric: true}) || a.i - b.i;
      });
      body.append(...rows.map((r) => r.tr));
    });
  });
}

// ── Start ──────────────────────────────────────────────────────────────────────────────────

document.querySelectorAll<HTMLTableElement>('table.sortable').forEach(sortable);

const charts: ChartState[] = [...document.querySelectorAll<HTMLElement>('figure.chart')].map((figure) => {
  const chart = data.charts[Number(figure.dataset.chart)]!;
  const metric = chart.kind === 'curves' ? chart.initial : undefined;
  return {figure, chart, metric, row: metric ? firstRow(data.metrics[metric]!) : '', seeds: false};
});

const ready = Promise.all(charts.map((state, i) => {
  controls(i, state);
  return draw(i, state).catch(report(state));
})).then(() => {
  const ms = Math.round(performance.now());
  document.documentElement.dataset.rendered = String(ms);
  return ms;
});

window.normbench = {views, charts, ready};
