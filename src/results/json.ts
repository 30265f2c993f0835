// The run summary as JSON (for --json): the same fields as summary.csv, with numbers as numbers
// and grid factors with their YAML types (train.lr 0.5 stays a number, as in the manifest).

import {parseNumber} from './format.js';
import {rowObjects, type Results} from './read.js';

export interface SummaryJson {
  experiment: string;
  backend: string;
  out: string;
  state: string;
  runs: Array<Record<string, unknown>>;
}

const TEXT_COLUMNS = new Set(['run_id', 'norm', 'activation', 'status', 'message']);

/** A cell as JSON: text columns as text (empty → null), numbers as numbers; nan → null; ±inf as text (JSON has no infinity). */
function cellJson(column: string, text: string): unknown {
  if (TEXT_COLUMNS.has(column)) return text === '' ? null : text;
  const x = parseNumber(text);
  if (x === undefined) return text === '' ? null : text;
  if (Number.isNaN(x)) return null;
  return Number.isFinite(x) ? x : text;
}

export function summaryJson(results: Results): SummaryJson {
  const {manifest} = results;
  const factors = new Map(manifest.runs.map((r) => [r.run_id, r.factors]));
  const runs = rowObjects(results.summary).map((row) => {
    const typed = factors.get(row.run_id!) ?? {};
    return Object.fromEntries(Object.entries(row).map(([c, v]) => [c, c in typed ? typed[c] : cellJson(c, v)]));
  });
  return {experiment: manifest.experiment, backend: manifest.backend, out: results.dir, state: manifest.state, runs};
}
