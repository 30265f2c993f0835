// What report.html carries for its script (src/results/report-html-page.ts): written into the
// page as JSON by src/results/report-html.ts. Types only, so the page imports nothing at run time.
//
// Curves travel compactly, as rows of numbers that index the conditions and runs; the page
// turns the rows of the metric a chart shows into Vega-Lite's data (`PagePoint`) when it draws it.

/** A condition (a grid cell without its seed, within one results directory). */
export interface PageCondition {
  /** Its name in tooltips: results directory (when several), norm, panel. */
  label: string;
  source: string;
  norm: string;
  /** Facet panel: activation and the other grid factors. */
  panel: string;
}

export interface PageRun {
  id: string;
  seed: string;
  status: string;
  /** Index into PageData.conditions. */
  condition: number;
}

/** A metric against step (or t) that a chart can show. */
export interface PageMetric {
  id: string;
  /** The selector's text, e.g. `test accuracy`, `probe activation (p15–p85, p50)`. */
  label: string;
  title: string;
  subtitle: string;
  /** report.md's caption of its plot (HTML): the page shows it under the chart while the metric is shown. */
  caption: string;
  /** What the x axis counts, for the controls' hint: `steps`, or `t` (time steps of a sequence). */
  xName: string;
  /** Facet rows (layers, steps); [''] when none. */
  rows: string[];
  /** The line and its band over seeds: [condition, row, x, y, lo, hi, n]. */
  series: number[][];
  /** Each run (ok and diverged ones, their finite values): [run, row, x, y]. */
  runs: number[][];
  /** Diverged runs, where they diverged: [run, row, x, y]. */
  diverged: number[][];
  /** Vega-Lite, its data named `points` (PagePoint rows). */
  spec: unknown;
}

/** One row of a curve chart's data, as the page builds it for Vega-Lite. */
export interface PagePoint {
  kind: 'series' | 'run' | 'diverged';
  /** Index of the condition (lines are told apart by it). */
  condition: number;
  label: string;
  source: string;
  norm: string;
  /** A copy of norm for the band's fill (see plots.ts lineSpec). */
  band: string;
  panel: string;
  row: string;
  x: number;
  y: number;
  lo?: number;
  hi?: number;
  n?: number;
  /** Tooltip: `mean of 3 runs`, or a run's id, seed and status. */
  run: string;
  /** Index of the run (seeds' lines are told apart by it); -1 on the series. */
  id: number;
}

/** A chart of curves, with a selector over the metrics it may show. */
export interface PageCurveChart {
  kind: 'curves';
  /** The plot of report.md it stands for: plots/<name>.svg. */
  file: string;
  /** Metric ids the selector offers, and the one shown first. */
  metrics: string[];
  initial: string;
}

/** A chart drawn as report.md's, made interactive (sweeps, tuning sensitivity): its data inline. */
export interface PageFixedChart {
  kind: 'fixed';
  file: string;
  spec: unknown;
}

export type PageChart = PageCurveChart | PageFixedChart;

export interface PageData {
  conditions: PageCondition[];
  runs: PageRun[];
  metrics: Record<string, PageMetric>;
  charts: PageChart[];
  /** Legend values that a click hides or shows: norms and results directories. */
  norms: string[];
  sources: string[];
  /** More facet rows than this, and a metric starts with its first row only (a selector offers the rest). */
  maxRows: number;
}
