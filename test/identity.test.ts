// What a run *is*: the identity of an experiment is what it trains — never its wording, targets,
// tolerances or claims — and a grid that changes keeps the finished runs it still holds (by
// run_id), trains only the new cells, and keeps (or with --prune drops) the runs that left it.
// Each changed directory must end equal to a fresh run of the changed experiment.
//
// backend-independent: its CLI runs name their backend (cpu).

import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {cli, cliInProcess as nb, readCsv, tempDir, TUNED, untimed} from './helpers.js';

const BASE = `name: grid
question: Does BN train faster here?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8, 8]}
train: {optimizer: sgd, lr: 0.2, batch_size: 12, steps: 60, eval_every: 20}
targets: {test_accuracy: 0.6}
`;
const RUN = ['--quiet', '--backend', 'cpu', '--workers', '1'];

function experiment(dir: string, name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

/** The directory holds what a fresh run of `file` writes (timing columns aside), in the same order. */
async function equalsFresh(t: import('ava').ExecutionContext, cwd: string, dir: string, file: string): Promise<void> {
  const fresh = `fresh-${file}`;
  const r = await nb(['run', file, '--out', fresh, ...RUN], cwd);
  t.is(r.code, 0, r.stderr);
  for (const csv of ['curves.csv', 'summary.csv']) {
    t.deepEqual(untimed(readCsv(join(cwd, dir, csv))), untimed(readCsv(join(cwd, fresh, csv))), `${dir}/${csv} equals a fresh run of ${file}`);
  }
  t.deepEqual(manifestOf(join(cwd, dir)).grid, manifestOf(join(cwd, fresh)).grid);
}

test('wording, targets and tolerances are not identity: the run goes on, says what changed, recomputes steps_to_*, and verify passes', async (t) => {
  const dir = tempDir('normbench-identity-');
  const first = experiment(dir, 'a.yaml', `${BASE}grid: {norm: [none, batch]}\n`);
  t.is(cli(['run', first, '--out', 'o', ...RUN], dir).code, 0);
  t.is(cli(['run', first, '--out', 'ref', ...RUN], dir).code, 0);
  const reworded = experiment(dir, 'b.yaml', `${BASE.replace('Does BN train faster here?', 'Is BN faster on this toy set?')
    .replace('targets: {test_accuracy: 0.6}', 'targets: {test_accuracy: [0.5, 0.6], train_loss: 0.9}\nverify: {rtol: 0.001}')}grid: {norm: [none, batch]}\n`);
  const again = await nb(['run', reworded, '--out', 'o', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stderr, /the experiment's question, targets, verify changed — not what it trains, so every finished run stays; steps_to_\* recomputed from curves\.csv/);
  t.regex(again.stderr, /all 2 runs were already in \S+ .*nothing to train/);
  const summary = readCsv(join(dir, 'o', 'summary.csv'));
  t.deepEqual(Object.keys(summary[0]!).filter((c) => c.startsWith('steps_to_')), ['steps_to_test_accuracy_0.5', 'steps_to_test_accuracy_0.6', 'steps_to_train_loss_0.9']);
  t.is(manifestOf(join(dir, 'o')).question, 'Is BN faster on this toy set?');
  await equalsFresh(t, dir, 'o', reworded);
  // The reference was written under the old wording: the same experiment, and the gate passes.
  const verify = await nb(['verify', 'o', '--reference', 'ref'], dir);
  t.is(verify.code, 0, verify.stdout);
  t.regex(verify.stdout, /config \w+ \(same as the reference\)/);
  t.regex(verify.stdout, /changed, not what it trains \(so it decides nothing\): question, targets, verify/);
  t.regex(verify.stdout, /^OK: 2 runs/m);
});

test('a grid that grows trains only its new cells and keeps the rest; cells that leave go to left-grid/<n> (or with --prune nowhere)', async (t) => {
  const dir = tempDir('normbench-identity-');
  const small = experiment(dir, 'small.yaml', `${BASE}grid: {norm: [none, batch]}\n`);
  t.is(cli(['run', small, '--out', 'o', ...RUN], dir).code, 0);
  const before = readCsv(join(dir, 'o', 'summary.csv'));

  // train.lr becomes a factor (a new column): the cells at 0.2 are the runs already trained.
  const grown = experiment(dir, 'grown.yaml', `${BASE}grid: {norm: [none, batch, layer], train.lr: [0.2, 0.4]}\n`);
  const r = await nb(['run', grown, '--out', 'o', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /the experiment changed \(grid\.norm, grid\.train\.lr\): kept 2 finished runs it still trains, training 4 new\./);
  t.regex(r.stderr, /resumed: kept 2 finished runs, trained 4\./);
  const after = readCsv(join(dir, 'o', 'summary.csv'));
  for (const run of before) {
    const same = after.find((x) => x.run_id === run.run_id)!;
    t.is(same.final_test_loss, run.final_test_loss, 'a kept run is not retrained');
    t.is(same.wall_s, run.wall_s, 'its timing too: the row is the one written before');
    t.is(same['train.lr'], '0.2', 'and its new factor column says its value');
  }
  await equalsFresh(t, dir, 'o', grown);

  // Explicit cells (blocks): none and batch at 0.2, layer at 0.4 — two batch and one none cells leave.
  const paired = experiment(dir, 'paired.yaml', `${BASE}grid:\n  - {norm: [none, batch], train.lr: 0.2}\n  - {norm: layer, train.lr: 0.4}\n`);
  const shrunk = await nb(['run', paired, '--out', 'o', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(shrunk.code, 0, shrunk.stderr);
  t.regex(shrunk.stderr, /kept 3 finished runs it still trains, training 0 new\. 3 that left it moved to \S+left-grid\/1 \(a results directory of its own; --prune drops them instead\)\./);
  await equalsFresh(t, dir, 'o', paired);
  const left = join(dir, 'o', 'left-grid', '1');
  const leftRows = readCsv(join(left, 'summary.csv'));
  t.deepEqual(leftRows.map((x) => `${x.norm}@${x['train.lr']}`), ['none@0.4', 'batch@0.4', 'layer@0.2']);
  t.deepEqual(manifestOf(left).runs.map((x: {run_id: string}) => x.run_id), leftRows.map((x) => x.run_id));
  const report = await nb(['report', left, '--out', join(dir, 'left-report')], dir);
  t.is(report.code, 0, `left-grid/1 is a results directory of its own: ${report.stderr}`);

  // --prune drops them; a grid that keeps none of the finished runs is another experiment.
  const one = experiment(dir, 'one.yaml', `${BASE}grid: {norm: [none]}\n`);
  const pruned = await nb(['run', one, '--out', 'o', '--prune', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(pruned.code, 0, pruned.stderr);
  t.regex(pruned.stderr, /kept 1 finished run it still trains, training 0 new\. 2 that left it dropped \(--prune\)\./);
  t.false(existsSync(join(dir, 'o', 'left-grid', '2')));
  const longer = experiment(dir, 'longer.yaml', `${BASE.replace('steps: 60', 'steps: 80')}grid: {norm: [none]}\n`);
  const refused = await nb(['run', longer, '--out', 'o', ...RUN], dir);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /holds results of another experiment: none of its 1 finished run is in the new grid\. What changed:\n {4}train\.steps: 60 → 80\nUse --force/);
  t.is(readCsv(join(dir, 'o', 'summary.csv')).length, 1, 'the refusal leaves the results alone');
});

test('merge joins directories of compatible experiments into one whose grid is theirs, each pinned; incompatible ones are refused by name', async (t) => {
  const dir = tempDir('normbench-identity-');
  const slow = experiment(dir, 'slow.yaml', `${BASE}grid: {norm: [none, batch]}\n`);
  const fast = experiment(dir, 'fast.yaml', `${BASE.replace('lr: 0.2', 'lr: 0.4').replace('name: grid', 'name: grid-fast').replace('test_accuracy: 0.6', 'test_accuracy: 0.5')}grid: {norm: [none, batch]}\n`);
  for (const [file, out] of [[slow, 'slow'], [fast, 'fast']] as const) t.is(cli(['run', file, '--out', out, ...RUN], dir).code, 0);
  const merged = await nb(['merge', 'slow', 'fast', '--out', 'both'], dir);
  t.is(merged.code, 0, merged.stderr);
  // What one experiment with both cells in its grid writes, the first directory's targets laid over both.
  const both = experiment(dir, 'both.yaml', `${BASE}grid:\n  - {norm: [none, batch], train.lr: 0.2}\n  - {norm: [none, batch], train.lr: 0.4}\n`);
  const fresh = await nb(['run', both, '--out', 'fresh', ...RUN], dir);
  t.is(fresh.code, 0, fresh.stderr);
  for (const csv of ['curves.csv', 'summary.csv']) t.deepEqual(untimed(readCsv(join(dir, 'both', csv))), untimed(readCsv(join(dir, 'fresh', csv))), csv);
  const m = manifestOf(join(dir, 'both'));
  t.deepEqual(m.config.grid, [{norm: ['none', 'batch']}, {'train.lr': [0.4], norm: ['none', 'batch']}]);
  t.deepEqual(m.merged_from.map((p: {experiment: string}) => p.experiment), ['grid', 'grid-fast']);
  const verify = await nb(['verify', 'both', '--reference', 'fresh'], dir);
  t.is(verify.code, 0, verify.stdout);
  t.regex(verify.stdout, /the same runs, written as another grid/);

  const probed = experiment(dir, 'probed.yaml', `${BASE.replace('lr: 0.2', 'lr: 0.8')}probes: [grad_norms]\ngrid: {norm: [none]}\n`);
  t.is(cli(['run', probed, '--out', 'probed', ...RUN], dir).code, 0);
  const refused = await nb(['merge', 'slow', 'probed', '--out', 'no'], dir);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /the directories' runs recorded other probes, evaluation modes or validation splits, so they cannot share tables: \S*slow \(grid\): probes none, eval_modes none, no validation split; \S*probed \(grid\): probes grad_norms, eval_modes none, no validation split/);
  const twice = await nb(['merge', 'slow', 'both', '--out', 'no'], dir);
  t.is(twice.code, 2);
  t.regex(twice.stderr, /runs appear in more than one directory:\n {2}- \w+ \(none · relu · seed 1\) in \S*slow and \S*both/);
  t.false(existsSync(join(dir, 'no')), 'nothing written');
});


test('a tuned experiment that gains a grid seed keeps every tuning run and its choices, and trains only the new seed\'s runs', async (t) => {
  const dir = tempDir('normbench-identity-');
  const two = experiment(dir, 'two.yaml', TUNED);
  t.is(cli(['run', two, '--out', 'o', ...RUN], dir).code, 0);
  const tuning = readFileSync(join(dir, 'o', 'tuning.csv'), 'utf8');
  const three = experiment(dir, 'three.yaml', TUNED.replace('seed: [1, 2]', 'seed: [1, 2, 3]'));
  const r = await nb(['run', three, '--out', 'o', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /the experiment changed \(grid\.seed\): kept 14 finished runs it still trains, training 0 new\./, 'the tuning: every run kept');
  t.regex(r.stderr, /the experiment changed \(grid\.seed\): kept 4 finished runs it still trains, training 2 new\./, 'the grid: the new seed only');
  t.regex(r.stderr, /resumed: kept 18 finished runs, trained 2\./);
  t.is(readFileSync(join(dir, 'o', 'tuning.csv'), 'utf8'), tuning, 'the same choices, from the same runs');
  const fresh = await nb(['run', three, '--out', 'fresh', ...RUN], dir);
  t.is(fresh.code, 0, fresh.stderr);
  for (const file of ['tuning.csv', 'tuning/curves.csv', 'tuning/summary.csv', 'curves.csv', 'summary.csv']) {
    t.deepEqual(untimed(readCsv(join(dir, 'o', file))), untimed(readCsv(join(dir, 'fresh', file))), file);
  }
});

test('the data files are part of a run\'s identity: results of other data refuse a resume (naming the file) and fail verify; --force retrains', async (t) => {
  const dir = tempDir('normbench-identity-');
  const mini = experiment(dir, 'mini.yaml', `name: mini
question: Does the data decide identity?
dataset: {name: fashion-mnist-mini, train_limit: 240, test_limit: 100}
model: {kind: mlp, hidden: [8]}
train: {optimizer: sgd, lr: 0.1, batch_size: 24, steps: 20, eval_every: 10}
`);
  t.is(cli(['run', mini, '--out', 'o', ...RUN], dir).code, 0);
  t.is(cli(['run', mini, '--out', 'ref', ...RUN], dir).code, 0);
  const manifest = manifestOf(join(dir, 'o'));
  t.deepEqual(manifest.data_files['fashion-mnist-mini'].map((f: {name: string}) => f.name),
    ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
  // Results made from other label files (as another copy of the data would have left them).
  const labels = manifest.data_files['fashion-mnist-mini'][1];
  labels.sha256 = 'f'.repeat(64);
  writeFileSync(join(dir, 'o', 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const refused = await nb(['run', mini, '--out', 'o', ...RUN], dir);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /holds results of a different run:\n {2}- the data differs: fashion-mnist-mini's train-labels-idx1-ubyte\.gz changed \(2\.8 kB, sha256 ffffffffffff… → 2\.8 kB, c19f57cf47fc…\)\nUse --force to retrain every run/);
  const verify = await nb(['verify', 'o', '--reference', 'ref'], dir);
  t.is(verify.code, 1);
  t.regex(verify.stdout, /the data differs: fashion-mnist-mini's train-labels-idx1-ubyte\.gz changed/);
  t.regex(verify.stdout, /^FAILED: different data\./m);
  const forced = await nb(['run', mini, '--out', 'o', '--force', ...RUN], dir);
  t.is(forced.code, 0, forced.stderr);
  t.is(manifestOf(join(dir, 'o')).data_files['fashion-mnist-mini'][1].sha256, 'c19f57cf47fcbe632dfdaa7503de15b59920f4badde8b1fd2e4844d08043dbd4');
});

test('changed grids and shards, left-grid merged back, norm options and targets: the edges of changing in place', async (t) => {
  const dir = tempDir('normbench-identity-');
  const base = experiment(dir, 'base.yaml', `${BASE}grid: {norm: [none, batch], seed: [1, 2]}\n`);
  const more = experiment(dir, 'more.yaml', `${BASE}grid: {norm: [none, batch], seed: [1, 2, 3]}\n`);
  // Two shards, then a seed more: a cell the change moved to the other shard leaves, and that shard trains it.
  for (const file of [base, more]) {
    for (const s of [1, 2]) {
      const r = await nb(['run', file, '--out', `sh${s}`, '--shard', `${s}/2`, '--backend', 'cpu', '--workers', '1'], dir);
      t.is(r.code, 0, r.stderr);
    }
  }
  t.is((await nb(['merge', 'sh1', 'sh2', '--out', 'merged'], dir)).code, 0);
  await equalsFresh(t, dir, 'merged', more);

  // left-grid/1 is an experiment of its own: merged back with the directory, it is the union.
  const one = experiment(dir, 'one.yaml', `${BASE}grid: {norm: [none, batch], seed: [1]}\n`);
  t.is(cli(['run', base, '--out', 'o', ...RUN], dir).code, 0);
  t.is((await nb(['run', one, '--out', 'o', ...RUN], dir)).code, 0);
  t.deepEqual(manifestOf(join(dir, 'o', 'left-grid', '1')).config.grid.map((b: {seed: number[]}) => b.seed), [[2], [2]]);
  t.is((await nb(['merge', 'o', join('o', 'left-grid', '1'), '--out', 'back'], dir)).code, 0);
  const back = await nb(['verify', 'back', '--reference', `fresh-${more}`, '--metric', 'final_test_loss'], dir);
  t.is(back.code, 1, 'seed 3 is not there');
  t.regex(back.stdout, /^FAILED: .*\b2 runs missing\./m, 'all but seed 3: the union of what was trained');
  t.regex(back.stdout, /^ {2}missing run \w+ \(none · relu · seed 3\)$/m);

  // A validation split where the finished runs have none: refused, nothing touched.
  const held = experiment(dir, 'held.yaml', `${BASE}grid:\n  - {norm: [none, batch], seed: [1]}\n  - {norm: batch, dataset.validation: 30}\n`);
  const refused = await nb(['run', held, '--out', 'o', ...RUN], dir);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /its runs recorded other things \(probes none, eval_modes none, no validation split; now probes none, eval_modes none, a validation split\)/);
  t.false(existsSync(join(dir, 'o', '.normbench.lock')));

  // Norms that differ in an option, and targets that differ, merge.
  const m9 = experiment(dir, 'm9.yaml', `${BASE}norm: {name: batch, momentum: 0.9}\n`);
  const m5 = experiment(dir, 'm5.yaml', `${BASE.replace('test_accuracy: 0.6', 'test_accuracy: 0.7')}norm: {name: batch, momentum: 0.5}\n`);
  t.is(cli(['run', m9, '--out', 'm9', ...RUN], dir).code, 0);
  t.is(cli(['run', m5, '--out', 'm5', ...RUN], dir).code, 0);
  const joined = await nb(['merge', 'm9', 'm5', '--out', 'm95'], dir);
  t.is(joined.code, 0, joined.stderr);
  t.deepEqual(readCsv(join(dir, 'm95', 'summary.csv')).map((r) => `${r.norm} ${r['steps_to_test_accuracy_0.6']}`).length, 2);
  t.deepEqual(manifestOf(join(dir, 'm95')).config.grid[1].norm, [{name: 'batch', momentum: 0.5}]);
});

test('a value a grid block gives is located in its block: validate points at the block that set a batch too large', async (t) => {
  const dir = tempDir('normbench-identity-');
  const file = experiment(dir, 'bs.yaml', `${BASE}grid:\n  - {norm: none}\n  - {norm: batch, train.batch_size: 500}\n`);
  const r = await nb(['validate', file], dir);
  t.is(r.code, 2);
  t.regex(r.stderr, /bs\.yaml:9:37 \(grid\[1\]\.train\.batch_size\[0\]\): batch_size 500 is larger than the training split: 120 examples of synthetic/);
});
