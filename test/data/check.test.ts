// The data checked before training: directories that hold the files, data sets that can be found,
// and sizes that fit the splits, each problem located in the experiment (file:line:col, key path).
// Then the same through `validate` (exit 2, every problem) and `run` (exit 2, nothing written).
//
// backend-independent: bad input refused before any training.

import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {cliInProcess, tempDir} from '../helpers.js';
import {checkData} from '../../src/data/check.js';
import {loadExperiment} from '../../src/config/load.js';
import {writeIdx} from '../../src/data/idx.js';
import type {UserError} from '../../src/errors.js';

process.env.NORMBENCH_CACHE = join(tempDir('normbench-cache-'), 'cache');

const MINI = `name: m
question: q
dataset: {name: fashion-mnist-mini}
model: {kind: mlp, hidden: [4]}
train: {optimizer: sgd, lr: 0.1, batch_size: 8, steps: 4, eval_every: 2}
grid:
  norm: [none, batch]
`;

/** Check the data of an experiment file written from `text`; every error as [line:col (key), message]. */
function check(text: string, dataDir?: string): Array<[string, string]> {
  const dir = tempDir();
  const file = join(dir, 'e.yaml');
  writeFileSync(file, text);
  const loaded = loadExperiment(file);
  const where = (e: UserError) => (e.location?.line === undefined ? e.location?.file ?? '' : `${e.location.line}:${e.location.col} (${e.location.path})`);
  return checkData(loaded.expanded, {dataDir, locate: (path) => loaded.sources.locate(path)}).map((e) => [where(e), e.detail]);
}

test('a bundled or generated data set whose sizes fit: no problem', (t) => {
  t.deepEqual(check(MINI), []);
  t.deepEqual(check(MINI.replace('batch_size: 8', 'batch_size: 6000')), [], 'a batch of the whole split is allowed');
  t.deepEqual(check(MINI.replace('{name: fashion-mnist-mini}', '{name: synthetic, features: 4, classes: 3, train_size: 90, test_size: 30, separation: 2, seed: 1, validation: 0.2, train_limit: 72, test_limit: 30}')), []);
});

test('a batch larger than the training split, said with the sizes, at the key or at the grid entry that set it', (t) => {
  t.deepEqual(check(MINI.replace('batch_size: 8', 'batch_size: 6001')), [
    ['5:46 (train.batch_size)', 'batch_size 6001 is larger than the training split: 6000 examples of fashion-mnist-mini. A batch holds at most 6000 examples'],
  ]);
  t.deepEqual(check(MINI.replace('dataset: {name: fashion-mnist-mini}', 'dataset: {name: fashion-mnist-mini, validation: 600, train_limit: 500}').replace('grid:', 'grid:\n  train.batch_size: [64, 512]')), [
    ['7:26 (grid.train.batch_size[1])', 'batch_size 512 is larger than the training split: 6000 examples of fashion-mnist-mini, 5400 after the validation hold-out of 600, 500 with train_limit 500. A batch holds at most 500 examples'],
  ]);
  // A data set varied whole by the grid: the sizes of each, the entry that is too small.
  const whole = MINI.replace('grid:', 'grid:\n  dataset:\n    - {name: fashion-mnist-mini}\n    - {name: adding, length: 4, train_size: 50, test_size: 20, seed: 1, validation: 50}\n' +
    '    - {name: synthetic, features: 4, classes: 2, train_size: 50, test_size: 10, separation: 1, seed: 1}').replace('batch_size: 8', 'batch_size: 64');
  t.deepEqual(check(whole), [
    ['9:85 (grid.dataset[1].validation)', 'validation 50 holds out 50 of the 50 training examples of adding; it must leave some to train on and hold at least 1'],
    ['5:46 (train.batch_size)', 'batch_size 64 is larger than the training split: 50 examples of synthetic. A batch holds at most 50 examples'],
  ]);
});

test('validation, train_limit and test_limit beyond the splits: each said with the sizes', (t) => {
  t.deepEqual(check(MINI.replace('{name: fashion-mnist-mini}', '{name: fashion-mnist-mini, validation: 6000}')), [
    ['3:49 (dataset.validation)', 'validation 6000 holds out 6000 of the 6000 training examples of fashion-mnist-mini; it must leave some to train on and hold at least 10 (one per class)'],
  ]);
  t.deepEqual(check(MINI.replace('{name: fashion-mnist-mini}', '{name: fashion-mnist-mini, validation: 0.1, train_limit: 5500, test_limit: 1001}')), [
    ['3:67 (dataset.train_limit)', 'train_limit 5500 asks for more than the 6000 training examples of fashion-mnist-mini (5400 after the validation hold-out of 600): at most 5400, or leave it out to train on all of them'],
    ['3:85 (dataset.test_limit)', 'test_limit 1001 asks for more than the 1000 test examples of fashion-mnist-mini: at most 1000, or leave it out to test on all of them'],
  ]);
  t.deepEqual(check(MINI.replace('{name: fashion-mnist-mini}', '{name: synthetic, features: 4, classes: 3, train_size: 90, test_size: 30, separation: 2, seed: 1, validation: 2}')), [
    ['3:120 (dataset.validation)', 'validation 2 holds out 2 of the 90 training examples of synthetic; it must leave some to train on and hold at least 3 (one per class)'],
  ]);
});

