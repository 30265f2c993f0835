// Claims `over:` a numeric grid factor (issue 18's bn-learning-rate): each seed's sweep reduced to
// one number — how many values are good, the width of their range in decades, the decade of the
// best value — then paired by seed like any claim. Worked by hand on rows, then the located errors.
// backend-independent: plain statistics and config checks.

import test from './ava.js';
import {sweepRows} from '../src/results/check.js';
import {pairedDifferences, type Row} from '../src/results/paired.js';
import {goodRange} from '../src/results/good-range.js';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {loadExperiment} from '../src/config/load.js';
import {gridClaimProblems} from '../src/results/check.js';
import {UserError, UserErrors} from '../src/errors.js';
import {tempDir} from './helpers.js';

const KEYS = ['norm', 'activation', 'seed', 'train.lr'];
const LRS = ['0.01', '0.1', '1', '10'];

/** One condition's sweep for one seed: a val_loss_auc and a best_val_accuracy per rate ('' = diverged). */
function sweep(norm: string, seed: number, auc: string[], acc: string[]): Row[] {
  return LRS.map((lr, i) => ({
    run_id: `${norm}${seed}-${lr}`, norm, activation: 'relu', seed: String(seed), 'train.lr': lr,
    status: auc[i] === '' ? 'diverged' : 'ok', val_loss_auc: auc[i] === '' ? 'nan' : auc[i]!, best_val_accuracy: acc[i]!,
  }));
}

const ROWS: Row[] = [
  // none: best AUC 0.50 at 0.1; within 5 % (≤ 0.525): 0.1 only; 1 and 10 diverge. Accuracy ≥ 0.8 at 0.1.
  ...sweep('none', 1, ['0.90', '0.50', '', ''], ['0.70', '0.82', '', '']),
  ...sweep('none', 2, ['0.92', '0.52', '0.60', ''], ['0.69', '0.81', '0.79', '']),
  // batch: best 0.40 at 1 (seed 1) and 0.1 (seed 2); ≤ 0.42 at 0.1 and 1; ≥ 0.8 from 0.01 to 10 (seed 1).
  ...sweep('batch', 1, ['0.60', '0.41', '0.40', '0.70'], ['0.80', '0.84', '0.85', '0.81']),
  ...sweep('batch', 2, ['0.61', '0.40', '0.42', '0.90'], ['0.79', '0.85', '0.84', '0.70']),
];

const statistic = (rows: Row[], claim: Parameters<typeof sweepRows>[2]) =>
  Object.fromEntries(sweepRows(rows, KEYS, claim).map((r) => [`${r.norm}${r.seed}`, r.statistic]));

test('a sweep reduced per seed: good values within 5 % of the best (or past a threshold), their count, their range in decades, the best value', (t) => {
  const auc = {metric: 'val_loss_auc', over: 'train.lr'} as const;
  t.deepEqual(statistic(ROWS, {...auc, statistic: 'good_count'}), {none1: '1', none2: '1', batch1: '2', batch2: '2'});
  t.deepEqual(statistic(ROWS, {...auc, statistic: 'good_range_decades'}), {none1: '0', none2: '0', batch1: '1', batch2: '1'});
  t.deepEqual(statistic(ROWS, {...auc, statistic: 'log10_best_value'}), {none1: '-1', none2: '-1', batch1: '0', batch2: '-1'});
  // An accuracy is higher-is-better by its name; a threshold replaces "within 1 point of the best".
  const acc = {metric: 'best_val_accuracy', over: 'train.lr', threshold: 0.8} as const;
  t.deepEqual(statistic(ROWS, {...acc, statistic: 'good_count'}), {none1: '1', none2: '1', batch1: '4', batch2: '2'});
  t.deepEqual(statistic(ROWS, {...acc, statistic: 'good_range_decades'}), {none1: '0', none2: '0', batch1: '3', batch2: '1'});
  t.deepEqual(statistic(ROWS, {...acc, statistic: 'log10_largest_good'}), {none1: '-1', none2: '-1', batch1: '1', batch2: '0'});
  // A gap is lower-is-better although its name says accuracy.
  const gaps: Row[] = ROWS.map((r) => ({...r, gap_accuracy: r.best_val_accuracy!}));
  t.deepEqual(statistic(gaps, {metric: 'gap_accuracy', over: 'train.lr', statistic: 'log10_best_value'}).none2, '-2');
  // `better` overrides the name: as a loss, the lowest accuracy (0.69 at 0.01) is the best.
  t.deepEqual(statistic(ROWS, {metric: 'best_val_accuracy', over: 'train.lr', statistic: 'log10_best_value', better: 'lower'}).none2, '-2');
  // Within 5 % of the best (goodRange's rule, shared with the tuning report): diverged values are never good.
  t.deepEqual(goodRange([{value: 0.1, score: 0.5}, {value: 1, score: Infinity}], true)!.good, [0.1]);
});

