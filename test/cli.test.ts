// End to end through the real CLI (bin/run.js), on tiny synthetic experiments: a run and its
// rerun, --json, validate and list in a process of their own; the other checks run the same
// commands in this process (helpers' cliInProcess).
//
// backend-independent: its CLI runs name their backend (wasm) or take auto, which is wasm for these small models.

import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {parse} from 'csv-parse/sync';
import {NORMS} from '../src/spec/names.js';
import {cli, cliInProcess as nb, readCsv, REPO, tempDir, untimed, type Row} from './helpers.js';

const TINY = `name: tiny
question: Does the harness run end to end?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8, 8]}
train: {optimizer: sgd, lr: 0.2, batch_size: 12, steps: 30, eval_every: 10}
grid:
  norm: [none, batch]
  activation: [relu, tanh]
targets: {test_accuracy: [0.5, 0.99]}
`;

function workdir(files: Record<string, string> = {'tiny.yaml': TINY}): string {
  const dir = tempDir('normbench-cli-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const header = (file: string): string[] => readFileSync(file, 'utf8').split('\n')[0]!.split(',');

test('run writes curves.csv, summary.csv and manifest.json with the contract columns; a rerun gives identical results', (t) => {
  const dir = workdir();
  const first = cli(['run', 'tiny.yaml', '--out', 'a', '--quiet', '--backend', 'wasm'], dir);
  t.is(first.code, 0, first.stderr);
  t.is(first.stderr, '');
  t.regex(first.stdout, /final test accuracy %/);
  t.deepEqual(header(join(dir, 'a', 'curves.csv')),
    ['run_id', 'norm', 'activation', 'seed', 'step', 'epoch', 'train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'wall_ms']);
  t.deepEqual(header(join(dir, 'a', 'summary.csv')).slice(0, 16), ['run_id', 'norm', 'activation', 'seed', 'status', 'steps',
    'final_test_loss', 'final_test_accuracy', 'best_test_accuracy', 'best_step', 'steps_to_test_accuracy_0.5',
    'steps_to_test_accuracy_0.99', 'time_to_test_accuracy_0.5_s', 'time_to_test_accuracy_0.99_s', 'train_loss_auc', 'steps_per_s']);
  const summary = readCsv(join(dir, 'a', 'summary.csv'));
  t.deepEqual(summary.map((r) => `${r.norm}/${r.activation}/${r.status}/${r.steps}`), ['none/relu/ok/30', 'none/tanh/ok/30', 'batch/relu/ok/30', 'batch/tanh/ok/30']);
  const curves = readCsv(join(dir, 'a', 'curves.csv'));
  t.is(curves.length, 4 * 4);
  t.deepEqual(curves.slice(0, 4).map((r) => r.step), ['0', '10', '20', '30']);
  const manifest = JSON.parse(readFileSync(join(dir, 'a', 'manifest.json'), 'utf8'));
  t.is(manifest.experiment, 'tiny');
  t.is(manifest.backend, 'wasm');
  t.is(manifest.state, 'complete');
  t.is(manifest.runs.length, 4);
  t.is(manifest.config.train.lr, 0.2);

  const second = cli(['run', 'tiny.yaml', '--out', 'b', '--quiet', '--backend', 'wasm'], dir);
  t.is(second.code, 0, second.stderr);
  for (const file of ['curves.csv', 'summary.csv']) {
    t.deepEqual(untimed(readCsv(join(dir, 'b', file))), untimed(readCsv(join(dir, 'a', file))), file);
  }
});

test('--json prints the summary as JSON on stdout; --set overrides; progress goes to stderr', async (t) => {
  const dir = workdir();
  const r = cli(['run', 'tiny.yaml', '--json', '--set', 'train.steps=12', '--set', 'grid.norm=[layer]'], dir);
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  t.is(json.experiment, 'tiny');
  t.is(json.runs.length, 2);
  t.deepEqual(json.runs.map((x: Row) => [x.norm, x.activation, x.steps]), [['layer', 'relu', 12], ['layer', 'tanh', 12]]);
  t.is(typeof json.runs[0].final_test_accuracy, 'number');
  t.true(existsSync(join(dir, 'results', 'tiny', 'summary.csv')), 'default output directory results/<name>');

  const plain = await nb(['run', 'tiny.yaml', '--set', 'train.steps=8', '--set', 'grid.norm=[none]', '--out', 'p'], dir);
  t.regex(plain.stderr, /normbench: 2 runs on backend \w+/);
  t.regex(plain.stderr, /\[1\/2\] none · relu · seed 1 \([0-9a-f]{12}\): 8 steps/);
});

test('a diverged run is recorded and the grid goes on', async (t) => {
  const dir = workdir();
  const r = await nb(['run', 'tiny.yaml', '--quiet', '--out', 'd', '--set', 'train.lr=1e30', '--set', 'grid.norm=[none, layer]'], dir);
  t.is(r.code, 0, r.stderr);
  const rows = readCsv(join(dir, 'd', 'summary.csv'));
  t.is(rows.length, 4);
  t.true(rows.some((row) => row.status === 'diverged'), JSON.stringify(rows.map((x) => x.status)));
  for (const row of rows.filter((x) => x.status === 'diverged')) t.regex(row.message!, /training loss became/);
});

test('a failing run is recorded as failed, the rest run, and the exit code is 1', async (t) => {
  const dir = workdir();
  // A batch larger than the data would be refused before training (exit 2): the cell fails on purpose instead.
  const r = await nb(['run', 'tiny.yaml', '--quiet', '--out', 'f', '--set', 'grid.train.batch_size=[12, 24]', '--set', 'grid.norm=[none]', '--set', 'grid.activation=[relu]'], dir,
    {env: {NORMBENCH_FAIL_CELLS: 'train.batch_size=24'}});
  t.is(r.code, 1);
  const rows = readCsv(join(dir, 'f', 'summary.csv'));
  t.deepEqual(rows.map((x) => [x['train.batch_size'], x.status]), [['12', 'ok'], ['24', 'failed']]);
  t.is(rows[1]!.message!, 'failed on purpose: $NORMBENCH_FAIL_CELLS names train.batch_size=24');
});

test('bad input: exit 2, file:line:col and a suggestion, nothing written', async (t) => {
  const dir = workdir({'bad.yaml': TINY.replace('optimizer: sgd', 'optimizer: sdg')});
  const r = await nb(['run', 'bad.yaml', '--out', 'never'], dir);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad\.yaml:5:20 \(train\.optimizer\): Unknown optimizer "sdg" — did you mean "sgd"\?/);
  t.false(existsSync(join(dir, 'never')));
  const missing = await nb(['run', 'nope.yaml'], dir);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /nope\.yaml: file not found/);
  const badBackend = await nb(['run', 'bad.yaml', '--backend', 'gpu'], dir);
  t.is(badBackend.code, 2);
  writeFileSync(join(dir, 'full.yaml'), TINY.replace(/^dataset: .*$/m, 'dataset: {name: fashion-mnist, data_dir: nowhere}'));
  const noData = await nb(['run', 'full.yaml', '--out', 'never'], dir);
  t.is(noData.code, 2);
  t.regex(noData.stderr, /full\.yaml:3:42 \(dataset\.data_dir\): nowhere \(\S*nowhere\): no such directory; dataset\.data_dir names a directory holding the four Fashion-MNIST IDX files/);
  t.false(existsSync(join(dir, 'never')));
});

test('validate prints the grid and exits 0; list shows the registries and bundled experiments', async (t) => {
  const dir = workdir();
  const v = cli(['validate', 'tiny.yaml'], dir);
  t.is(v.code, 0, v.stderr);
  t.regex(v.stdout, /grid: norm \(2\) × activation \(2\) = 4 runs/);
  t.regex(v.stdout, /3\s+[0-9a-f]{12}\s+batch\s+tanh\s+1/);
  const l = cli(['list'], dir);
  t.is(l.code, 0, l.stderr);
  for (const word of ['batch', 'layer', 'weight', 'sigmoid', 'fashion-mnist-mini', 'mlp', '  quickstart  ']) t.true(l.stdout.includes(word), word);
  const bad = await nb(['list', 'norm'], dir);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /Unknown topic "norm" — did you mean "norms"\?/);
  // The options of issue 18: the MLP's dropout and hidden [], a norm's placement where it has one.
  const models = await nb(['list', 'models'], dir);
  t.regex(models.stdout, /^ {2}mlp .*options: hidden=required \(widths; \[\] = logistic regression\), dropout=0 \(inverted, on each hidden layer's output\), init=glorot_uniform, init_std=0\.01$/m);
  t.regex(models.stdout, /^ {2}lstm .*options: hidden=required, layers=1, .*forget_bias=1$/m);
  const norms = await nb(['list', 'norms'], dir);
  t.regex(norms.stdout, /^ {2}batch .*placement=pre \(or post: after the activation; mlp only\)$/m);
  t.notRegex(norms.stdout, /^ {2}weight .*placement/m);
});

test('list experiments shows where each bundled file lives: relative under the working directory, else absolute; --json has it absolute', async (t) => {
  const inside = await nb(['list', 'experiments'], REPO);
  t.regex(inside.stdout, /^ {2}quickstart +On a small real Fashion-MNIST set.*\n {2} +experiments\/quickstart\.yaml$/m);
  const elsewhere = await nb(['list', 'experiments'], tempDir('normbench-list-'));
  t.regex(elsewhere.stdout, new RegExp(`^ {2} +${join(REPO, 'experiments', 'quickstart.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  const json = JSON.parse((await nb(['list', 'experiments', '--json'], REPO)).stdout);
  t.like(json.experiments.find((e: {name: string}) => e.name === 'quickstart'), {file: join(REPO, 'experiments', 'quickstart.yaml')});
  t.true(json.experiments.every((e: {file: string}) => existsSync(e.file)));
});

/** How each norm is named in prose: a Record over the catalog cannot forget one. */
const NORM_WORDS: Record<(typeof NORMS)[number], RegExp> = {
  none: /\bnone\b/, batch: /\bBatchNorm\b/, layer: /\bLayerNorm\b/, weight: /\bWeightNorm\b/, group: /\bGroupNorm\b/, rms: /\bRMSNorm\b/,
  renorm: /\bBatch Renormalization\b/, 'mean-only': /\bmean-only BN\b/, 'centered-stopgrad': /centring (done )?outside the gradient step/, 'bn-rnn': /\bBN-RNN\b/,
  instance: /\bInstanceNorm\b/,
};

test('the top-level description (package.json, normbench --help) and the README\'s opening name every norm', async (t) => {
  const description = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {description: string}).description;
  const opening = readFileSync(join(REPO, 'README.md'), 'utf8').split('\n## ')[0]!.replace(/\s+/g, ' ');
  t.true((await nb(['--help'], REPO)).stdout.startsWith(description), 'normbench --help opens with it');
  for (const norm of NORMS) {
    t.regex(description, NORM_WORDS[norm], `package.json's description names ${norm}`);
    t.regex(opening, NORM_WORDS[norm], `the README's opening names ${norm}`);
  }
});
