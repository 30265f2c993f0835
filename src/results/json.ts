// The run summary as JSON (for --json): the same fields as summary.csv, as numbers.

import {summaryColumns, summaryRow} from './columns.js';
import {targetList} from '../train/metrics.js';
import type {ExpandedExperiment} from '../config/expand.js';
import type {RunRecord} from './columns.js';

export interface SummaryJson {
  experiment: string;
  backend: string;
  out: string;
  runs: Array<Record<string, string | number | null>>;
}

/** Numbers as numbers; an empty cell or NaN as null; `inf` stays text (JSON has no infinity). */
function parseCell(text: string): string | number | null {
  if (text === '' || text === 'nan') return null;
  const n = Number(text);
  return Number.isNaN(n) ? text : n;
}

const TEXT_COLUMNS = new Set(['run_id', 'norm', 'activation', 'status', 'message']);

export function summaryJson(result: {expanded: ExpandedExperiment; records: RunRecord[]; backend: string; outDir: string}): SummaryJson {
  const {factorKeys, config} = result.expanded;
  const targetKeys = targetList(config.targets).map((t) => t.key);
  const columns = summaryColumns(factorKeys, targetKeys);
  const isText = (c: string) => TEXT_COLUMNS.has(c) || factorKeys.includes(c);
  const runs = result.records.map((r) => {
    const row = summaryRow(r, factorKeys, targetKeys);
    return Object.fromEntries(columns.map((c, i) => [c, isText(c) ? row[i] || null : parseCell(row[i]!)]));
  });
  return {experiment: config.name, backend: result.backend, out: result.outDir, runs};
}