/** Four small IDX files under Fashion-MNIST's names (not the official ones). */
function idxDir(dir: string, names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']): string {
  mkdirSync(dir, {recursive: true});
  for (const name of names) writeIdx(join(dir, name), name.includes('labels') ? {shape: [4], data: new Uint8Array(4)} : {shape: [4, 28, 28], data: new Uint8Array(4 * 784)});
  return dir;
}

test('dataset.data_dir that is missing, a file, or lacks files: located, with what was expected; the sizes are still checked', (t) => {
  const root = tempDir();
  const full = (dir: string) => MINI.replace('{name: fashion-mnist-mini}', `{name: fashion-mnist, data_dir: ${dir}}`).replace('batch_size: 8', 'batch_size: 70000');
  const expected = 'dataset.data_dir names a directory holding the four Fashion-MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; .gz or raw)';
  const batch: [string, string] = ['5:46 (train.batch_size)', 'batch_size 70000 is larger than the training split: 60000 examples of fashion-mnist. A batch holds at most 60000 examples'];
  t.deepEqual(check(full(join(root, 'nowhere'))), [['3:42 (dataset.data_dir)', `${join(root, 'nowhere')}: no such directory; ${expected}`], batch]);
  writeFileSync(join(root, 'afile'), 'x');
  t.deepEqual(check(full(join(root, 'afile'))), [['3:42 (dataset.data_dir)', `${join(root, 'afile')}: is a file, not a directory; ${expected}`], batch]);
  const half = idxDir(join(root, 'half'), ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte']);
  t.deepEqual(check(full(half)), [['3:42 (dataset.data_dir)', `${half} lacks t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz or raw); ${expected}`], batch]);
  const wrong = idxDir(join(root, 'wrong'));
  const problems = check(full(wrong));
  const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
  t.deepEqual(problems.map(([where]) => where), [...names.map((n) => join(wrong, n)), batch[0]]);
  t.is(problems[1]![1], '4 labels of 1 class (0–0), expected 60 000 labels of 10 classes (0–9)');
});

test('--data-dir that is a file, or that lacks the files when the full set is needed: exit-2 errors; an empty one is fine for the bundled set', (t) => {
  const root = tempDir();
  writeFileSync(join(root, 'afile'), 'x');
  const four = 'the four Fashion-MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; .gz or raw)';
  t.deepEqual(check(MINI, join(root, 'afile')), [['', `--data-dir ${join(root, 'afile')}: not a directory; it names a directory holding ${four}`]]);
  mkdirSync(join(root, 'empty'));
  t.deepEqual(check(MINI, join(root, 'empty')), []);
  t.deepEqual(check(MINI.replace('{name: fashion-mnist-mini}', '{name: fashion-mnist-rows}'), join(root, 'empty')), [
    ['', `--data-dir ${join(root, 'empty')} lacks train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz or raw); it names a directory holding ${four}`],
  ]);
});

test('CLI: a batch larger than the split — validate exits 2 with the location; run exits 2 and creates no output directory', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'big.yaml'), MINI.replace('batch_size: 8', 'batch_size: 8000').replace('{name: fashion-mnist-mini}', '{name: fashion-mnist-mini, test_limit: 2000}'));
  const v = await cliInProcess(['validate', 'big.yaml'], dir);
  t.is(v.code, 2, v.stderr);
  t.is(v.stderr, 'error: big.yaml:3:49 (dataset.test_limit): test_limit 2000 asks for more than the 1000 test examples of fashion-mnist-mini: at most 1000, or leave it out to test on all of them\n' +
    'big.yaml:5:46 (train.batch_size): batch_size 8000 is larger than the training split: 6000 examples of fashion-mnist-mini. A batch holds at most 6000 examples\n');
  t.is(v.stdout, '');
  const r = await cliInProcess(['run', 'big.yaml', '--out', 'out', '--quiet'], dir);
  t.is(r.code, 2, r.stderr);
  t.is(r.stderr, v.stderr);
  t.false(existsSync(join(dir, 'out')));
  t.deepEqual(readdirSync(dir), ['big.yaml'], 'nothing written');
});
