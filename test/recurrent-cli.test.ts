// Recurrent models through the CLI: a tiny grid over every recurrent norm (through the real
// binary), the adding problem (regression) evaluated past its training length, and the norm ×
// model errors at validate time (the same commands in this process, helpers' cliInProcess).
//
// backend-independent: its CLI runs name their backend (cpu).

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {parse} from 'csv-parse/sync';
import {cli, cliInProcess as nb, tempDir} from './helpers.js';

type Row = Record<string, string>;
const readCsv = (file: string): Row[] => parse(readFileSync(file, 'utf8'), {columns: true}) as Row[];

const GRID = `name: recurrent
question: Does every recurrent norm run end to end?
dataset: {name: fashion-mnist-mini-permuted, size: 7, train_limit: 96, test_limit: 32}
model: {kind: lstm, hidden: 8, h0_noise: 0.1}
train: {optimizer: rmsprop, lr: 0.003, momentum: 0.9, clip_norm: 1, batch_size: 16, steps: 6, eval_every: 3}
grid:
  norm: [none, layer, batch, {name: batch, share_stats: true}, bn-rnn, {name: bn-rnn, stats: sequence}]
`;

test('a tiny grid over every recurrent norm: all ok, and gradient_flow.csv has T rows per evaluation point per run', async (t) => {
  const dir = tempDir('normbench-rnn-cli-');
  writeFileSync(join(dir, 'g.yaml'), GRID);
  const r = cli(['run', 'g.yaml', '--out', 'o', '--quiet', '--backend', 'cpu'], dir);
  t.is(r.code, 0, r.stderr);
  const summary = readCsv(join(dir, 'o', 'summary.csv'));
  t.deepEqual(summary.map((s) => `${s.norm}/${s.activation}/${s.status}`), [
    'none/tanh/ok', 'layer/tanh/ok', 'batch/tanh/ok', 'batch(share_stats=true)/tanh/ok', 'bn-rnn/tanh/ok', 'bn-rnn(stats=sequence)/tanh/ok',
  ]);
  const flow = readCsv(join(dir, 'o', 'gradient_flow.csv'));
  t.deepEqual(Object.keys(flow[0]!), ['run_id', 'norm', 'activation', 'seed', 'step', 't', 'grad_norm']);
  for (const s of summary) {
    const mine = flow.filter((f) => f.run_id === s.run_id);
    t.is(mine.length, 3 * 49, `${s.norm}: 49 steps × evaluation points 0, 3, 6`);
    t.deepEqual([...new Set(mine.map((f) => f.step))], ['0', '3', '6']);
    t.true(mine.every((f) => Number(f.grad_norm) > 0));
  }
  const again = await nb(['verify', 'o', '--reference', 'o'], dir);
  t.is(again.code, 2, 'the gate refuses to compare a directory with itself');
});

test('the adding problem: regression columns (no accuracy), evaluated on longer sequences than trained on', async (t) => {
  const dir = tempDir('normbench-rnn-cli-');
  writeFileSync(join(dir, 'a.yaml'), `name: adding
question: Does a BN-RNN trained on 8 steps run on 16?
dataset: {name: adding, length: 8, eval_length: 16, train_size: 128, test_size: 32}
model: {kind: rnn, hidden: 8}
train: {optimizer: adam, lr: 0.01, batch_size: 16, steps: 20, eval_every: 10}
grid: {norm: [none, batch]}
targets: {test_loss: 0.2}
`);
  const r = await nb(['run', 'a.yaml', '--out', 'o', '--backend', 'cpu', '--quiet', '--workers', '1'], dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /final test loss +best step/);
  const curves = readCsv(join(dir, 'o', 'curves.csv'));
  t.true(curves.every((c) => c.test_accuracy === '' && c.train_accuracy === '' && Number(c.test_loss) > 0), 'accuracy columns empty');
  const summary = readCsv(join(dir, 'o', 'summary.csv'));
  t.true(summary.every((s) => s.final_test_accuracy === '' && s.best_test_accuracy === '' && s.status === 'ok'));
  t.is(readCsv(join(dir, 'o', 'gradient_flow.csv')).filter((f) => f.run_id === summary[0]!.run_id && f.step === '0').length, 8, 'probed on the training length');
});

test('validate rejects what does not fit, located: a norm not built for the model, a recurrent model on flat data, accuracy targets on regression', async (t) => {
  const dir = tempDir('normbench-rnn-cli-');
  writeFileSync(join(dir, 'bad.yaml'), `name: bad
question: What does not fit?
dataset: {name: fashion-mnist-mini-rows}
model: {kind: lstm, hidden: 8}
activation: relu
train: {lr: 0.1, batch_size: 16, steps: 2, eval_every: 1}
grid:
  norm: [none, weight]
`);
  const r = await nb(['validate', 'bad.yaml', '--json'], dir);
  t.is(r.code, 2);
  const errors = JSON.parse(r.stdout).errors as Array<{file: string; line: number; column: number; key: string; message: string}>;
  t.deepEqual(errors.map((e) => `${e.line}:${e.column} ${e.key}`), ['5:13 activation', '8:16 grid.norm[1]']);
  t.regex(errors[1]!.message, /norm "weight" is not built for model lstm \(it supports: mlp, cnn\); for lstm use: none, batch, layer, bn-rnn/);
  t.regex(errors[0]!.message, /an LSTM's nonlinearities are fixed/);
  writeFileSync(join(dir, 'flat.yaml'), `name: flat
question: q
dataset: {name: fashion-mnist-mini}
model: {kind: rnn, hidden: 8}
train: {lr: 0.1, batch_size: 16, steps: 2, eval_every: 1}
`);
  t.regex((await nb(['validate', 'flat.yaml'], dir)).stderr, /flat\.yaml:4:15 \(model\.kind\): model rnn reads its input as a sequence, and data set "fashion-mnist-mini" is not one/);
  writeFileSync(join(dir, 'reg.yaml'), `name: reg
question: q
dataset: {name: adding}
model: {kind: lstm, hidden: 8}
train: {lr: 0.1, batch_size: 16, steps: 2, eval_every: 1}
targets: {test_accuracy: 0.9}
`);
  t.regex((await nb(['validate', 'reg.yaml'], dir)).stderr, /reg\.yaml:6:26 \(targets\.test_accuracy\): the adding problem is a regression task/);
  const list = await nb(['list', 'norms'], dir);
  t.regex(list.stdout, /bn-rnn .* models: lstm, rnn/);
  t.regex(list.stdout, /weight .* models: mlp, cnn /);
});
