// The table printed after a run: one line per run, then — when the grid crosses norms with
// activations — a matrix of final test accuracy (mean over seeds) to read at a glance.

import type {Targets} from '../config/schema.js';
import {targetList} from '../train/metrics.js';
import type {RunRecord} from './columns.js';

function renderTable(header: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : (100 * x).toFixed(1));

export function summaryTable(records: RunRecord[], factorKeys: string[], targets: Targets): string {
  const tlist = targetList(targets);
  const seeds = new Set(records.map((r) => r.spec.seed));
  const header = [
    'norm', 'activation', ...(seeds.size > 1 ? ['seed'] : []), ...factorKeys, 'status',
    'final acc %', 'best acc %', ...tlist.map((t) => `steps→${t.metric.replace('_accuracy', ' acc').replace('_loss', ' loss')} ${t.value}`),
    'loss AUC', 'steps/s',
  ];
  const rows = records.map((r) => {
    const m = r.metrics;
    return [
      r.spec.norm_label, r.spec.activation, ...(seeds.size > 1 ? [String(r.spec.seed)] : []),
      ...factorKeys.map((k) => r.spec.factors[k] ?? ''), r.status,
      pct(m?.final_test_accuracy), pct(m?.best_test_accuracy),
      ...tlist.map((t) => {
        const hit = m?.targets.find((h) => h.key === t.key);
        return hit?.step === undefined ? '—' : String(hit.step);
      }),
      m ? m.train_loss_auc.toFixed(3) : '—', m ? m.steps_per_s.toFixed(0) : '—',
    ];
  });
  const right = header.map((_, i) => i >= 2 + (seeds.size > 1 ? 1 : 0) + factorKeys.length + 1);
  let out = renderTable(header, rows, right);
  const matrix = accuracyMatrix(records, factorKeys);
  if (matrix) out += `\n\n${matrix}`;
  return out;
}

/** Final test accuracy (%), norm × activation, mean over seeds; only when nothing else varies. */
function accuracyMatrix(records: RunRecord[], factorKeys: string[]): string | undefined {
  const norms = [...new Set(records.map((r) => r.spec.norm_label))];
  const acts = [...new Set(records.map((r) => r.spec.activation))];
  if (norms.length < 2 || acts.length < 2 || factorKeys.length > 0) return undefined;
  const seeds = new Set(records.map((r) => r.spec.seed));
  const cell = (norm: string, act: string): string => {
    const accs = records
      .filter((r) => r.spec.norm_label === norm && r.spec.activation === act && r.metrics)
      .map((r) => r.metrics!.final_test_accuracy);
    const failed = records.some((r) => r.spec.norm_label === norm && r.spec.activation === act && r.status !== 'ok');
    if (accs.length === 0) return '—';
    return `${pct(accs.reduce((a, b) => a + b, 0) / accs.length)}${failed ? '*' : ''}`;
  };
  const title = `final test accuracy %${seeds.size > 1 ? ` (mean of ${seeds.size} seeds)` : ''}`;
  const table = renderTable(
    ['norm \\ activation', ...acts],
    norms.map((n) => [n, ...acts.map((a) => cell(n, a))]),
    [false, ...acts.map(() => true)],
  );
  const note = records.some((r) => r.status !== 'ok') ? '\n* includes a diverged or failed run' : '';
  return `${title}\n${table}${note}`;
}
