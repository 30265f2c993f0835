// report: tables and plots of one or more results directories. It reads results files only
// (readResults, and the optional diagnostics.csv and gradient_flow.csv beside them), so it
// works on merged shards and on results from other machines.
//
// 1. Check the arguments (several directories need --out), read every directory.
// 2. Sources, conditions (grid cells without the seed, kept apart per source) and their
//    statistics over seeds.
//    Runs that never left chance level are flagged (src/results/report-chance.ts).
// 3. Plan the plots: the curves, the sweeps (a metric against each numeric factor), the
//    diagnostics; a bad --diagnostic, --x or --y is bad input, found before anything is written.
// 4. Create --out, render each plot to plots/<name>.svg, write report.md (no timestamps: the
//    same results give the same bytes).
// A single tuned results directory (a `tune:` block, tuning/ beside its runs) adds a Tuning section:
// what was tuned, the metric at each value, the range of good values, and the sensitivity plot
// (src/results/report-tuning.ts).

import {join, relative, resolve} from 'node:path';
import {UserError} from '../errors.js';
import {prepareOutDir} from './outdir.js';
import {writeAtomic} from './files.js';
import type {TopLevelSpec} from 'vega-lite';
import {lineSpec, normColours, renderSvg, type LinePlot, type PlotContext} from './plots.js';
import {readResults} from './read.js';
import {allFactorKeys, makeConditions, makeSources, type Source} from './report-data.js';
import {metricsOf, summarise, type ConditionSummary, type Metric, type MetricStat} from './report-summary.js';
import {chanceReport, ruleText, type ChanceReport} from './report-chance.js';
import {sweepChoices, sweepPlot, type SweepOptions} from './report-sweep.js';
import {curvePlots, diagnosticPlots, gradientFlowPlots} from './report-plots.js';
import {CHANCE_NOTE, CI_NOTE, ciGrid, markdownTable, MEAN_NOTE, meanGrid, pairedGrid, shownMetrics, textTable, type Grid, type TableColumns} from './report-table.js';
import {pairedNote, pairedTable, type PairedTable} from './report-paired.js';
import {checkClaims, checkJson, checkText, claimQuantity, thanText, type CheckReport} from './check.js';
import {fmtValue} from './format.js';
import {GOOD_TOLERANCE, rangeGrid, rangeNote, sensitivityPlot, toleranceText, tuningFacts, tuningReport, type TuningReport} from './report-tuning.js';
import {tuningGrid, tuningTable} from './table.js';
import type {RunFilter} from '../spec/experiment.js';

export interface ReportOptions {
  /** Where report.md and plots/ go; default the results directory when there is one. */
  out?: string;
  /** Diagnostics to plot (probe names, or `<name>_percentiles`); default every one present. */
  diagnostics?: string[];
  /** Pair every condition with this one (default: the experiment's `report.baseline`, if any). */
  baseline?: RunFilter;
  /** Sweep plots: which factors on x and metrics on y (default every numeric factor, the headline metrics). */
  sweep?: SweepOptions;
  /** Write report.html too: the report as one self-contained interactive page (src/results/report-html.ts). */
  html?: boolean;
}

export interface PlotEntry {
  /** Relative to the report: plots/<name>.svg. */
  file: string;
  title: string;
  caption: string;
}

export interface Report {
  out: string;
  markdown: string;
  sources: Source[];
  metrics: Metric[];
  columns: TableColumns;
  summaries: ConditionSummary[];
  /** Runs that never left chance level, and the rules that decided it. */
  chance: ChanceReport;
  /** Per source with a baseline: the paired differences of every other condition to it. */
  paired: PairedTable[];
  /** A single source whose experiment declares claims: `check`'s verdicts. */
  claims?: CheckReport;
  plots: PlotEntry[];
  /** A single tuned results directory: its tuning, and the sensitivity plot. */
  tuning?: TuningReport & {plot: PlotEntry};
  /** report.html, when asked for. */
  html?: string;
}

export const REPORT_FILE = 'report.md';
export const PLOTS_DIR = 'plots';

