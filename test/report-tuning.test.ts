// report on a tuned results directory: the range of good values by hand (the tolerance rule,
// ties, diverged values, gaps), then `report` on a small tuned run — the Tuning section, the
// good ranges as JSON numbers checked against tuning.csv worked out again here, the sensitivity
// plot (the chosen values marked, earlier rungs apart, diverged runs marked), the same bytes twice,
// and no Tuning section for results that were not tuned.
//
// backend-independent: its CLI runs name their backend (cpu); report reads results files.

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import type {ExecutionContext} from 'ava';
import test from './ava.js';
import {cli, cliInProcess as nb, readCsv, tempDir} from './helpers.js';
import {GOOD_TOLERANCE, goodLimit, goodRange, isGood, SENSITIVITY_FILE} from '../src/results/report-tuning.js';

const close = (t: ExecutionContext, actual: number, expected: number, what: string, tol = 1e-9) =>
  t.true(Math.abs(actual - expected) <= tol, `${what}: ${actual} ≠ ${expected}`);

test('good values by hand: within 5 % of the best loss, within 1 point of the best accuracy, width in decades', (t) => {
  t.deepEqual(GOOD_TOLERANCE, {relative: 0.05, points: 0.01});
  close(t, goodLimit(2, true), 2.1, 'loss limit: 2 × 1.05');
  close(t, goodLimit(0.9, false), 0.89, 'accuracy limit: 0.9 − 0.01');
  // Losses 1.00, 1.04, 1.06, 2 at 0.03, 0.1, 0.3, 1: the limit is 1.05, so 0.03 and 0.1 are good,
  // and the width is log10(0.1/0.03) = 0.5228787 decades.
  const loss = goodRange([{value: 0.03, score: 1.0}, {value: 0.1, score: 1.04}, {value: 0.3, score: 1.06}, {value: 1, score: 2}], true)!;
  t.like(loss, {best: 1, bestValue: 0.03, good: [0.03, 0.1], lo: 0.03, hi: 0.1, judged: [0.03, 0.1, 0.3, 1], gaps: []});
  close(t, loss.decades!, 0.5228787, 'width', 1e-7);
  // Given in any order; the limit itself is good (1.05 read back from a file), just above it is not.
  t.deepEqual(goodRange([{value: 1, score: 1.0501}, {value: 0.1, score: 1}, {value: 0.01, score: 1.05}], true)!.good, [0.01, 0.1]);
  // Accuracies 0.90, 0.895, 0.889, 0.91 at 0.01 … 10: best 0.91 at 10, limit 0.90 → 0.01 and 10 are
  // good, 0.1 and 1 inside the range are not: a range of 3 decades with two gaps.
  const acc = goodRange([{value: 0.01, score: 0.9}, {value: 0.1, score: 0.895}, {value: 1, score: 0.889}, {value: 10, score: 0.91}], false)!;
  t.like(acc, {best: 0.91, bestValue: 10, good: [0.01, 10], gaps: [0.1, 1]});
  close(t, acc.decades!, 3, 'width');
  // One point exactly (0.85 − 0.01 is 0.8400000000000001 in floating point): good.
  t.true(isGood(0.84, 0.85, false));
  t.false(isGood(0.8399, 0.85, false));
  // A diverged value scores worst (±inf, or nan) and is never good; ties go to the smaller value.
  const diverged = goodRange([{value: 0.1, score: 0.5}, {value: 1, score: Infinity}, {value: 10, score: NaN}, {value: 0.01, score: 0.5}], true)!;
  t.like(diverged, {best: 0.5, bestValue: 0.01, good: [0.01, 0.1], judged: [0.01, 0.1, 1, 10]});
  t.false(isGood(-Infinity, 0.9, false));
  t.is(goodRange([{value: 1, score: Infinity}], true), undefined, 'no finite score: no range');
  t.is(goodRange([{value: 0, score: 0.5}, {value: 0.9, score: 0.5}], true)!.decades, undefined, 'a range from 0 has no width in decades');
  t.is(goodRange([{value: 0.3, score: 0.5}], true)!.decades, 0, 'one good value: width 0');
});

// Two conditions, six values (the last diverges), two tuning seeds, successive halving: rung 1
// trains all six for 30 steps, rung 2 the best two of each condition for 90.
const TUNED = `name: tuned-report
question: How sensitive is each norm to its learning rate?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 600, test_size: 200, separation: 3, seed: 5, validation: 0.2}
model: {kind: mlp, hidden: [16]}
train: {lr: 0.1, batch_size: 32, steps: 90, eval_every: 30}
grid:
  norm: [none, batch]
  seed: [1, 2]
tune:
  train.lr: {values: [0.01, 0.0316, 0.1, 0.316, 1, 1e12]}
  metric: val_loss_auc
  seeds: [101, 102]
  schedule: halving
`;

