// eval_train (issue 18's bn-regularization): the final weights evaluated on the training split,
// in evaluation mode, and the generalization gaps. It never changes training (the same curves and
// run ids as without it); on a full batch at a learning rate that moves nothing, the training
// split's loss is the first batch's loss; and each gap is held-out − training (validation when the
// data hold one out, else test), as written.
// backend-independent in what it asserts (equalities within one run's own numbers); its CLI runs pick their own backend.

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {cli, readCsv, tempDir, untimed} from './helpers.js';

const BASE = `name: gap
question: How far apart are the training and held-out losses?
dataset: {name: synthetic, train_size: 240, test_size: 120}
model: {kind: mlp, hidden: [16, 16], dropout: 0.2}
train: {lr: 0.05, batch_size: 24, steps: 60, eval_every: 20}
grid:
  norm: [none, batch]
  seed: [1, 2]
`;

const num = (s: string | undefined) => Number(s);

test('eval_train adds the training split\'s loss and accuracy and the gaps, and changes no number of training', (t) => {
  const dir = tempDir('normbench-train-eval-');
  writeFileSync(join(dir, 'plain.yaml'), BASE);
  writeFileSync(join(dir, 'gap.yaml'), `${BASE}eval_train: true\n`);
  writeFileSync(join(dir, 'val.yaml'), BASE.replace('test_size: 120}', 'test_size: 120, validation: 60}') + 'eval_train: true\n');
  for (const [file, out] of [['plain.yaml', 'p'], ['gap.yaml', 'g'], ['val.yaml', 'v']]) {
    const r = cli(['run', file!, '--out', out!, '--quiet', '--workers', '1'], dir);
    t.is(r.code, 0, r.stderr);
  }
  const plain = readCsv(join(dir, 'p', 'summary.csv'));
  const gap = readCsv(join(dir, 'g', 'summary.csv'));
  t.deepEqual(untimed(readCsv(join(dir, 'g', 'curves.csv'))), untimed(readCsv(join(dir, 'p', 'curves.csv'))), 'the same curves, bit for bit');
  t.deepEqual(gap.map((r) => r.run_id), plain.map((r) => r.run_id), 'the same run ids');
  const columns = Object.keys(gap[0]!);
  t.deepEqual(columns.filter((c) => !(c in plain[0]!)), ['final_train_eval_loss', 'final_train_eval_accuracy', 'gap_loss', 'gap_accuracy']);
  for (const r of gap) {
    t.true(num(r.final_train_eval_loss) > 0 && num(r.final_train_eval_accuracy) > 0.25, JSON.stringify(r));
    t.true(Math.abs(num(r.gap_loss) - (num(r.final_test_loss) - num(r.final_train_eval_loss))) < 2e-6, 'gap_loss = final_test_loss − final_train_eval_loss');
    t.true(Math.abs(num(r.gap_accuracy) - (num(r.final_train_eval_accuracy) - num(r.final_test_accuracy))) < 2e-6, 'gap_accuracy = train − test');
  }
  // With a validation split the gaps are to it, not to the test split.
  for (const r of readCsv(join(dir, 'v', 'summary.csv'))) {
    t.true(Math.abs(num(r.gap_loss) - (num(r.final_val_loss) - num(r.final_train_eval_loss))) < 2e-6, 'gap_loss = final_val_loss − final_train_eval_loss');
    t.true(Math.abs(num(r.gap_accuracy) - (num(r.final_train_eval_accuracy) - num(r.final_val_accuracy))) < 2e-6);
  }
  // The manifest and the report say so; a resume of the plain directory with eval_train is refused (other columns).
  t.regex(readFileSync(join(dir, 'g', 'manifest.json'), 'utf8'), /"eval_train": true/);
  const rep = cli(['report', 'g'], dir);
  t.is(rep.code, 0, rep.stderr);
  t.regex(rep.stdout, /train-split acc %/);
  t.regex(rep.stdout, /acc gap \(pts\)/);
  const resume = cli(['run', 'gap.yaml', '--out', 'p', '--resume', '--quiet'], dir);
  t.is(resume.code, 2, resume.stdout + resume.stderr);
  t.regex(resume.stderr, /eval_train/, resume.stderr);
});

test('on one full batch at a rate that moves nothing, the training split\'s loss is the first batch\'s', (t) => {
  const dir = tempDir('normbench-train-eval-');
  writeFileSync(join(dir, 'e.yaml'), `name: full-batch
question: q
dataset: {name: synthetic, train_size: 64, test_size: 32}
model: {kind: mlp, hidden: [8]}
train: {lr: 1.0e-12, batch_size: 64, steps: 1, eval_every: 1}
eval_train: true
`);
  const r = cli(['run', 'e.yaml', '--out', 'r', '--quiet'], dir);
  t.is(r.code, 0, r.stderr);
  const step0 = readCsv(join(dir, 'r', 'curves.csv')).find((c) => c.step === '0')!;
  const row = readCsv(join(dir, 'r', 'summary.csv'))[0]!;
  t.true(Math.abs(num(row.final_train_eval_loss) - num(step0.train_loss)) < 1e-5, `${row.final_train_eval_loss} vs ${step0.train_loss}`);
  t.is(num(row.final_train_eval_accuracy), num(step0.train_accuracy));
});