export async function makeReport(dirs: string[], options: ReportOptions = {}): Promise<Report> {
  // 1.
  if (dirs.length === 0) throw new UserError('report needs a results directory', undefined, 'usage');
  if (dirs.length > 1 && options.out === undefined) {
    throw new UserError(`several results directories (${dirs.join(', ')}) need --out: the report belongs to none of them`, undefined, 'usage');
  }
  const sources = makeSources(dirs.map((d) => readResults(d)));
  // 2.
  const {conditions, runs} = makeConditions(sources);
  const metrics = metricsOf(sources);
  const chance = chanceReport(sources, conditions);
  const summaries = summarise(sources, conditions, metrics, chance.runs);
  const columns: TableColumns = {source: sources.length > 1, factorKeys: allFactorKeys(sources), metrics: shownMetrics(metrics, summaries), chance: chance.rules.length > 0};
  const paired = sources.flatMap((s) => {
    const baseline = options.baseline ?? s.results.manifest.config.report?.baseline;
    return baseline ? [pairedTable(s, conditions, columns.metrics, baseline)] : [];
  });
  const declared = sources.length === 1 ? sources[0]!.results.manifest.config.claims : undefined;
  const claims = declared?.length ? checkClaims(sources[0]!.results, declared) : undefined;
  const tuned = sources.length === 1 ? tuningReport(sources[0]!) : undefined;
  // 3.
  const norms = [...new Set(conditions.map((c) => c.norm))];
  const colours = normColours(norms);
  const context: PlotContext = {
    colours: new Map(norms.map((n) => [n, colours.get(n)!])),
    sources: sources.map((s) => s.label),
    panels: [...new Set(conditions.map((c) => c.panel))],
  };
  const lines = (plots: LinePlot[]) => plots.filter((p) => p.points.length > 0).map((p) => ({entry: entry(p), spec: lineSpec(p, context)}));
  const choices = sweepChoices(sources, metrics, summaries, options.sweep ?? {});
  const sweeps = choices.map((c) => sweepPlot(sources, summaries, c.x, c.values, c.y, context.colours));
  const planned: Array<{entry: PlotEntry; spec: TopLevelSpec}> = [
    ...lines(curvePlots(sources, runs)),
    ...sweeps.map((p) => ({entry: {file: `${PLOTS_DIR}/${p.file}`, title: p.title, caption: p.caption}, spec: p.spec})),
    ...lines(diagnosticPlots(sources, runs, options.diagnostics)),
    ...lines(gradientFlowPlots(sources, runs)),
  ];
  // 4.
  const out = prepareOutDir(options.out ?? dirs[0]!);
  if (planned.length > 0 || tuned) prepareOutDir(join(out, PLOTS_DIR), '--out');
  const entries: PlotEntry[] = [];
  for (const plot of planned) {
    writeAtomic(join(out, plot.entry.file), await renderSvg(plot.spec));
    entries.push(plot.entry);
  }
  let tuning: Report['tuning'];
  let sensitivity: TopLevelSpec | undefined;
  if (tuned) {
    const plot = sensitivityPlot(tuned, context.colours, sources[0]!.label);
    writeAtomic(join(out, PLOTS_DIR, plot.file), await renderSvg(plot.spec));
    tuning = {...tuned, plot: {file: `${PLOTS_DIR}/${plot.file}`, title: plot.title, caption: plot.caption}};
    sensitivity = plot.spec;
  }
  const report: Report = {out, markdown: join(out, REPORT_FILE), sources, metrics, columns, summaries, chance, paired, claims, plots: entries, ...(tuning && {tuning})};
  const markdown = reportMarkdown(report);
  writeAtomic(report.markdown, markdown);
  if (options.html) {
    const {HTML_FILE, interactiveSpec, reportHtml, sensitivityTips, sweepTips} = await import('./report-html.js');
    const fixed = [
      ...sweeps.map((p, i) => ({file: `${PLOTS_DIR}/${p.file}`, spec: interactiveSpec(p.spec, sweepTips(choices[i]!.x, choices[i]!.y))})),
      ...(tuning && sensitivity ? [{file: tuning.plot.file, spec: interactiveSpec(sensitivity, sensitivityTips(tuning.spec.key, tuning.spec.metric, tuning.lower))}] : []),
    ];
    const title = sources.map((s) => s.results.manifest.experiment).join(' vs ');
    const files = [...(tuning ? [tuning.plot.file] : []), ...entries.map((e) => e.file)];
    report.html = join(out, HTML_FILE);
    writeAtomic(report.html, reportHtml({title, markdown, sources, conditions, runs, context, fixed, diagnostics: options.diagnostics}, files));
  }
  return report;
}

const entry = (plot: LinePlot): PlotEntry => ({file: `${PLOTS_DIR}/${plot.file}`, title: plot.title, caption: plot.caption});

/** `2026-11-22T04:04:17.494Z` → `2026-11-22 04:04:17 UTC`. */
const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : 'not finished');