test('a sweep claim pairs seeds like any other: batch − none of the good count, 4 − 1 and 2 − 1 → mean 2', (t) => {
  const claim = {metric: 'best_val_accuracy', over: 'train.lr', statistic: 'good_count', threshold: 0.8} as const;
  const rows = sweepRows(ROWS, KEYS, claim);
  const s = pairedDifferences(rows, {keys: ['norm', 'activation', 'seed']}, 'statistic', {norm: 'none'}, {norm: 'batch'});
  t.deepEqual(s.pairs.map((p) => p.difference), [3, 1]);
  t.is(s.mean, 2);
  t.is(s.agree, 2);
  // A seed with no good value has no range: it pairs with nothing, and says why.
  const none = sweep('none', 3, ['', '', '', ''], ['', '', '', '']);
  const bad = sweepRows([...ROWS, ...none, ...sweep('batch', 3, ['0.6', '0.5', '0.5', '0.5'], ['0.9', '0.9', '0.9', '0.9'])], KEYS, {...claim, statistic: 'good_range_decades'});
  const s3 = pairedDifferences(bad, {keys: ['norm', 'activation', 'seed']}, 'statistic', {norm: 'none'}, {norm: 'batch'});
  t.is(s3.n, 2);
  t.regex(s3.unpaired[0]!.why, /its partner none3-0\.01 \(\+3 over train\.lr\) has no best_val_accuracy at any train\.lr/);
});

const BASE = `name: sweep-claims
question: q
dataset: {name: synthetic}
model: {kind: mlp, hidden: [8]}
train: {lr: 0.1, batch_size: 16, steps: 10, eval_every: 5}
grid:
  norm: [none, batch]
  train.lr: [0.01, 0.1, 1]
  seed: [1, 2]
claims:
`;

const DIR = tempDir('normbench-sweep-claims-');

/** Every problem `validate` finds in the claims, `line:col message` each. */
function problems(claim: string): string {
  const file = join(DIR, 'e.yaml');
  writeFileSync(file, BASE + claim);
  const text = (e: UserError) => e.message;
  try {
    const loaded = loadExperiment(file);
    return gridClaimProblems(loaded.expanded, (path) => loaded.sources.locate(path)).map(text).join('\n');
  } catch (e) {
    if (e instanceof UserErrors) return e.errors.map(text).join('\n');
    if (e instanceof UserError) return text(e);
    throw e;
  }
}

test('sweep claims that cannot be decided are located errors before anything trains', (t) => {
  const claim = (extra: string) => `  - {id: c, says: s, metric: train_loss_auc, than: {norm: none}, where: {norm: batch}, expect: less, ${extra}}\n`;
  t.is(problems(claim('over: train.lr, statistic: good_count')), '');
  t.regex(problems(claim('over: train.lr')), /needs a statistic: good_count or good_range_decades or log10_largest_good or log10_best_value/);
  t.regex(problems(claim('statistic: good_count')), /give `over`/);
  t.regex(problems(claim('threshold: 1')), /`threshold` .* needs `over`/);
  t.regex(problems(claim('over: train.lrr, statistic: good_count')), /e\.yaml:11:\d+ \(claims\[0\]\.over\): "train\.lrr" is not a numeric grid factor of these results — did you mean "train\.lr"\?/);
  t.regex(problems(claim('over: seed, statistic: good_count')), /"seed" is not a numeric grid factor/);
  t.regex(problems('  - {id: c, says: s, metric: train_loss_auc, than: {norm: none, train.lr: 1}, over: train.lr, statistic: good_count, expect: less}\n'), /cannot also fix it/);
  t.regex(problems('  - {id: c, says: s, metric: train_loss_auc, than: final_test_loss, over: train.lr, statistic: good_count, expect: less}\n'), /`than` must name one/);
});
