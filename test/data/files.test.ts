// Your own data (`dataset: {name: files}`): CSV, NPY and IDX read into the values written, the
// CSV streamed in chunks (lines across chunk boundaries, a line longer than a chunk), the files'
// identity, paths relative to the file that writes them, and run ids that do not depend on where
// the experiment sits. Every bad file has its case in the hostile corpus (test/hostile.test.ts).
//
// backend-independent: files and arrays; no tensors.

import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {loadExperiment} from '../../src/config/load.js';
import {readCsv} from '../../src/data/csv.js';
import {loadFiles} from '../../src/data/files.js';
import {encodeIdx} from '../../src/data/idx.js';
import {dataKey, loadDataset} from '../../src/data/registry.js';
import type {FilesSpec} from '../../src/spec/experiment.js';
import {REPO, tempDir} from '../helpers.js';

const NUMPY = join(REPO, 'test', 'fixtures', 'files');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const csv = (spec: Partial<FilesSpec> & {root: string}): FilesSpec => ({name: 'files', format: 'csv', train: 'train.csv', test: 'test.csv', label: 'y', ...spec});

test('CSV: the values as written (exponents, signs, spaces), labels, classes from the labels; a quoted header, CRLF, a BOM and blank lines', (t) => {
  const dir = tempDir('normbench-files-');
  writeFileSync(join(dir, 'train.csv'), '\uFEFF"a, first",b,y\r\n1.5,-2,0\r\n\r\n 3e-2 ,+4,2\r\n-0.25,1E3,1\r\n');
  writeFileSync(join(dir, 'test.csv'), '"a, first",b,y\n7,8,1\n');
  const data = loadFiles(csv({root: dir}));
  t.deepEqual([...data.train.x], [1.5, -2, 0.03, 4, -0.25, 1000].map(Math.fround));
  t.deepEqual([...data.train.y], [0, 2, 1]);
  t.deepEqual([...data.test.x], [7, 8]);
  t.like(data, {task: 'classification', features: 2, classes: 3, train: {n: 3, width: 2}, test: {n: 1, width: 2}});
  t.is(data.source, 'csv files: train.csv (3 × 2), test.csv (1 × 2), 3 classes (from the labels)');
  t.is(readCsv(join(dir, 'train.csv'), {shown: 'train.csv', key: 'dataset.train', label: 'y'}).columns.join('|'), 'a, first|b');
  // The label column anywhere; classes given are kept even when the labels use fewer.
  writeFileSync(join(dir, 'first.csv'), 'y,a,b\n4,1,2\n0,3,4\n');
  t.like(loadFiles(csv({root: dir, train: 'first.csv', test: 'first.csv', classes: 10})), {classes: 10, train: {x: Float32Array.from([1, 2, 3, 4]), y: Int32Array.from([4, 0])}});
});

test('CSV is streamed: lines across 1 MiB chunks and a line longer than a chunk are read exactly, into arrays of the examples\' size', (t) => {
  const dir = tempDir('normbench-files-');
  // 4000 rows × 60 columns (≈ 1.6 MB): integers and decimals, the label last.
  const value = (i: number, j: number) => (j % 3 === 0 ? ((i * 7919 + j * 104729) % 100003) / 1000 - 50 : (i * 31 + j) % 256);
  const rows = Array.from({length: 4000}, (_, i) => [...Array.from({length: 60}, (_, j) => value(i, j)), i % 7].join(','));
  writeFileSync(join(dir, 'train.csv'), `${[...Array.from({length: 60}, (_, j) => `f${j}`), 'y'].join(',')}\n${rows.join('\n')}\n`);
  t.true(readFileSync(join(dir, 'train.csv')).length > 1.5 * (1 << 20));
  const table = readCsv(join(dir, 'train.csv'), {shown: 'train.csv', key: 'dataset.train', label: 'y'});
  t.is(table.n, 4000);
  t.is(table.x.length, 4000 * 60);
  const expected = Float32Array.from({length: 4000 * 60}, (_, k) => value(Math.floor(k / 60), k % 60));
  t.deepEqual(table.x, expected);
  t.deepEqual([...table.y.subarray(0, 8)], [0, 1, 2, 3, 4, 5, 6, 0]);
  t.is(table.lineOf(3999), 4001);
  // 300,000 features: the header line alone is ≈ 2.3 MB, twice the chunk.
  const wide = 300_000;
  writeFileSync(join(dir, 'wide.csv'), `${[...Array.from({length: wide}, (_, j) => `pixel${j}`), 'y'].join(',')}\n${[...Array.from({length: wide}, (_, j) => j % 10), 1].join(',')}\n`);
  const long = readCsv(join(dir, 'wide.csv'), {shown: 'wide.csv', key: 'dataset.train', label: 'y'});
  t.like(long, {n: 1, width: wide});
  t.is(long.x[wide - 1], (wide - 1) % 10);
  t.is(long.y[0], 1);
});

test('NPY written by NumPy: float64, float32 and uint8 features (any rank: the shape comes from the file), int64 and uint8 labels', (t) => {
  // test/fixtures/files/make.py: x[i, j, k] = (6i + 3j + k) / 7 − 1, labels i % 3.
  const x = Float32Array.from({length: 30}, (_, k) => k / 7 - 1);
  for (const [features, labels] of [['x-f8.npy', 'y-i8.npy'], ['x-f4.npy', 'y-u1.npy']]) {
    const data = loadFiles({name: 'files', format: 'npy', train: {x: features!, y: labels!}, test: {x: features!, y: labels!}, root: NUMPY});
    t.deepEqual(data.train.x, x, features);
    t.deepEqual([...data.train.y], [0, 1, 2, 0, 1]);
    t.like(data, {features: 6, classes: 3, shape: [2, 3], train: {n: 5, width: 6}});
  }
  const bytes = loadFiles({name: 'files', format: 'npy', train: {x: 'x-u1.npy', y: 'y-i8.npy'}, test: {x: 'x-u1.npy', y: 'y-u1.npy'}, root: NUMPY, scale: 255});
  t.deepEqual(bytes.test.x, Float32Array.from({length: 30}, (_, k) => k / 255));
  t.is(bytes.shape, undefined, 'a [n, features] array says no more than its width');
});