function provenance(report: Report): string {
  const rows: Array<[string, (s: Source) => string]> = [
    ['results', (s) => `\`${relative(report.out, resolve(s.results.dir)) || '.'}\``],
    ['experiment', (s) => `${s.results.manifest.experiment} (config ${s.results.manifest.config_hash})`],
    ['runs', (s) => {
      const m = s.results.manifest;
      const count = (st: string) => m.runs.filter((r) => r.status === st).length;
      return `${m.runs.length} of ${m.runs_total} (${m.state}): ${count('ok')} ok, ${count('diverged')} diverged, ${count('failed')} failed`;
    }],
    ['backend', (s) => {
      const m = s.results.manifest;
      return `${m.backend} (tfjs ${m.tfjs_version}, Node ${m.node_version}, ${m.platform})`;
    }],
    ['normbench', (s) => {
      const n = s.results.manifest.normbench;
      return `${n.version}, build ${n.build}${n.commit ? `, commit ${n.commit.slice(0, 12)}${n.dirty ? ' (dirty)' : ''}` : ''}`;
    }],
    ['host', (s) => {
      const h = s.results.manifest.host;
      return `${h.name} (${h.cpu}, ${h.cores} cores)`;
    }],
    ['dates', (s) => {
      const m = s.results.manifest;
      const sessions = m.sessions?.length ?? 1;
      return `${when(m.started)} → ${when(m.finished)}${sessions > 1 ? ` (${sessions} sessions)` : ''}`;
    }],
  ];
  return markdownTable({
    header: ['', ...report.sources.map((s) => s.label)],
    rows: rows.map(([name, value]) => [`**${name}**`, ...report.sources.map(value)]),
    numeric: [false, ...report.sources.map(() => false)],
  });
}

function heading(report: Report): string[] {
  const [first] = report.sources;
  if (report.sources.length === 1) return [`# ${first!.results.manifest.experiment}`, '', `> ${first!.results.manifest.question}`];
  return [`# ${report.sources.map((s) => s.label).join(' vs ')}`, '', ...report.sources.map((s) => `- **${s.label}**: ${s.results.manifest.question}`)];
}

