// `normbench run --stack`: the runs that differ only in seed and learning rate train as one
// stacked model, and every file says the same as without it — in one process, in workers, and
// resumed after an interruption. Which runs share a stack, and why the others train alone.
//
// backend-independent: its CLI runs name their backend (wasm); the plans are made for a backend named in the test.

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {parse} from 'csv-parse/sync';
import {expandExperiment} from '../../src/config/expand.js';
import type {RunSpec} from '../../src/spec/experiment.js';
import {loadExperiment} from '../../src/config/load.js';
import {planUnits} from '../../src/run/units.js';
import {cli, cliInProcess as nb, killWorker, readCsv, start, tempDir, untimed, until, wait} from '../helpers.js';

// 3 norms × 2 learning rates × 3 seeds: none and batch stack (6 runs each), weight trains alone.
// Probes and evaluation modes ride along: they read each replicate's weights at its points. At
// lr 1e9, two of none's seeds diverge while the rest of their stack trains on.
const GRID = `name: stacked
question: Does a stack train each run as it trains alone?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8, 8]}
train: {optimizer: sgd, lr: 0.1, batch_size: 12, steps: 200, eval_every: 50}
probes: [dead_units, param_norms]
eval_modes: [ema, batch]
grid:
  norm: [none, batch, weight]
  activation: [relu]
  seed: [1, 2, 3]
  train.lr: [0.1, 1e9]
`;

const FILES = ['curves.csv', 'summary.csv', 'diagnostics.csv'];
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {runs: Array<{run_id: string; norm: string; stacked_with?: string[]}>; state: string};

test('--stack writes exactly what a run without it writes, in one process and in two workers', async (t) => {
  const dir = tempDir('normbench-stack-');
  writeFileSync(join(dir, 'g.yaml'), GRID);
  const plain = await nb(['run', 'g.yaml', '--out', 'plain', '--workers', '1', '--quiet', '--backend', 'wasm'], dir);
  const one = await nb(['run', 'g.yaml', '--out', 'one', '--workers', '1', '--stack', '--backend', 'wasm'], dir);
  const two = cli(['run', 'g.yaml', '--out', 'two', '--workers', '2', '--stack', '--backend', 'wasm'], dir);
  for (const r of [plain, one, two]) t.is(r.code, 0, r.stderr);
  for (const file of FILES) {
    const expected = untimed(readCsv(join(dir, 'plain', file)));
    t.true(expected.length >= 18, file);
    t.deepEqual(untimed(readCsv(join(dir, 'one', file))), expected, `one process: ${file}`);
    t.deepEqual(untimed(readCsv(join(dir, 'two', file))), expected, `two workers: ${file}`);
  }
  const statuses = readCsv(join(dir, 'one', 'summary.csv')).filter((r) => r.norm === 'none').map((r) => r.status);
  t.deepEqual(statuses.filter((s) => s === 'diverged').length, 2, statuses.join(' '));
  for (const r of [one, two]) {
    t.regex(r.stderr, /^ {2}stacked: 12 runs in 2 stacks of 6$/m);
    t.regex(r.stderr, /^ {2}alone: 6 runs — norm weight cannot be stacked \(none, batch, layer only\)$/m);
  }
  // The manifest names each run's stack mates; the runs trained alone have none.
  const runs = manifest(join(dir, 'one')).runs;
  const none = runs.filter((r) => r.norm === 'none').map((r) => r.run_id);
  t.deepEqual(runs.find((r) => r.run_id === none[0])!.stacked_with, none.slice(1));
  t.true(runs.filter((r) => r.norm.startsWith('weight')).every((r) => r.stacked_with === undefined));
  t.true(manifest(join(dir, 'plain')).runs.every((r) => r.stacked_with === undefined));
});

