// Claims and paired differences: the verdict rules and the statistics with numbers worked out by
// hand, then `normbench check`, `validate` and `report --baseline` on a real tiny grid.
// backend-independent: plain statistics; its CLI runs pick their own backend (auto: wasm for a small model).

import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {verdictOf} from '../src/results/check.js';
import {pairedDifferences, pairsToSettle, type Row} from '../src/results/paired.js';
import {cli, tempDir} from './helpers.js';

test('verdicts: the 95 % interval against the margin, in the stated direction', (t) => {
  // greater by more than m: holds above m, contradicted below m, otherwise inconclusive.
  t.is(verdictOf('greater', 0, [0.01, 0.2]), 'holds');
  t.is(verdictOf('greater', 0, [-0.0045, 0.1445]), 'inconclusive');
  t.is(verdictOf('greater', 0, [-0.3, -0.01]), 'contradicted');
  t.is(verdictOf('greater', 0.15, [-0.0045, 0.1445]), 'contradicted');
  t.is(verdictOf('greater', 0.1, [-0.0045, 0.1445]), 'inconclusive');
  // less by more than m: holds below −m, contradicted above −m.
  t.is(verdictOf('less', 0.05, [-0.3, -0.06]), 'holds');
  t.is(verdictOf('less', 0.05, [-0.3, -0.04]), 'inconclusive');
  t.is(verdictOf('less', 0.05, [-0.04, 0.2]), 'contradicted');
  // equal within ±m: holds inside, contradicted wholly outside, inconclusive across an edge.
  t.is(verdictOf('equal', 0.2, [-0.0045, 0.1445]), 'holds');
  t.is(verdictOf('equal', 0.1, [-0.0045, 0.1445]), 'inconclusive');
  t.is(verdictOf('equal', 0.1, [0.11, 0.3]), 'contradicted');
  t.is(verdictOf('equal', 0.1, [-0.3, -0.11]), 'contradicted');
  // No interval (fewer than two pairs): nothing is decided.
  t.is(verdictOf('greater', 0, undefined), 'inconclusive');
});

const row = (run_id: string, norm: string, seed: number, value: string, status = 'ok'): Row =>
  ({run_id, norm, activation: 'relu', seed: String(seed), status, final_test_accuracy: value, best_test_accuracy: value});

test('paired differences by hand: d = 0.10, 0.07, 0.04 → mean 0.07, sd 0.03, CI 0.07 ± 4.302653·0.03/√3', (t) => {
  const rows = [
    row('b1', 'batch', 1, '0.80'), row('b2', 'batch', 2, '0.82'), row('b3', 'batch', 3, '0.78'),
    row('n1', 'none', 1, '0.70'), row('n2', 'none', 2, '0.75'), row('n3', 'none', 3, '0.74'),
    // Seed 4: batch diverged, so it pairs with nothing; seed 5 of batch has no none run.
    row('b4', 'batch', 4, 'nan', 'diverged'), row('n4', 'none', 4, '0.71'), row('b5', 'batch', 5, '0.9'),
  ];
  const s = pairedDifferences(rows, {keys: ['norm', 'activation', 'seed']}, 'final_test_accuracy', {norm: 'none'}, {norm: 'batch'});
  t.is(s.n, 3);
  t.deepEqual(s.pairs.map((p) => [p.run_id, p.partner_id, p.seed]), [['b1', 'n1', '1'], ['b2', 'n2', '2'], ['b3', 'n3', '3']]);
  t.true(Math.abs(s.mean! - 0.07) < 1e-12);
  t.true(Math.abs(s.sd! - 0.03) < 1e-12);
  t.true(Math.abs(s.ci95![0] - -0.004524136) < 1e-8 && Math.abs(s.ci95![1] - 0.144524136) < 1e-8, `${s.ci95}`);
  t.is(s.agree, 3);
  t.deepEqual(s.unpaired, [{run_id: 'b4', why: 'it diverged'}, {run_id: 'b5', why: 'no run of the other condition with this seed'}]);
  // The half-width t(n−1)·0.03/√n falls below 0.07 at n = 4 (0.0477; at 3 it is 0.0745).
  t.is(pairsToSettle(s, 0), 4);
  // Two columns of the same runs: here equal, so every difference is 0 and no seed takes a side.
  const same = pairedDifferences(rows, {keys: ['norm', 'activation', 'seed']}, 'final_test_accuracy', 'best_test_accuracy', {norm: 'none'});
  t.is(same.n, 4);
  t.is(same.mean, 0);
  t.is(same.agree, 0);
});

const EXPERIMENT = `name: tiny-claims
question: Does BN lower the training loss of a small sigmoid MLP?
dataset: {name: synthetic, features: 20, classes: 4, train_size: 600, test_size: 200}
model: {kind: mlp, hidden: [32, 32]}
train: {lr: 0.5, batch_size: 32, steps: 120, eval_every: 40}
activation: sigmoid
grid:
  norm: [none, batch]
  seed: [1, 2, 3, 4]
report: {baseline: {norm: none}}
claims:
  - id: bn-lowers-loss
    says: BN lowers the training-loss AUC
    metric: train_loss_auc
    than: {norm: none}
    where: {norm: batch}
    expect: less
`;

