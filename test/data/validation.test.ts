// The validation split (`dataset.validation`): held out of the training split, stratified by
// class, fixed by the data set; and nothing that selects (the best step, the metrics at it) reads
// the test split.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {loadDataset} from '../../src/data/registry.js';
import {makeSynthetic} from '../../src/data/synthetic.js';
import type {Dataset, Split} from '../../src/data/types.js';
import {holdOutValidation, validationIndices, validationSize} from '../../src/data/validation.js';
import {Mlp} from '../../src/models/mlp.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import type {TrainSpec} from '../../src/spec/experiment.js';
import {runMetrics} from '../../src/train/metrics.js';
import {train} from '../../src/train/trainer.js';
import {cli, readCsv, setupBackend, tempDir} from '../helpers.js';

test.before(setupBackend);

const counts = (s: Split, classes: number) => Array.from({length: classes}, (_, k) => Array.from(s.y).filter((y) => y === k).length);

test('stratified by class: each class gives its share within one example, the parts partition the training split in its order', (t) => {
  // 1 000 labels in the proportions 50 / 30 / 20 %.
  const n = 1000;
  const y = Int32Array.from({length: n}, (_, i) => (i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2));
  const x = Float32Array.from({length: n * 2}, (_, i) => i);
  const split: Split = {x, y, n, width: 2};
  const {train, validation} = holdOutValidation(split, 'classification', 0.15, 'test-data', 3);
  t.is(validation.n, 150);
  t.is(train.n, 850);
  t.deepEqual(counts(validation, 3), [75, 45, 30]);
  // Every example is in exactly one part, each part in the original order (x holds 2·index, 2·index + 1).
  const index = (s: Split) => Array.from({length: s.n}, (_, r) => s.x[r * 2]! / 2);
  const all = [...index(train), ...index(validation)].sort((a, b) => a - b);
  t.deepEqual(all, Array.from({length: n}, (_, i) => i));
  t.deepEqual(index(train), [...index(train)].sort((a, b) => a - b));
  t.deepEqual(index(validation), [...index(validation)].sort((a, b) => a - b));
  for (let r = 0; r < validation.n; r++) t.is(validation.y[r], y[index(validation)[r]!]);
  // Shares that do not divide: 7 of 1 000 = 3.5 / 2.1 / 1.4 → 3 / 2 / 1 and the left-over one to the largest remainder (class 0).
  t.deepEqual(counts(holdOutValidation(split, 'classification', 7, 'test-data', 3).validation, 3), [4, 2, 1]);
  t.is(validationSize(0.1, 6000), 600);
  t.is(validationSize(250, 6000), 250);
});

test('the split is fixed by the data set: the same examples whatever else differs, others for another data set', (t) => {
  const split = makeSynthetic({features: 5, classes: 3, train_size: 300, test_size: 30, separation: 1, seed: 1}).train;
  const a = validationIndices(split, 'classification', 30, 'key-a');
  t.deepEqual(validationIndices(split, 'classification', 30, 'key-a'), a);
  t.notDeepEqual(validationIndices(split, 'classification', 30, 'key-b'), a);
  // Through the loader: the same split for every run of a data set, train_limit applied after it.
  const spec = {name: 'synthetic', features: 5, classes: 3, train_size: 300, test_size: 30, separation: 1, seed: 1, validation: 30} as const;
  const one = loadDataset(spec);
  const two = loadDataset({...spec, train_limit: 100});
  t.deepEqual(Array.from(one.validation!.y), Array.from(two.validation!.y));
  t.deepEqual(Array.from(one.validation!.x), Array.from(two.validation!.x));
  t.is(one.train.n, 270);
  t.is(two.train.n, 100);
  t.is(loadDataset({...spec, validation: undefined}).validation, undefined);
});

test('a split that leaves nothing to train on, or fewer examples than classes, is bad input', (t) => {
  const split = makeSynthetic({features: 5, classes: 4, train_size: 100, test_size: 10, separation: 1, seed: 1}).train;
  t.throws(() => holdOutValidation(split, 'classification', 100, 'k', 4), {message: /holds out 100 of the 100 training examples; it must leave some to train on/});
  t.throws(() => holdOutValidation(split, 'classification', 0.02, 'k', 4), {message: /holds out 2 of the 100 .* at least 4 \(one per class\)/});
});