let dir: string;

test.before(() => {
  dir = tempDir('normbench-report-tuning-');
  writeFileSync(join(dir, 'tuned.yaml'), TUNED);
  const r = cli(['run', 'tuned.yaml', '--out', 'tuned', '--quiet', '--backend', 'cpu', '--workers', '1'], dir);
  if (r.code !== 0) throw new Error(`the tuned run failed (exit ${r.code}):\n${r.stderr}`);
});

interface Expected {
  condition: string;
  chosen: number;
  best: number;
  bestValue: number;
  good: number[];
  judged: number[];
}

/** The good ranges worked out again from tuning.csv: per condition, the last rung's mean per value, a diverged run scoring worst. */
function expectedRanges(): Expected[] {
  const rows = readCsv(join(dir, 'tuned', 'tuning.csv'));
  const last = Math.max(...rows.map((r) => Number(r.rung)));
  const conditions = [...new Set(rows.map((r) => r.condition!))];
  return conditions.map((condition) => {
    const mine = rows.filter((r) => r.condition === condition && Number(r.rung) === last);
    const values = [...new Set(mine.map((r) => Number(r['train.lr'])))].sort((a, b) => a - b);
    const score = (v: number) => {
      const runs = mine.filter((r) => Number(r['train.lr']) === v);
      return runs.some((r) => r.status !== 'ok') ? Infinity : runs.reduce((s, r) => s + Number(r.val_loss_auc), 0) / runs.length;
    };
    const best = Math.min(...values.map(score));
    return {
      condition,
      chosen: Number(rows.find((r) => r.condition === condition && r.chosen === 'yes')!['train.lr']),
      best, bestValue: values.find((v) => score(v) === best)!,
      good: values.filter((v) => score(v) <= best * 1.05),
      judged: values,
    };
  });
}