// none and batch × 3 seeds: two stacks of 3.
const TWO_STACKS = (steps: number) => GRID.replace('steps: 200', `steps: ${steps}`).replace('norm: [none, batch, weight]', 'norm: [none, batch]').replace('train.lr: [0.1, 1e9]', 'train.lr: [0.1]');
const startedRuns = (stderr: string) => (stderr.match(/^\[\d\/6\] \w+ · /gm) ?? []).length;

test('a stacked grid interrupted mid-stack resumes to the files of an uninterrupted run', async (t) => {
  const dir = tempDir('normbench-stack-');
  writeFileSync(join(dir, 'g.yaml'), TWO_STACKS(1500));
  const run = start(['run', 'g.yaml', '--out', 'o', '--workers', '1', '--stack', '--backend', 'wasm'], dir, `stack-int-${process.pid}`);
  // The first stack (none, 3 seeds) is done and the second has started: stop it, once (a
  // second Ctrl-C would exit at once).
  await until(() => (run.stderr().match(/^ {2}\[\d\/6\] ok /gm) ?? []).length === 3 && /^ {2}\[[456]\/6\] step /m.test(run.stderr()));
  run.child.kill('SIGINT');
  t.is(await run.done, 130, run.stderr());
  t.regex(run.stderr(), /kept 3 finished runs of 6 in \S+\. The 3 runs in progress were dropped\./);
  t.is(manifest(join(dir, 'o')).state, 'interrupted');
  const resumed = await nb(['run', 'g.yaml', '--out', 'o', '--resume', '--workers', '1', '--stack', '--backend', 'wasm'], dir);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stderr, /stacked: 3 runs in 1 stack of 3/);
  const plain = await nb(['run', 'g.yaml', '--out', 'plain', '--workers', '1', '--quiet', '--backend', 'wasm'], dir);
  t.is(plain.code, 0, plain.stderr);
  for (const file of FILES) t.deepEqual(untimed(readCsv(join(dir, 'o', file))), untimed(readCsv(join(dir, 'plain', file))), file);
});

test('a worker that dies in the middle of a stack fails that stack’s runs only; the other stack finishes', async (t) => {
  const dir = tempDir('normbench-stack-');
  writeFileSync(join(dir, 'g.yaml'), TWO_STACKS(4000));
  const mark = `stack-die-${process.pid}`;
  const run = start(['run', 'g.yaml', '--out', 'o', '--workers', '2', '--stack', '--backend', 'wasm'], dir, mark);
  await until(() => startedRuns(run.stderr()) === 6);
  await wait(500);
  killWorker(mark);
  t.is(await run.done, 1, run.stderr());
  const rows = readCsv(join(dir, 'o', 'summary.csv'));
  t.is(rows.length, 6);
  const failed = rows.filter((r) => r.status === 'failed');
  t.is(failed.length, 3, JSON.stringify(rows.map((r) => `${r.norm} ${r.status}`)));
  t.is(new Set(failed.map((r) => r.norm)).size, 1, 'the three failed runs are one stack');
  t.true(failed.every((r) => /its worker process died \(SIGKILL\)/.test(r.message!)));
  t.true(rows.filter((r) => r.status !== 'failed').every((r) => r.status === 'ok' && r.norm !== failed[0]!.norm));
});

const PLANS = tempDir('normbench-stack-plan-');

function plan(yaml: string, backend = 'wasm', workers = 1) {
  const file = join(PLANS, 'g.yaml');
  writeFileSync(file, yaml);
  const runs: RunSpec[] = expandExperiment(loadExperiment(file)).runs;
  const {units, single} = planUnits(runs, backend, workers);
  return {units: units.map((u) => u.map((s) => s.index)), single: Object.fromEntries(single)};
}