test('nothing that selects reads the test split: another test split changes the test metrics, never the selected step', async (t) => {
  const base = makeSynthetic({features: 10, classes: 4, train_size: 500, test_size: 200, separation: 1.5, seed: 1});
  const {train: trainSplit, validation} = holdOutValidation(base.train, 'classification', 100, 'selection', 4);
  const other = makeSynthetic({features: 10, classes: 4, train_size: 10, test_size: 200, separation: 1.5, seed: 9}).test;
  // The second test split's labels rotated: its accuracy curve goes its own way.
  const poisoned: Split = {...other, y: Int32Array.from(other.y, (y) => (y + 1) % 4)};
  const spec: TrainSpec = {optimizer: 'sgd', lr: 0.3, batch_size: 20, steps: 120, eval_every: 20, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};
  const run = async (test: Split) => {
    const data: Dataset = {...base, train: trainSplit, validation, test};
    const model = new Mlp({model: {kind: 'mlp', hidden: [16], init: 'glorot_uniform', init_std: 0.01}, norm: resolveNorm('batch'), activation: 'relu', seed: 1, inputs: 10, classes: 4});
    const result = await train(model, data, spec, 1);
    model.dispose();
    return {result, metrics: runMetrics(result, {val_accuracy: [0.5]})};
  };
  const a = await run(base.test);
  const b = await run(poisoned);
  t.notDeepEqual(a.result.points.map((p) => p.test_accuracy), b.result.points.map((p) => p.test_accuracy), 'the test splits differ');
  t.deepEqual(a.result.points.map((p) => [p.step, p.val_loss, p.val_accuracy, p.train_loss]), b.result.points.map((p) => [p.step, p.val_loss, p.val_accuracy, p.train_loss]));
  const va = a.metrics.validation!;
  const vb = b.metrics.validation!;
  t.is(va.best_step, vb.best_step);
  t.is(va.best_accuracy, vb.best_accuracy);
  t.is(va.loss_auc, vb.loss_auc);
  t.deepEqual(a.metrics.targets, b.metrics.targets.map((h, i) => ({...h, seconds: a.metrics.targets[i]!.seconds})));
  // The test metrics reported at the selected step are read there, not chosen by them.
  const at = a.result.points.find((p) => p.step === va.best_step)!;
  t.is(va.test_accuracy_at_best, at.test_accuracy);
  t.is(va.best_accuracy, Math.max(...a.result.points.map((p) => p.val_accuracy!)));
});

test('end to end: dataset.validation adds val columns to curves and summary; a val target without a split is a located error', (t) => {
  const dir = tempDir();
  const yaml = (extra: string) => `name: val-e2e
question: q
dataset: {name: synthetic, features: 8, classes: 3, train_size: 300, test_size: 60${extra}}
model: {kind: mlp, hidden: [8]}
train: {lr: 0.2, batch_size: 20, steps: 20, eval_every: 10}
grid: {norm: [none, batch]}
targets: {val_accuracy: 0.5}
`;
  writeFileSync(join(dir, 'with.yaml'), yaml(', validation: 0.2'));
  const r = cli(['run', 'with.yaml', '--out', 'r', '--quiet', '--workers', '1'], dir);
  t.is(r.code, 0, r.stderr);
  const curves = readCsv(join(dir, 'r', 'curves.csv'));
  t.deepEqual(Object.keys(curves[0]!).slice(-3), ['val_loss', 'val_accuracy', 'wall_ms']);
  t.is(curves[1]!.epoch, '0.8333', '10 steps × 20 of the 240 examples left to train on');
  const summary = readCsv(join(dir, 'r', 'summary.csv'));
  for (const key of ['final_val_accuracy', 'best_val_accuracy', 'best_val_step', 'test_accuracy_at_best_val', 'val_loss_auc', 'steps_to_val_accuracy_0.5']) t.true(key in summary[0]!, key);
  t.true(summary.every((row) => Number(row.best_val_step) % 10 === 0));

  writeFileSync(join(dir, 'without.yaml'), yaml(''));
  const bad = cli(['validate', 'without.yaml'], dir);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /without\.yaml:7:\d+ \(targets\.val_accuracy\): a val_accuracy target needs a validation split: set dataset\.validation/);
});
