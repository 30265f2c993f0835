// Which plots a report draws, from what the results hold:
// 1. test accuracy vs step (test loss instead when a source has no accuracy: regression);
// 2. training loss vs step;
// 3. diagnostics.csv, when present: one plot per probe, percentile probes (`activation_p15`,
//    `_p50`, `_p85`) together as a band with the middle line (Ioffe & Szegedy 2015, Fig. 1);
// 4. gradient_flow.csv, when present: ‖∂L/∂h_t‖ vs t at the first and the last evaluated step.

import {UserError} from '../errors.js';
import {nearest} from '../suggest.js';
import type {LinePlot} from './plots.js';
import {parseNumber} from './format.js';
import {type RunIndex, type Source} from './report-data.js';
import {aggregate, curveValues, divergedMarks, readOptional, type RunValue, type SeriesPoint} from './report-series.js';

export const MEAN_BAND = 'line: mean over seeds · band: min–max over seeds';
export const CAPTION_BAND = 'line = mean over the seeds that finished ok, band = min–max over them';
const CAPTION_DIVERGED = '× = a diverged run, at the step it diverged and its last finite value';

/** How a plot's lines are told apart, for captions. */
export function encodingNote(severalSources: boolean): string {
  return `colour = norm, panels = activation and other grid factors${severalSources ? ', dash = results directory' : ''}`;
}

export function curvePlots(sources: Source[], runs: RunIndex): LinePlot[] {
  const several = sources.length > 1;
  const title = sources.map((s) => s.label).join(' vs ');
  const curve = (column: string) => {
    const values = curveValues(sources, column);
    const marks = divergedMarks(values, runs);
    return {points: aggregate(values, runs), marks, diverged: marks.length > 0 ? `; ${CAPTION_DIVERGED}` : ''};
  };
  const accuracy = curve('test_accuracy');
  const regression = sources.filter((s) => !curveValues([s], 'test_accuracy').length).map((s) => s.label);
  const plots: LinePlot[] = [];
  if (accuracy.points.length > 0) {
    plots.push({
      file: 'test_accuracy.svg',
      title: 'Test accuracy vs training step',
      subtitle: `${title} · ${MEAN_BAND}`,
      x: {title: 'training step (optimizer updates)'},
      y: {title: 'test accuracy', format: '.0%'},
      points: accuracy.points,
      marks: accuracy.marks,
      caption: `Test accuracy (whole test split, evaluation mode) vs step; ${CAPTION_BAND}${accuracy.diverged}; ${encodingNote(several)}.`,
    });
  }
  if (regression.length > 0) {
    const loss = curve('test_loss');
    const which = regression.length === sources.length ? 'the results have' : `${regression.join(', ')} ${regression.length === 1 ? 'has' : 'have'}`;
    plots.push({
      file: 'test_loss.svg',
      title: 'Test loss vs training step',
      subtitle: `${title} · ${MEAN_BAND}`,
      x: {title: 'training step (optimizer updates)'},
      y: {title: 'test loss', log: true},
      points: loss.points,
      marks: loss.marks,
      caption: `Test loss vs step, plotted instead of accuracy because ${which} no accuracy (a regression task); ${CAPTION_BAND}${loss.diverged}; ${encodingNote(several)}.`,
    });
  }
  const train = curve('train_loss');
  plots.push({
    file: 'train_loss.svg',
    title: 'Training loss vs training step',
    subtitle: `${title} · ${MEAN_BAND}`,
    x: {title: 'training step (optimizer updates)'},
    y: {title: 'training loss', log: true},
    points: train.points,
    marks: train.marks,
    caption: `Training loss, the mean over the minibatches since the previous evaluation, vs step; ${CAPTION_BAND}${train.diverged}; ${encodingNote(several)}.`,
  });
  return plots;
}

// ── Diagnostics ────────────────────────────────────────────────────────────────────────────

export interface Percentile {
  probe: string;
  q: number;
}

/** A plot's worth of probes: one probe, or the percentiles of one quantity. */
export interface ProbeGroup {
  name: string;
  probes: Percentile[];
}

const PERCENTILE = /^(.+)_p(\d+(?:\.\d+)?)$/;

