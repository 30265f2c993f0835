// Your own data through the real CLI: the bundled example (examples/own-data) made again byte for
// byte and trained; the manifest's record of each file (path, size, SHA-256); results made from
// other data refused by a rerun and by --resume, naming the file, and reported by verify in its
// header; two sets of files in one grid recorded apart.
//
// backend-independent: tiny CLI runs on cpu; the assertions are about files, not numbers.

import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {cpSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {cliInProcess as nb, readCsv, REPO, tempDir} from './helpers.js';

const EXAMPLE = join(REPO, 'examples', 'own-data');
const TINY = ['--quiet', '--backend', 'cpu', '--workers', '1', '--set', 'train.steps=4', '--set', 'train.eval_every=2', '--set', 'grid.seed=[1]'];
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

/** A copy of the example to change and train in. */
function project(): string {
  const dir = tempDir('normbench-own-');
  cpSync(EXAMPLE, dir, {recursive: true});
  return dir;
}

test('the example\'s CSV files are what make-data.mjs makes (byte for byte); a tiny run records each file\'s path, size and SHA-256', async (t) => {
  const again = tempDir('normbench-own-make-');
  const made = spawnSync(process.execPath, [join(EXAMPLE, 'make-data.mjs'), again], {encoding: 'utf8'});
  t.is(made.status, 0, made.stderr);
  for (const file of ['train.csv', 'test.csv']) t.is(sha256(join(again, file)), sha256(join(EXAMPLE, file)), file);

  const dir = project();
  const v = await nb(['validate', 'fashion-7x7.yaml'], dir);
  t.is(v.code, 0, v.stderr);
  t.regex(v.stdout, /^dataset files \(csv\): train\.csv, test\.csv · model mlp/m);
  t.regex(v.stdout, /^data: csv files: train\.csv \(1000 × 49\), test\.csv \(300 × 49\), 10 classes \(from the labels\) · shape \[7, 7, 1\] · features ÷ 255$/m);
  const r = await nb(['run', 'fashion-7x7.yaml', '--out', 'o', ...TINY], dir);
  t.is(r.code, 0, r.stderr);
  const manifest = manifestOf(join(dir, 'o'));
  t.deepEqual(manifest.data_files, {
    'files: train.csv, test.csv': ['train.csv', 'test.csv'].map((name) => ({name, path: name, size: readFileSync(join(dir, name)).length, sha256: sha256(join(dir, name))})),
  });
  t.deepEqual(manifest.config.dataset, {name: 'files', format: 'csv', train: 'train.csv', test: 'test.csv', label: 'class', shape: [7, 7, 1], scale: 255, validation: 100});
  t.regex(manifest.data['files: train.csv, test.csv'], /^csv files: train\.csv \(1000 × 49\), test\.csv \(300 × 49\), 10 classes \(from the labels\) · shape \[7, 7, 1\] · features ÷ 255 · validation: 100 examples held out/);
  t.deepEqual(readCsv(join(dir, 'o', 'summary.csv')).map((row) => `${row.norm} ${row.status}`), ['none ok', 'batch ok', 'layer ok']);
});

test('results made from other data: a rerun and --resume refuse them, naming the file; verify says so in its header; --force retrains', async (t) => {
  const dir = project();
  for (const out of ['o', 'ref']) t.is((await nb(['run', 'fashion-7x7.yaml', '--out', out, ...TINY], dir)).code, 0);
  const before = sha256(join(dir, 'train.csv'));
  // Relabel the first training image (9 → 8): the same size, other bytes.
  const text = readFileSync(join(dir, 'train.csv'), 'utf8');
  t.true(text.split('\n')[1]!.startsWith('9,'));
  writeFileSync(join(dir, 'train.csv'), text.replace('\n9,', '\n8,'));
  const after = sha256(join(dir, 'train.csv'));
  const changed = new RegExp(`the data differs: train\\.csv changed \\(146\\.8 kB, sha256 ${before.slice(0, 12)}… → 146\\.8 kB, ${after.slice(0, 12)}…\\)`);
  for (const extra of [[], ['--resume']]) {
    const refused = await nb(['run', 'fashion-7x7.yaml', '--out', 'o', ...extra, ...TINY], dir);
    t.is(refused.code, 2, extra.join(' '));
    t.regex(refused.stderr, /holds results of a different run:\n {2}- the data differs: train\.csv changed/);
    t.regex(refused.stderr, changed);
  }
  t.is((await nb(['run', 'fashion-7x7.yaml', '--out', 'o', '--force', ...TINY], dir)).code, 0);
  t.is(manifestOf(join(dir, 'o')).data_files['files: train.csv, test.csv'][0].sha256, after);
  const verify = await nb(['verify', 'o', '--reference', 'ref'], dir);
  t.is(verify.code, 1);
  const header = verify.stdout.split('\n\n')[0]!;
  t.regex(header, changed);
  t.regex(verify.stdout, /^FAILED: different data/m);
});

test('two sets of files in one grid are two data sets: each recorded with its own files', async (t) => {
  const dir = project();
  writeFileSync(join(dir, 'half.csv'), readFileSync(join(dir, 'train.csv'), 'utf8').split('\n').slice(0, 501).join('\n'));
  writeFileSync(join(dir, 'grid.yaml'), `name: two-sets
question: Does a smaller training file change the answer?
dataset: {name: files, format: csv, train: train.csv, test: test.csv, label: class, scale: 255}
model: {kind: mlp, hidden: [8]}
train: {optimizer: sgd, lr: 0.1, batch_size: 50, steps: 4, eval_every: 2}
grid:
  dataset:
    - {name: files, format: csv, train: train.csv, test: test.csv, label: class, scale: 255}
    - {name: files, format: csv, train: half.csv, test: test.csv, label: class, scale: 255}
`);
  const r = await nb(['run', 'grid.yaml', '--out', 'o', '--quiet', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(r.code, 0, r.stderr);
  const manifest = manifestOf(join(dir, 'o'));
  t.deepEqual(Object.keys(manifest.data_files), ['files: train.csv, test.csv', 'files: half.csv, test.csv']);
  t.is(manifest.data_files['files: half.csv, test.csv'][0].sha256, sha256(join(dir, 'half.csv')));
  t.regex(manifest.data['files: half.csv, test.csv'], /half\.csv \(500 × 49\)/);
  t.is(new Set(manifest.runs.map((run: {run_id: string}) => run.run_id)).size, 2);
});

test('your own images feed a convnet through dataset.shape ([H, W, C], or [H, W] for one channel); without a shape, model cnn is a located error', async (t) => {
  const dir = project();
  const cnn = ['--set', 'model={kind: cnn, channels: [4], pool: max, hidden: []}', '--set', 'grid.norm=[none, batch]'];
  const r = await nb(['run', 'fashion-7x7.yaml', '--out', 'c', ...TINY, ...cnn], dir);
  t.is(r.code, 0, r.stderr);
  const summary = readCsv(join(dir, 'c', 'summary.csv'));
  t.deepEqual(summary.map((row) => [row.norm, row.status]), [['none', 'ok'], ['batch', 'ok']]);
  // conv 3×3, 1 → 4 channels (36 weights + 4 biases), then gap and the dense output 4 → 10 (50).
  t.is(summary[0]!.params, '90');
  const twoAxes = await nb(['validate', 'fashion-7x7.yaml', ...cnn, '--set', 'dataset.shape=[7, 7]'], dir);
  t.is(twoAxes.code, 0, twoAxes.stderr);
  const none = await nb(['validate', 'fashion-7x7.yaml', ...cnn, '--set', 'dataset.shape=[49]'], dir);
  t.is(none.code, 2);
  t.regex(none.stderr, /fashion-7x7\.yaml:\d+:\d+.*model cnn reads images: give your data's image shape as dataset\.shape, \[H, W\] or \[H, W, C\]/s);
});