test('IDX: images and labels as Fashion-MNIST stores them, scaled by 255; a shape given is recorded', (t) => {
  const dir = tempDir('normbench-files-');
  writeFileSync(join(dir, 'images.idx'), encodeIdx({shape: [3, 2, 2], data: Uint8Array.from({length: 12}, (_, i) => i * 20)}));
  writeFileSync(join(dir, 'labels.idx'), encodeIdx({shape: [3], data: Uint8Array.from([2, 0, 1])}));
  const pair = {x: 'images.idx', y: 'labels.idx'};
  const data = loadFiles({name: 'files', format: 'idx', train: pair, test: pair, root: dir, scale: 255, shape: [2, 2, 1]});
  t.deepEqual(data.train.x, Float32Array.from({length: 12}, (_, i) => (i * 20) / 255));
  t.like(data, {features: 4, classes: 3, shape: [2, 2, 1], train: {y: Int32Array.from([2, 0, 1])}});
  t.is(data.source, 'idx files: images.idx + labels.idx (3 × 4), images.idx + labels.idx (3 × 4), 3 classes (from the labels) · shape [2, 2, 1] · features ÷ 255');
});

test('the files\' identity: each one\'s path as written, size and SHA-256; standardize and the validation split work as for any data set', (t) => {
  const dir = tempDir('normbench-files-');
  mkdirSync(join(dir, 'data'));
  const rows = (n: number, shift: number) => `a,b,y\n${Array.from({length: n}, (_, i) => `${i + shift},${(i * 3) % 5},${i % 2}`).join('\n')}\n`;
  writeFileSync(join(dir, 'data', 'train.csv'), rows(40, 10));
  writeFileSync(join(dir, 'data', 'test.csv'), rows(10, 0));
  const spec = csv({root: dir, train: 'data/train.csv', test: 'data/test.csv'});
  const data = loadDataset(spec);
  t.deepEqual(data.files, ['train', 'test'].map((s) => ({name: `${s}.csv`, path: `data/${s}.csv`, size: readFileSync(join(dir, 'data', `${s}.csv`)).length, sha256: sha256(join(dir, 'data', `${s}.csv`))})));
  t.is(dataKey(spec), 'files: data/train.csv, data/test.csv');
  const held = loadDataset({...spec, validation: 10, standardize: true});
  t.like(held, {train: {n: 30}, validation: {n: 10}, test: {n: 10}});
  // Standardized by the 30 examples trained on: feature a has mean 0 over them.
  const mean = held.train.x.filter((_, k) => k % 2 === 0).reduce((s, v) => s + v, 0) / 30;
  t.true(Math.abs(mean) < 1e-6, String(mean));
  t.regex(held.source, /standardized: each of the 2 input features by its mean and std over the 30 training examples/);
});

test('paths are relative to the file that writes them: the experiment, a parent named by extends, or the working directory for --set; run ids do not depend on where the experiment sits', (t) => {
  const root = tempDir('normbench-files-');
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), {recursive: true});
    writeFileSync(join(root, file), text);
  };
  write('shared/data/train.csv', 'a,y\n1,0\n2,1\n3,0\n4,1\n');
  write('shared/data/test.csv', 'a,y\n1,0\n2,1\n');
  write('shared/data.yaml', 'dataset: {name: files, format: csv, train: data/train.csv, test: data/test.csv, label: y}\n');
  const experiment = (name: string) => `name: ${name}\nquestion: q\nextends: ../shared/data.yaml\nmodel: {kind: mlp, hidden: [2]}\ntrain: {optimizer: sgd, lr: 0.1, batch_size: 2, steps: 2, eval_every: 1}\n`;
  write('a/exp.yaml', experiment('exp'));
  const loaded = loadExperiment(join(root, 'a', 'exp.yaml'));
  t.like(loaded.config.dataset, {train: '../shared/data/train.csv', test: '../shared/data/test.csv'});
  const run = loaded.expanded.runs[0]!;
  t.is((run.dataset as FilesSpec).root, join(root, 'a'));
  t.is(loadDataset(run.dataset).train.n, 4);
  // The same experiment elsewhere (its data beside it) trains the same runs: the same ids.
  write('b/c/exp.yaml', experiment('exp'));
  write('b/shared/data.yaml', readFileSync(join(root, 'shared', 'data.yaml'), 'utf8'));
  const elsewhere = loadExperiment(join(root, 'b', 'c', 'exp.yaml'));
  t.is(elsewhere.expanded.runs[0]!.run_id, run.run_id);
  // --set: relative to the working directory.
  const cwd = process.cwd();
  process.chdir(join(root, 'shared'));
  try {
    const set = loadExperiment(join(root, 'a', 'exp.yaml'), {set: ['dataset.test=data/train.csv']});
    t.is((set.config.dataset as FilesSpec).test, '../shared/data/train.csv');
    const grid = loadExperiment(join(root, 'a', 'exp.yaml'), {set: ['grid.dataset.train=[data/train.csv, data/test.csv]']});
    t.deepEqual((grid.config.grid as Record<string, unknown>)['dataset.train'], ['../shared/data/train.csv', '../shared/data/test.csv']);
    t.deepEqual(grid.expanded.runs.map((r) => loadDataset(r.dataset).train.n), [4, 2]);
  } finally {
    process.chdir(cwd);
  }
});