test('which runs share a stack: everything equal but seed and learning rate', (t) => {
  t.deepEqual(plan(GRID), {
    units: [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], [12], [13], [14], [15], [16], [17]],
    single: {'norm weight cannot be stacked (none, batch, layer only)': 6},
  });
  // Other factors (here the activation and the batch size) part stacks.
  const mixed = GRID.replace('norm: [none, batch, weight]', 'norm: [layer]').replace('activation: [relu]', 'activation: [relu, tanh]')
    .replace('train.lr: [0.1, 1e9]', 'train.batch_size: [6, 12]');
  t.deepEqual(plan(mixed).units, [[0, 2, 4], [1, 3, 5], [6, 8, 10], [7, 9, 11]]);
  // Other optimizers, clipping, recurrent models and regression train alone, each with its reason.
  const nb = GRID.replace('norm: [none, batch, weight]', 'norm: [none, batch]');
  t.deepEqual(plan(nb.replace('optimizer: sgd', 'optimizer: adam')).single, {'only plain SGD without clipping can be stacked': 12});
  t.deepEqual(plan(nb.replace('eval_every: 50', 'eval_every: 50, clip_norm: 1')).single, {'only plain SGD without clipping can be stacked': 12});
  const regression = GRID.replace(/dataset: .*/, 'dataset: {name: adding, length: 4, train_size: 100, test_size: 50}').replace('norm: [none, batch, weight]', 'norm: [none]');
  t.deepEqual(plan(regression).single, {'only classification can be stacked': 6});
  const lstm = `name: l
question: q
dataset: {name: fashion-mnist-mini-rows, train_limit: 100, test_limit: 50}
model: {kind: lstm, hidden: 8}
train: {optimizer: sgd, lr: 0.1, batch_size: 10, steps: 10, eval_every: 5}
grid: {norm: [none], seed: [1, 2]}
`;
  t.deepEqual(plan(lstm).single, {'model lstm cannot be stacked (mlp only)': 2});
  t.deepEqual(plan(GRID.replace('norm: [none, batch, weight]', 'norm: [none]').replace('seed: [1, 2, 3]', 'seed: [1]').replace('train.lr: [0.1, 1e9]', 'train.lr: [0.1]')).single,
    {'no other run to stack with (same cell, another seed or learning rate)': 1});
});

test('on tensorflow every run trains alone, and says why', (t) => {
  const {units, single} = plan(GRID, 'tensorflow');
  t.is(units.length, 18);
  t.deepEqual(single, {'stacking is off on the tensorflow backend (its stacked arithmetic is not bit for bit the unstacked one)': 18});
});

test('no stack holds more than its share of the stackable runs, so that the workers share the work', (t) => {
  const one = GRID.replace('norm: [none, batch, weight]', 'norm: [batch]').replace('train.lr: [0.1, 1e9]', 'train.lr: [0.1]').replace('seed: [1, 2, 3]', 'seed: [1, 2, 3, 4, 5]');
  t.deepEqual(plan(one, 'wasm', 1), {units: [[0, 1, 2, 3, 4]], single: {}});
  t.deepEqual(plan(one, 'wasm', 2), {units: [[0, 1], [2, 3, 4]], single: {}});
  t.deepEqual(plan(one, 'wasm', 3), {units: [[0], [1, 2], [3, 4]], single: {'split off a stack so that every worker has a share': 1}});
  // 12 stackable runs in two stacks of 6 fill two workers; with 4, each stack is halved.
  t.deepEqual(plan(GRID, 'wasm', 2).units.length, 8);
  t.deepEqual(plan(GRID, 'wasm', 4).units.slice(0, 4), [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]);
  // One big stack and one run that cannot stack: the stack no longer keeps one worker busy alone.
  const lopsided = GRID.replace('norm: [none, batch, weight]', 'norm: [batch]').replace('seed: [1, 2, 3]', 'seed: [1, 2, 3, 4, 5]')
    .replace('train.lr: [0.1, 1e9]', 'train.lr: [0.1]').replace('grid:', 'grid:\n  train.optimizer: [sgd, adam]');
  t.deepEqual(plan(lopsided, 'wasm', 2).units.map((u) => u.length), [2, 3, 1, 1, 1, 1, 1]);
});