/** `activation_p15`, `activation_p50`, `activation_p85` → one group `activation_percentiles`. */
export function probeGroups(probes: string[]): ProbeGroup[] {
  // 1. Percentile probes by stem.
  const byStem = new Map<string, Percentile[]>();
  for (const probe of probes) {
    const m = PERCENTILE.exec(probe);
    if (m) byStem.set(m[1]!, [...(byStem.get(m[1]!) ?? []), {probe, q: Number(m[2])}]);
  }
  // 2. A group per stem with two or more percentiles, where its first probe appears; any other probe alone.
  const groups = new Map<string, ProbeGroup>();
  for (const probe of probes) {
    const stem = PERCENTILE.exec(probe)?.[1];
    const list = stem === undefined ? [] : byStem.get(stem)!;
    const name = list.length > 1 ? `${stem}_percentiles` : probe;
    if (!groups.has(name)) groups.set(name, {name, probes: list.length > 1 ? [...list].sort((a, b) => a.q - b.q) : [{probe, q: NaN}]});
  }
  return [...groups.values()];
}

/** The percentile drawn as the line: the one nearest 50. */
export const middleOf = (group: ProbeGroup): Percentile => [...group.probes].sort((a, b) => Math.abs(a.q - 50) - Math.abs(b.q - 50) || a.q - b.q)[0]!;

/** The groups chosen by --diagnostic: a group's name or any of its probes' names. */
export function choose(groups: ProbeGroup[], wanted: string[] | undefined): ProbeGroup[] {
  if (!wanted || wanted.length === 0) return groups;
  const names = groups.flatMap((g) => [g.name, ...g.probes.map((p) => p.probe)]);
  for (const w of wanted) {
    if (!names.includes(w)) {
      const guess = nearest(w, names);
      throw new UserError(`--diagnostic ${w}: no such probe in diagnostics.csv${guess ? ` — did you mean "${guess}"?` : ''} (present: ${groups.map((g) => g.name).join(', ')})`, undefined, 'usage');
    }
  }
  return groups.filter((g) => wanted.includes(g.name) || g.probes.some((p) => wanted.includes(p.probe)));
}

/** A probe's rows as run values against step, faceted by layer. */
export function probeValues(rows: Array<{source: string; row: Record<string, string>}>, probe: string): RunValue[] {
  return rows.filter((r) => r.row.probe === probe).flatMap(({source, row}) => {
    const value = parseNumber(row.value);
    return value === undefined ? [] : [{source, run_id: row.run_id!, row: `layer ${row.layer}`, x: Number(row.step), value}];
  });
}

/** Percentiles: the band from the lowest to the highest, the line at the one nearest 50, each the mean over seeds. */
export function percentileSeries(rows: Array<{source: string; row: Record<string, string>}>, group: ProbeGroup, runs: RunIndex): SeriesPoint[] {
  const at = (p: Percentile) => new Map(aggregate(probeValues(rows, p.probe), runs).map((s) => [`${s.condition}\u0000${s.row}\u0000${s.x}`, s]));
  const low = at(group.probes[0]!);
  const high = at(group.probes[group.probes.length - 1]!);
  return [...at(middleOf(group)).entries()].flatMap(([key, s]) => {
    const lo = low.get(key);
    const hi = high.get(key);
    return lo && hi ? [{...s, lo: lo.y, hi: hi.y}] : [];
  });
}

const fmtQ = (q: number) => `p${q}`;

/** The plot file of a probe group. */
export const diagnosticFile = (group: string) => `diagnostic-${group.replace(/[^A-Za-z0-9_.-]+/g, '-')}.svg`;

/** The rows of every source's diagnostics.csv, each with its source's label; undefined when no source has the file. */
export function diagnosticRows(sources: Source[]): Array<{source: string; row: Record<string, string>}> | undefined {
  const files = sources.map((s) => ({source: s.label, rows: readOptional(s.results, 'diagnostics')}));
  if (files.every((f) => f.rows === undefined)) return undefined;
  return files.flatMap((f) => (f.rows ?? []).map((row) => ({source: f.source, row})));
}