test('report on a tuned results directory: the Tuning section, the good ranges, the sensitivity plot', async (t) => {
  const r = await nb(['report', 'tuned', '--out', 'rep'], dir);
  t.is(r.code, 0, r.stderr);
  const expected = expectedRanges();
  t.is(expected.length, 2);
  t.true(expected.every((e) => e.judged.length === 2), 'halving: two values of each condition reach the full budget');
  // The terminal: the tuning table (its title, the chosen value starred) and the range table.
  t.regex(r.stdout, /^tuned train\.lr by val_loss_auc on 2 tuning seeds \(successive halving, η=3; \(x\): stopped at an earlier rung\):$/m);
  t.regex(r.stdout, /^good train\.lr: mean val_loss_auc at the full budget within 5 % of the condition's best/m);
  t.regex(r.stdout, /report: .*rep\/report\.md · 3 plots in /);

  const md = readFileSync(join(dir, 'rep', 'report.md'), 'utf8');
  t.regex(md, /^## Tuning$/m);
  t.true(md.indexOf('## Tuning') < md.indexOf('## Plots'), 'the Tuning section comes before the curves');
  t.regex(md, /^- \*\*tuned\*\*: `train\.lr`, 6 values: 0\.01, 0\.0316, 0\.1, 0\.316, 1, 1000000000000$/m);
  t.regex(md, /^- \*\*schedule\*\*: successive halving, η = 3: rung 1 trains all 6 for 30 steps, rung 2 trains the best 2 for 90 steps \(the full budget\)$/m);
  t.regex(md, /^- \*\*tuning seeds\*\*: 101, 102 \(the grid's seeds, 1, 2, train at the chosen value; summary\.csv's `tuned_lr`\)$/m);
  t.regex(md, /Only the values that reached the last rung \(rung 2, 90 steps\) are judged/);
  t.regex(md, /within 5 % of the condition's best/);
  t.regex(md, /^!\[Sensitivity to train\.lr\]\(plots\/tuning-sensitivity\.svg\)\n\n\*Figure 1\.\* /m);
  t.regex(md, /^\*Figure 2\.\* Test accuracy/m, 'the curves are numbered after the sensitivity plot');
  for (const e of expected) {
    const span = e.good.length === 1 ? String(e.good[0]) : `${e.good[0]} … ${e.good[e.good.length - 1]}`;
    const width = Math.log10(e.good[e.good.length - 1]! / e.good[0]!).toFixed(2);
    const row = `| ${e.condition} | ${e.chosen} | ${e.best.toPrecision(4)} (${e.bestValue}) | ${span} (${e.good.length} of 2 at the full budget; 6 tried) | ${width} |`;
    t.true(md.includes(row), `range row ${row}`);
    // The tuning table: the chosen value in bold, at its full-budget mean.
    t.regex(md, new RegExp(`^\\| ${e.condition} \\|.*\\| \\*\\*${e.best.toPrecision(4).replace('.', '\\.')}\\*\\* \\|`, 'm'));
  }
  // The chosen values are what the final runs trained at.
  const summary = readCsv(join(dir, 'tuned', 'summary.csv'));
  for (const e of expected) t.true(summary.filter((s) => `${s.norm} · ${s.activation}` === e.condition).every((s) => Number(s.tuned_lr) === e.chosen));

  const json = JSON.parse((await nb(['report', 'tuned', '--out', 'rep', '--json'], dir)).stdout);
  t.like(json.tuning, {key: 'train.lr', metric: 'val_loss_auc', lower_is_better: true, schedule: 'halving', eta: 3, seeds: [101, 102], tolerance: {relative: 0.05}});
  t.deepEqual(json.tuning.rungs, [{rung: 1, values: 6, steps: [30]}, {rung: 2, values: 2, steps: [90]}]);
  t.deepEqual(json.tuning.choices.map((c: {value: number}) => c.value), expected.map((e) => e.chosen));
  t.is(json.tuning.plot.file, `plots/${SENSITIVITY_FILE}`);
  for (const e of expected) {
    const range = json.tuning.ranges.find((x: {condition: string}) => x.condition === e.condition);
    t.like(range, {chosen: e.chosen, good: e.good, judged: e.judged, lo: e.good[0], hi: e.good[e.good.length - 1]});
    close(t, range.best.metric, e.best, `${e.condition} best`);
    t.is(range.best.value, e.bestValue);
    close(t, range.decades, Math.log10(e.good[e.good.length - 1]! / e.good[0]!), `${e.condition} width`);
  }
  // lr 1e12 diverges in rung 1: a × on the plot, no point.
  const diverged = readCsv(join(dir, 'tuned', 'tuning.csv')).filter((row) => row.status === 'diverged');
  t.true(diverged.length > 0, 'lr 1e12 diverges');

  const svg = readFileSync(join(dir, 'rep', 'plots', SENSITIVITY_FILE), 'utf8');
  t.true(svg.startsWith('<svg'));
  const texts = [...svg.matchAll(/<(?:text|tspan)[^>]*>([^<]+)<\/(?:text|tspan)>/g)].map((m) => m[1]!);
  for (const text of ['full budget · rung 2 · 90 steps', 'rung 1 · 30 steps', 'chosen value', 'went on to the next rung', 'stopped at this rung', 'diverged or failed run', 'none', 'batch']) {
    t.true(texts.includes(text), `the plot says "${text}"`);
  }
  // One chosen marker per condition (outlined dark), a band over the two tuning seeds.
  t.is((svg.match(/stroke="#222"/g) ?? []).length, expected.length, 'one chosen marker per condition');
  t.regex(svg, /<g class="mark-area role-mark /);
});

test('the same tuned results give the same report bytes', async (t) => {
  const read = () => ({md: readFileSync(join(dir, 'again', 'report.md'), 'utf8'), svg: readFileSync(join(dir, 'again', 'plots', SENSITIVITY_FILE), 'utf8')});
  t.is((await nb(['report', 'tuned', '--out', 'again'], dir)).code, 0);
  const first = read();
  t.is((await nb(['report', 'tuned', '--out', 'again'], dir)).code, 0);
  t.deepEqual(read(), first);
});

test('results that were not tuned (the tuning runs themselves) have no Tuning section', async (t) => {
  const r = await nb(['report', join('tuned', 'tuning'), '--out', 'plain', '--json'], dir);
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  t.is(json.tuning, null);
  // The tuning runs' conditions are told apart by the tuned value and the rung, not pooled over them.
  t.deepEqual(json.factors, ['train.lr', 'rung']);
  t.true(json.conditions.every((c: {factors: Record<string, unknown>}) => typeof c.factors['train.lr'] === 'number' && typeof c.factors.rung === 'number'));
  const md = readFileSync(join(dir, 'plain', 'report.md'), 'utf8');
  t.false(md.includes('## Tuning'));
  t.regex(md, /^\*Figure 1\.\* Test accuracy/m);
});
