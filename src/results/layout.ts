// The layout of a results directory's tables: which CSVs an experiment writes and their columns
// (from columns.ts), and how rows written for another version of the experiment are laid out
// anew — a grid that changed in place (store.ts) or directories joined by merge.

import type {ExpandedExperiment, RunSpec} from '../spec/experiment.js';
import type {RunRecord} from '../spec/records.js';
import {EVAL_MODES} from '../spec/names.js';
import {HIGHER_IS_BETTER, targetList} from '../spec/targets.js';
import {curveRows, curveTable, diagnosticsRows, diagnosticsTable, gradientFlowRows, gradientFlowTable, namesOf, rowsOf, summaryTable} from './columns.js';
import {fmtFixed} from './format.js';
import {rowObjects, type CsvName, type CsvTable, type Results} from './read.js';

/** One CSV of a results directory: its columns, and the rows a finished run adds to it. */
export interface Table {
  name: CsvName;
  columns: string[];
  rows(record: RunRecord): string[][];
}

/** The tables this experiment writes: curves and summary, and one per probe file asked for. */
export function tablesOf(expanded: ExpandedExperiment): Table[] {
  const {factorKeys} = expanded;
  const targetKeys = targetList(expanded.config.targets).map((t) => t.key);
  const evalModes = EVAL_MODES.filter((mode) => expanded.runs.some((r) => r.eval_modes.includes(mode)));
  // A tune shard with no condition of its own has no runs: its columns still follow the experiment's data.
  const validation = expanded.runs.length ? expanded.runs.some((r) => r.dataset.validation !== undefined) : expanded.config.dataset.validation !== undefined;
  const summary = summaryTable(factorKeys, targetKeys, evalModes, validation, expanded.tuned, expanded.runs.some((r) => r.eval_train));
  const tables: Table[] = [
    {name: 'curves', columns: namesOf(curveTable(factorKeys, validation)), rows: (r) => curveRows(r, factorKeys, validation)},
    {name: 'summary', columns: namesOf(summary), rows: (r) => rowsOf(summary, [r])},
  ];
  if (expanded.runs.some((r) => r.probes.includes('gradient_flow'))) {
    tables.push({name: 'gradient_flow', columns: namesOf(gradientFlowTable(factorKeys)), rows: (r) => gradientFlowRows(r, factorKeys)});
  }
  if (expanded.runs.some((r) => r.probes.some((p) => p !== 'gradient_flow'))) {
    tables.push({name: 'diagnostics', columns: namesOf(diagnosticsTable(factorKeys)), rows: (r) => diagnosticsRows(r, factorKeys)});
  }
  return tables;
}

/** Each run's curve rows by run_id, as objects keyed by column. */
export function runCurves(results: Results): Map<string, Array<Record<string, string>>> {
  const out = new Map<string, Array<Record<string, string>>>();
  for (const row of rowObjects(results.curves)) {
    const list = out.get(row.run_id!) ?? [];
    list.push(row);
    out.set(row.run_id!, list);
  }
  return out;
}

/**
 * Rows of a table written for another version of the experiment, laid out in `columns`: factor
 * columns from the run's cell in the new grid, the steps to a new target (and the time) found in
 * the run's curves, everything else as it was written.
 */
export function relaid(
  before: CsvTable,
  rows: string[][],
  columns: string[],
  expanded: ExpandedExperiment,
  specs: Map<string, RunSpec>,
  curves: Map<string, Array<Record<string, string>>>,
): string[][] {
  const at = new Map(before.columns.map((c, i) => [c, i]));
  const factors = new Set(expanded.factorKeys);
  const targets = new Map(targetList(expanded.config.targets).map((t) => [t.key, t]));
  const hit = (id: string, key: string) => {
    const target = targets.get(key)!;
    return (curves.get(id) ?? []).find((p) => {
      const text = p[target.metric];
      if (text === undefined || text === '') return false;
      return HIGHER_IS_BETTER[target.metric] ? Number(text) >= target.value : Number(text) <= target.value;
    });
  };
  return rows.map((row) => {
    const id = row[0]!;
    const spec = specs.get(id);
    return columns.map((column) => {
      if (factors.has(column) && spec) return spec.factors[column] ?? '';
      const i = at.get(column);
      if (i !== undefined) return row[i]!;
      const steps = /^steps_to_(.+)$/.exec(column)?.[1];
      if (steps !== undefined && targets.has(steps)) return hit(id, steps)?.step ?? '';
      const time = /^time_to_(.+)_s$/.exec(column)?.[1];
      if (time !== undefined && targets.has(time)) {
        const point = hit(id, time);
        return point ? fmtFixed(Number(point.wall_ms) / 1000, 3) : '';
      }
      throw new Error(`column ${column} of the changed experiment cannot be filled from the results written before`);
    });
  });
}