export function diagnosticPlots(sources: Source[], runs: RunIndex, wanted: string[] | undefined): LinePlot[] {
  const rows = diagnosticRows(sources);
  if (!rows) {
    if (wanted?.length) throw new UserError(`--diagnostic ${wanted.join(', ')}: ${sources.length > 1 ? 'none of the directories has' : `${sources[0]!.results.dir} has no`} diagnostics.csv`, undefined, 'usage');
    return [];
  }
  const probes = [...new Set(rows.map((r) => r.row.probe!))];
  const several = sources.length > 1;
  const title = sources.map((s) => s.label).join(' vs ');
  return choose(probeGroups(probes), wanted).map((group) => {
    const file = diagnosticFile(group.name);
    if (group.probes.length > 1) {
      const qs = group.probes.map((p) => p.q);
      const middle = middleOf(group).q;
      const stem = group.name.replace(/_percentiles$/, '');
      const band = `${fmtQ(qs[0]!)}–${fmtQ(qs[qs.length - 1]!)}`;
      return {
        file,
        title: `${stem}: percentiles ${qs.map(fmtQ).join(', ')} per layer vs step`,
        subtitle: `${title} · line: ${fmtQ(middle)} · band: ${band} · each the mean over seeds`,
        x: {title: 'training step (optimizer updates)'},
        y: {title: `${stem} (${band}, ${fmtQ(middle)})`},
        points: percentileSeries(rows, group, runs),
        edges: true,
        caption: `Distribution of \`${stem}\` per layer over training (after Ioffe & Szegedy 2015, Fig. 1): line = ${fmtQ(middle)}, band = ${band}, each the mean over the seeds that finished ok; ${encodingNote(several)}, rows = layer.`,
      };
    }
    const probe = group.name;
    return {
      file,
      title: `${probe} per layer vs step`,
      subtitle: `${title} · ${MEAN_BAND}`,
      x: {title: 'training step (optimizer updates)'},
      y: {title: probe},
      points: aggregate(probeValues(rows, probe), runs),
      caption: `Diagnostic \`${probe}\` per layer vs step; ${CAPTION_BAND}; ${encodingNote(several)}, rows = layer.`,
    };
  });
}

// ── Gradient flow ──────────────────────────────────────────────────────────────────────────

/** ‖∂L/∂h_t‖ of every run against t at the first and the last evaluated step (rows named by their steps when every source has the same). */
export function gradientFlowValues(sources: Source[]): {values: RunValue[]; steps?: [number, number]} {
  const values: RunValue[] = [];
  const firstLast: Array<[number, number]> = [];
  for (const s of sources) {
    const rows = readOptional(s.results, 'gradient_flow');
    if (!rows || rows.length === 0) continue;
    const steps = rows.map((r) => Number(r.step));
    const first = Math.min(...steps);
    const last = Math.max(...steps);
    firstLast.push([first, last]);
    for (const r of rows) {
      const step = Number(r.step);
      if (step !== first && step !== last) continue;
      const value = parseNumber(r.grad_norm);
      if (value === undefined) continue;
      values.push({source: s.label, run_id: r.run_id!, row: step === first ? 'first' : 'last', x: Number(r.t), value});
    }
  }
  if (values.length === 0) return {values};
  // Name the rows by their steps when every source evaluated at the same ones.
  const same = firstLast.every(([f, l]) => f === firstLast[0]![0] && l === firstLast[0]![1]);
  const [f, l] = firstLast[0]!;
  const rowName = (row: string) => (row === 'first' ? (same ? `step ${f} (first)` : 'first evaluated step') : same ? `step ${l} (last)` : 'last evaluated step');
  return {values: values.map((v) => ({...v, row: rowName(v.row)})), ...(same ? {steps: [f, l] as [number, number]} : {})};
}

export function gradientFlowPlots(sources: Source[], runs: RunIndex): LinePlot[] {
  const {values, steps} = gradientFlowValues(sources);
  if (values.length === 0) return [];
  const points = aggregate(values, runs);
  const several = sources.length > 1;
  return [{
    file: GRADIENT_FLOW_FILE,
    title: 'Gradient flow through time: ‖∂L/∂h_t‖ vs t',
    subtitle: `${sources.map((s) => s.label).join(' vs ')} · ${MEAN_BAND}`,
    x: {title: 'time step t'},
    y: {title: '‖∂L/∂h_t‖', log: true},
    points,
    caption: `Norm of the loss gradient with respect to the hidden state at each time step t, at the first and the last evaluated step (rows)${steps ? ` (steps ${steps[0]} and ${steps[1]})` : ''}; ${CAPTION_BAND}; ${encodingNote(several)}.`,
  }];
}

export const GRADIENT_FLOW_FILE = 'gradient_flow.svg';