/** Which runs never left chance level, by what rule (when some source has one). */
function chanceLines(report: Report): string[] {
  if (!report.columns.chance) return [];
  const several = report.sources.length > 1;
  const rules = report.chance.rules.map(({source, rule}) => `${several ? `${source}: ` : ''}${ruleText(rule)}`).join('; ');
  const flagged = report.summaries.flatMap((s) => s.atChance.map((id) => {
    const c = s.condition;
    const seed = c.runs.find((r) => r.run_id === id)!.seed;
    return [...(several ? [c.source] : []), c.norm, c.activation, ...Object.entries(c.factors).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`), `seed ${seed}`].join(' · ');
  }));
  const list = flagged.length === 0 ? 'none' : `${flagged.length} run${flagged.length === 1 ? '' : 's'}: ${flagged.join('; ')}`;
  return [`${CHANCE_NOTE}: ${rules}. At chance: ${list}.`, ''];
}

/** Columns dropped because no condition has a value: say why. */
function droppedNote(report: Report): string[] {
  const dropped = report.metrics.filter((m) => !report.columns.metrics.includes(m));
  return dropped.length > 0 ? [`No ${dropped.map((m) => m.label).join(', ')}: no run has one (a regression task has no accuracy).`, ''] : [];
}

export function reportMarkdown(report: Report): string {
  const tunedNote = report.tuning ? ` Each condition's runs trained at the \`${report.tuning.spec.key}\` its tuning chose (see [Tuning](#tuning)).` : '';
  const lines = [
    ...heading(report), '',
    '## Provenance', '', provenance(report), '',
    '## Results per condition', '',
    `A condition is a grid cell without its seed${report.sources.length > 1 ? ', within one results directory' : ''}.${tunedNote} ${capitalise(MEAN_NOTE)}.`, '',
    ...droppedNote(report),
    markdownTable(meanGrid(report.columns, report.summaries)), '',
    ...chanceLines(report).map(capitalise),
    `${capitalise(CI_NOTE)}.`, '',
    markdownTable(ciGrid(report.columns, report.summaries)), '',
  ];
  for (const table of report.paired) {
    lines.push(`## Paired differences to ${table.baseline}`, '', `${capitalise(pairedNote(table))}.`, '', markdownTable(pairedGrid(report.columns, table)), '');
  }
  if (report.claims) lines.push('## Claims (`normbench check`)', '', markdownTable(claimsGrid(report.claims)), '');
  if (report.tuning) lines.push(...tuningMarkdown(report, report.tuning));
  if (report.plots.length > 0) {
    lines.push('## Plots', '');
    const first = report.tuning ? 2 : 1;
    report.plots.forEach((p, i) => lines.push(`### ${p.title}`, '', `![${p.title}](${p.file})`, '', `*Figure ${i + first}.* ${p.caption}`, ''));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The Tuning section: what was tuned and how, the metric at each value, warnings, the good ranges, the sensitivity plot (Figure 1). */
function tuningMarkdown(report: Report, tuning: NonNullable<Report['tuning']>): string[] {
  const {spec} = tuning;
  const seeds = [...new Set(report.summaries.flatMap((s) => s.condition.runs.map((r) => r.seed)))];
  const grid = tuningGrid(tuning.outcome, spec, (text) => `**${text}**`);
  const plot = tuning.plot;
  return [
    '## Tuning', '',
    `${spec.shared ? `One \`${spec.key}\` for every condition` : `Each condition's \`${spec.key}\``} was chosen by tuning runs of its own (\`tuning/\`, one row each in \`tuning.csv\`) before the grid's seeds trained at it.`, '',
    ...tuningFacts(tuning, seeds).map(([name, text]) => `- **${name}**: ${text}`), '',
    '### The metric at each value', '',
    `${capitalise(grid.title.replace(/:$/, ''))}: the mean \`${spec.metric}\` at each value; **bold**: the chosen value.`, '',
    markdownTable({header: grid.header, rows: grid.rows, numeric: grid.header.map((_, i) => i > 0)}), '',
    ...(tuning.warnings.length ? ['Warnings: a choice at the edge of the values tried.', '', ...tuning.warnings.map((w) => `- ${w}`), ''] : []),
    '### Range of good values', '',
    rangeNote(tuning), '',
    markdownTable(rangeGrid(tuning)), '',
    `### ${plot.title}`, '', `![${plot.title}](${plot.file})`, '', `*Figure 1.* ${plot.caption}`, '',
  ];
}

/** The tuning in the terminal: the metric at each value, warnings, the good ranges. */
function tuningText(tuning: NonNullable<Report['tuning']>): string[] {
  const {spec} = tuning;
  const judged = spec.schedule === 'halving' && tuning.rungs.length > 1 ? ', among the values that reached the last rung (the full budget)' : '';
  return [
    tuningTable(tuning.outcome, spec),
    ...tuning.warnings.map((w) => `warning: ${w}`), '',
    `good ${spec.key}: mean ${spec.metric} at the full budget ${toleranceText(tuning.lower)}${judged}; width = log10(largest/smallest good value) in decades`,
    textTable(rangeGrid(tuning)), '',
  ];
}

/** What the command prints: the question(s), the two tables, where the report went. */
export function reportText(report: Report): string {
  const plotCount = report.plots.length + (report.tuning ? 1 : 0);
  const questions = report.sources.map((s) => `${s.label}: ${s.results.manifest.question}`);
  return [
    ...questions, '',
    ...droppedNote(report),
    MEAN_NOTE,
    textTable(meanGrid(report.columns, report.summaries)), '',
    ...chanceLines(report),
    CI_NOTE,
    textTable(ciGrid(report.columns, report.summaries)), '',
    ...report.paired.flatMap((table) => [pairedNote(table), textTable(pairedGrid(report.columns, table)), '']),
    ...(report.claims ? [checkText(report.claims), ''] : []),
    ...(report.tuning ? tuningText(report.tuning) : []),
    `report: ${report.markdown} · ${plotCount} plot${plotCount === 1 ? '' : 's'} in ${join(report.out, PLOTS_DIR)}`,
    ...(report.html ? [`interactive: ${report.html} (self-contained: opens offline, from file://)`] : []),
  ].join('\n');
}

/** The same as the tables, with numbers as numbers (fractions, not percentages); no value → null. */
export function reportJson(report: Report) {
  const stat = (s: MetricStat) => {
    if (s.steps) {
      const {n, reached, last, median, interval} = s.steps;
      return {n, reached, last_step: last, median: median ?? null, interval: interval ? [interval.lo ?? null, interval.hi ?? null] : null, level: interval?.level ?? null};
    }
    return {n: s.n, mean: s.mean ?? null, sd: s.sd ?? null, ci95: s.ci95 ?? null, centre: s.centre ?? null, scale: s.scale ?? null};
  };
  return {
    out: report.out,
    report: report.markdown,
    html: report.html ?? null,
    sources: report.sources.map((s) => {
      const m = s.results.manifest;
      return {
        label: s.label, dir: s.results.dir, experiment: m.experiment, question: m.question, config_hash: m.config_hash,
        backend: m.backend, normbench_version: m.normbench.version, normbench_build: m.normbench.build, host: m.host.name,
        started: m.started, finished: m.finished, state: m.state, runs: m.runs.length, runs_total: m.runs_total,
      };
    }),
    factors: report.columns.factorKeys,
    chance: report.chance.rules.map(({source, rule}) => ({results: source, ...rule, rule: ruleText(rule)})),
    conditions: report.summaries.map((r) => ({
      results: r.condition.source,
      norm: r.condition.norm,
      activation: r.condition.activation,
      factors: r.condition.factorValues,
      runs: r.condition.runs.length,
      n: r.n,
      diverged: r.diverged,
      failed: r.failed,
      at_chance: r.atChance.length,
      at_chance_runs: r.atChance,
      metrics: Object.fromEntries(report.metrics.map((m) => [m.key, stat(r.metrics[m.key]!)])),
    })),
    paired: report.paired.map((table) => ({
      baseline: table.filter,
      conditions: table.rows.map((r) => ({
        results: r.condition.source, norm: r.condition.norm, activation: r.condition.activation, factors: r.condition.factorValues,
        metrics: Object.fromEntries(Object.entries(r.metrics).map(([key, s]) => [key, {n: s.n, mean: s.mean ?? null, sd: s.sd ?? null, ci95: s.ci95 ?? null, agree: s.agree}])),
      })),
    })),
    claims: report.claims ? (checkJson(report.claims) as {claims: unknown}).claims : null,
    plots: report.plots,
    tuning: report.tuning ? tuningJson(report.tuning) : null,
  };
}

/** The tuning with numbers as numbers: the choices, each condition's good range, the points of the sensitivity plot, the warnings. */
function tuningJson(tuning: NonNullable<Report['tuning']>) {
  const {spec} = tuning;
  const finite = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? null : x);
  return {
    key: spec.key, values: spec.values, metric: spec.metric, lower_is_better: tuning.lower,
    schedule: spec.schedule, eta: spec.eta, shared: spec.shared, seeds: spec.seeds,
    rungs: tuning.rungs,
    tolerance: {...(tuning.lower ? {relative: GOOD_TOLERANCE.relative} : {points: GOOD_TOLERANCE.points}), rule: toleranceText(tuning.lower)},
    choices: tuning.outcome.choices.map((c) => ({group: c.group, conditions: c.conditions, value: c.value, edge: c.edge ?? null})),
    ranges: tuning.ranges.map(({condition, norm, activation, factors, chosen, range}) => ({
      condition, norm, activation, factors, chosen: chosen ?? null,
      best: range ? {value: range.bestValue, metric: range.best} : null,
      good: range?.good ?? [], lo: range?.lo ?? null, hi: range?.hi ?? null, decades: finite(range?.decades),
      judged: range?.judged ?? [], gaps: range?.gaps ?? [],
    })),
    points: tuning.points.map((p) => ({
      condition: p.condition, rung: p.rung, steps: p.steps, value: p.value, runs: p.runs, n: p.n,
      mean: finite(p.mean), min: finite(p.lo), max: finite(p.hi), advanced: p.advanced ?? null, chosen: p.chosen,
    })),
    warnings: tuning.warnings,
    plot: tuning.plot,
  };
}

/** The claims as a table: verdict, what it says, the difference and its interval. */
function claimsGrid(report: CheckReport): Grid {
  const num = (x: number | undefined) => (x === undefined ? '—' : fmtValue(x, 4));
  return {
    header: ['claim', 'says', 'compares', 'mean', '95 % CI', 'seeds agree', 'verdict'],
    rows: report.claims.map(({claim, stat, verdict}) => [
      claim.id, claim.says, `${claimQuantity(claim)} − ${thanText(claim.than)}${claim.where ? ` (${thanText(claim.where)})` : ''}, ${claim.expect} ${claim.margin}`,
      num(stat.mean), stat.ci95 ? `[${num(stat.ci95[0])}, ${num(stat.ci95[1])}]` : '—', `${stat.agree}/${stat.n}`, `**${verdict}**`,
    ]),
    numeric: [false, false, false, true, true, true, false],
  };
}