const DOUBTFUL = `  - id: bn-much-more-accurate
    says: BN is 40 points more accurate
    metric: final_test_accuracy
    than: {norm: none}
    where: {norm: batch}
    expect: greater
    margin: 0.4
`;

test('check on a real grid: exit 0 when every claim holds, 1 when one does not, 2 for a claim the results cannot decide; validate finds it before training', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'e.yaml'), EXPERIMENT);
  const run = cli(['run', 'e.yaml', '--out', 'r', '--quiet', '--workers', '1'], dir);
  t.is(run.code, 0, run.stderr);

  const ok = cli(['check', 'r'], dir);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /HOLDS +bn-lowers-loss/);
  t.regex(ok.stdout, /4 of 4 seeds agree in sign/);
  t.regex(ok.stdout, /OK: all 1 claims hold\./);

  // Claims are not training: new ones are checked against the same results with --experiment.
  writeFileSync(join(dir, 'more.yaml'), EXPERIMENT + DOUBTFUL);
  const json = cli(['check', 'r', '--experiment', 'more.yaml', '--json'], dir);
  t.is(json.code, 1, json.stderr);
  const report = JSON.parse(json.stdout) as {ok: boolean; claims: Array<{id: string; verdict: string; n: number; pairs: unknown[]}>};
  t.false(report.ok);
  t.deepEqual(report.claims.map((c) => [c.id, c.n, c.pairs.length]), [['bn-lowers-loss', 4, 4], ['bn-much-more-accurate', 4, 4]]);
  t.is(report.claims[0]!.verdict, 'holds');
  t.not(report.claims[1]!.verdict, 'holds');

  // A metric the results do not have: located in the YAML, with the nearest metric.
  writeFileSync(join(dir, 'bad.yaml'), EXPERIMENT.replace('metric: train_loss_auc', 'metric: train_los_auc'));
  const bad = cli(['check', 'r', '--experiment', 'bad.yaml'], dir);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /bad\.yaml:14:13 \(claims\[0\]\.metric\): "train_los_auc" is not a metric of these results — did you mean "train_loss_auc"\?/);
  const before = readdirSync(dir).sort();
  const validate = cli(['validate', 'bad.yaml'], dir);
  t.is(validate.code, 2);
  t.regex(validate.stderr, /claims\[0\]\.metric/);
  const notRun = cli(['run', 'bad.yaml', '--out', 'never', '--quiet'], dir);
  t.is(notRun.code, 2);
  t.deepEqual(readdirSync(dir).sort(), before, 'nothing written');

  // The report pairs with the YAML's baseline and carries the claims.
  const rep = cli(['report', 'r'], dir);
  t.is(rep.code, 0, rep.stderr);
  t.regex(rep.stdout, /paired differences to norm=none/);
  t.regex(rep.stdout, /batch +sigmoid +[+-]\d+\.\d \[[+-]\d+\.\d, [+-]\d+\.\d\] \d\/4/);
  const md = readFileSync(join(dir, 'r', 'report.md'), 'utf8');
  t.regex(md, /## Paired differences to norm=none/);
  t.regex(md, /## Claims \(`normbench check`\)/);
  t.regex(md, /\| bn-lowers-loss \|.*\| \*\*holds\*\* \|/);
  t.true(existsSync(join(dir, 'r', 'report.md')));
});

test('a claim about runs the grid lacks: an error as written, a warning when --set narrowed the grid (it trains), and check says it cannot decide it', (t) => {
  const dir = tempDir('normbench-claims-');
  writeFileSync(join(dir, 'e.yaml'), EXPERIMENT.replace('where: {norm: batch}', 'where: {norm: btach}'));
  const typo = cli(['validate', 'e.yaml'], dir);
  t.is(typo.code, 2);
  t.regex(typo.stderr, /e\.yaml:\d+:\d+ \(claims\[0\]\.where\.norm\): no run has norm = btach — did you mean "batch"\?/);
  writeFileSync(join(dir, 'e.yaml'), EXPERIMENT);
  const narrowed = cli(['run', 'e.yaml', '--out', 'r', '--quiet', '--workers', '1', '--set', 'grid.norm=[none]', '--set', 'train.steps=10'], dir);
  t.is(narrowed.code, 0, narrowed.stderr);
  t.regex(narrowed.stderr, /warning: e\.yaml:\d+:\d+ \(claims\[0\]\.where\.norm\): no run has norm = batch \(values: none\) — this claim does not apply to the grid as --set changed it/);
  t.true(existsSync(join(dir, 'r', 'summary.csv')));
  const check = cli(['check', 'r'], dir);
  t.is(check.code, 2);
  t.regex(check.stderr, /no run has norm = batch/);
});
