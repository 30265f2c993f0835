// The table printed after a run, read from summary.csv: one line per run, then — when the grid
// crosses norms with activations — a matrix of final test accuracy (mean over seeds). Numbers
// follow the files' formats (src/results/format.ts) at the precision a table needs.

import {type Results, rowObjects} from './read.js';
import {fmtFixed, fmtValue, parseNumber} from './format.js';
import {targetList} from '../spec/targets.js';
import {factorKeysOf, tunedColumn} from './columns.js';
import type {TuneSpec} from '../spec/experiment.js';
import type {TuningOutcome} from './tuning.js';

type Row = Record<string, string>;

function renderTable(header: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A fraction as a percentage with one decimal; '—' where there is none. */
function pct(text: string | undefined): string {
  const x = parseNumber(text);
  return x === undefined ? '—' : Number.isFinite(x) ? (100 * x).toFixed(1) : fmtValue(x);
}

const orDash = (text: string) => (text === '' ? '—' : text);

export function summaryTable(results: Results): string {
  const {config} = results.manifest;
  const factorKeys = factorKeysOf(config);
  const rows = rowObjects(results.summary);
  const tlist = targetList(config.targets);
  const seeds = new Set(rows.map((r) => r.seed));
  // A regression task has no accuracy: its table shows the test loss instead.
  const regression = rows.length > 0 && rows.every((r) => r.final_test_accuracy === '');
  // A tuned experiment's runs say their condition's chosen value (tuned_lr, …).
  const tuned = results.manifest.tuning ? tunedColumn(results.manifest.tuning.key) : undefined;
  const shownFactors = tuned ? [...factorKeys, tuned] : factorKeys;
  const header = [
    'norm', 'activation', ...(seeds.size > 1 ? ['seed'] : []), ...shownFactors, 'status',
    ...(regression ? ['final test loss', 'best step'] : ['final acc %', 'best acc %']), ...tlist.map((t) => `steps→${t.metric.replace('_accuracy', ' acc').replace('_loss', ' loss')} ${t.value}`),
    'loss AUC', 'steps/s',
  ];
  const body = rows.map((r) => [
    r.norm!, r.activation!, ...(seeds.size > 1 ? [r.seed!] : []), ...shownFactors.map((k) => r[k] ?? ''), r.status!,
    ...(regression ? [orDash(fmtValue(parseNumber(r.final_test_loss), 4)), orDash(r.best_step ?? '')] : [pct(r.final_test_accuracy), pct(r.best_test_accuracy)]),
    ...tlist.map((t) => orDash(r[`steps_to_${t.key}`] ?? '')),
    orDash(fmtValue(parseNumber(r.train_loss_auc), 4)), orDash(fmtFixed(parseNumber(r.steps_per_s), 0)),
  ]);
  const right = header.map((_, i) => i >= 2 + (seeds.size > 1 ? 1 : 0) + shownFactors.length + 1);
  let out = renderTable(header, body, right);
  const matrix = accuracyMatrix(rows, factorKeys);
  if (matrix) out += `\n\n${matrix}`;
  return out;
}

/** Final test accuracy (%), norm × activation, mean over seeds; only when nothing else varies. */
function accuracyMatrix(rows: Row[], factorKeys: string[]): string | undefined {
  const norms = [...new Set(rows.map((r) => r.norm!))];
  const acts = [...new Set(rows.map((r) => r.activation!))];
  if (norms.length < 2 || acts.length < 2 || factorKeys.length > 0) return undefined;
  const seeds = new Set(rows.map((r) => r.seed));
  const cell = (norm: string, act: string): string => {
    const mine = rows.filter((r) => r.norm === norm && r.activation === act);
    const accs = mine.map((r) => parseNumber(r.final_test_accuracy)).filter((x): x is number => x !== undefined);
    if (accs.length === 0) return '—';
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    return `${pct(String(mean))}${mine.some((r) => r.status !== 'ok') ? '*' : ''}`;
  };
  const title = `final test accuracy %${seeds.size > 1 ? ` (mean of ${seeds.size} seeds)` : ''}`;
  const table = renderTable(['norm \\ activation', ...acts], norms.map((n) => [n, ...acts.map((a) => cell(n, a))]), [false, ...acts.map(() => true)]);
  const note = rows.some((r) => r.status !== 'ok') ? '\n* includes a diverged or failed run' : '';
  return `${title}\n${table}${note}`;
}

/**
 * What tuning chose: per group (a condition, or all of them when shared), the metric's mean at each
 * value — at the last rung the value reached, so a value that stopped early shows its early score
 * in parentheses — and the chosen value, marked *.
 */
export function tuningTable(outcome: TuningOutcome, tune: TuneSpec): string {
  const {title, header, rows} = tuningGrid(outcome, tune);
  return `${title}\n${renderTable(header, rows, header.map((_, i) => i > 0))}`;
}

/** tuningTable's title, header and rows; `mark` writes the chosen value's cell (`0.1234*` by default; report.md makes it bold). */
export function tuningGrid(outcome: TuningOutcome, tune: TuneSpec, mark = (text: string) => `${text}*`): {title: string; header: string[]; rows: string[][]} {
  const rungs = Math.max(1, ...outcome.rows.map((r) => r.rung));
  const header = ['condition', ...tune.values.map(String), 'chosen'];
  const rows = outcome.groups.map(({group, conditions}) => {
    const mine = outcome.rows.filter((r) => (tune.shared ? conditions.includes(r.condition) : r.condition === group));
    const choice = outcome.choices.find((c) => c.group === group);
    const cells = tune.values.map((v) => {
      const at = mine.filter((r) => r.value === v);
      const last = Math.max(0, ...at.map((r) => r.rung));
      const row = at.find((r) => r.rung === last);
      if (!row || Number.isNaN(row.mean)) return '—';
      const text = Number.isFinite(row.mean) ? fmtValue(row.mean, 4) : 'diverged';
      const shown = last < rungs ? `(${text})` : text;
      return choice?.value === v ? mark(shown) : shown;
    });
    return [group, ...cells, choice ? `${choice.value}${choice.edge ? ' (edge)' : ''}` : '—'];
  });
  const how = tune.schedule === 'halving' ? `successive halving, η=${tune.eta}; (x): stopped at an earlier rung` : 'every value at the full budget';
  const title = `tuned ${tune.key} by ${tune.metric} on ${tune.seeds.length} tuning seed${tune.seeds.length === 1 ? '' : 's'} (${how}):`;
  return {title, header, rows};
}
