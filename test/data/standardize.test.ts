// Standardized inputs (`dataset.standardize: true`): statistics from the training split trained
// on only (after the validation hold-out and train_limit), applied to every split; constant
// features; sequences pooled over the steps; `standardize: false` is today's data and run ids,
// bit for bit; the key in grids, in errors, in the manifest and with --stack.
//
// backend-independent: its CLI runs name their backend (wasm); the rest computes no tensor.

import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {expandExperiment, expandResolved} from '../../src/config/expand.js';
import {gridableKeys} from '../../src/config/grid.js';
import {loadExperiment} from '../../src/config/load.js';
import {datasetSchema, experimentSchema} from '../../src/config/schema.js';
import {loadDataset} from '../../src/data/registry.js';
import {applyStats, featureStats, standardized} from '../../src/data/standardize.js';
import type {Dataset, Split} from '../../src/data/types.js';
import {configHash, type Manifest} from '../../src/results/manifest.js';
import {readTuningChoices} from '../../src/results/tuning.js';
import {tunedExpanded} from '../../src/run/tuning.js';
import {DATASETS} from '../../src/spec/names.js';
import {stableStringify} from '../../src/util/canonical.js';
import {tuneSpec} from '../../src/spec/tune.js';
import {cliInProcess as nb, readCsv, REPO, tempDir, untimed, userErrorMessage as message} from '../helpers.js';

const split = (rows: number[][]): Split => ({x: Float32Array.from(rows.flat()), y: new Int32Array(rows.length), n: rows.length, width: rows[0]!.length});
const rowsOf = (s: Split): number[][] => Array.from({length: s.n}, (_, i) => Array.from(s.x.subarray(i * s.width, (i + 1) * s.width)));

/** Per-feature mean and (biased) std over a split, in float64: `features` values per step, pooled over the steps. */
function moments(s: Split, features: number): {mean: number[]; std: number[]} {
  const sum = new Array<number>(features).fill(0);
  const sq = new Array<number>(features).fill(0);
  for (let k = 0; k < s.n * s.width; k++) sum[k % features]! += s.x[k]!;
  const count = (s.n * s.width) / features;
  const mean = sum.map((v) => v / count);
  for (let k = 0; k < s.n * s.width; k++) sq[k % features]! += (s.x[k]! - mean[k % features]!) ** 2;
  return {mean, std: sq.map((v) => Math.sqrt(v / count))};
}

const worst = (values: number[], target: number) => Math.max(...values.map((v) => Math.abs(v - target)));

test('statistics from the training split only: the test split is mapped by the training mean and std; a constant feature is only shifted', (t) => {
  // Feature 0 ∈ {1, 3}: μ 2, σ 1. Feature 1 ∈ {10, 30}: μ 20, σ 10. Feature 2 is 5 throughout: σ 0, divided by 1.
  const train = split([[1, 10, 5], [3, 30, 5], [1, 30, 5], [3, 10, 5]]);
  // The test split lies elsewhere (its own means 4, 10, 6): standardized by its own statistics it would be centred; by the training split's it is not.
  const testSplit = split([[6, 0, 7], [2, 20, 5]]);
  const stats = featureStats(train, 3);
  t.deepEqual(Array.from(stats.mean), [2, 20, 5]);
  t.deepEqual(Array.from(stats.scale), [1, 10, 1]);
  t.is(stats.n, 4);
  t.is(stats.constant, 1);
  const data: Dataset = {name: 'made', task: 'classification', features: 3, classes: 2, train, validation: split([[2, 40, 4]]), test: testSplit, source: 'made'};
  const s = standardized(data);
  t.deepEqual(rowsOf(s.train), [[-1, -1, 0], [1, 1, 0], [-1, 1, 0], [1, -1, 0]]);
  t.deepEqual(rowsOf(s.test), [[4, -2, 2], [0, 0, 0]]);
  t.deepEqual(rowsOf(s.validation!), [[0, 2, -1]]);
  t.is(s.source, 'made · standardized: each of the 3 input features by its mean and std over the 4 training examples trained on (not validation or test); 1 constant (std 0), only shifted');
  // The data set it was made from is left as it was.
  t.deepEqual(rowsOf(data.test), [[6, 0, 7], [2, 20, 5]]);
  t.is(standardized({...data, validation: undefined}).validation, undefined);
});

test('through the loader: the validation split is held out and train_limit applied before the statistics; every split gets the same map', (t) => {
  // Shifted (4), unevenly scaled (×0.5 … ×2) features: far from mean 0, std 1 as generated.
  const raw = {name: 'synthetic', features: 6, classes: 3, train_size: 400, test_size: 100, separation: 1.5, seed: 3, validation: 50, train_limit: 200} as const;
  const plain = loadDataset(raw);
  const s = loadDataset({...raw, standardize: true});
  t.is(s.train.n, 200);
  t.is(s.validation!.n, 50);
  t.true(worst(moments(plain.train, 6).mean, 0) > 3, 'the raw features are off-centre');
  // 1. The training split trained on: mean 0, std 1 per feature, to float32 precision.
  const m = moments(s.train, 6);
  t.true(worst(m.mean, 0) < 1e-6, `means ${m.mean}`);
  t.true(worst(m.std, 1) < 1e-6, `stds ${m.std}`);
  // 2. They are the statistics of those 200 examples: not of the 350 left after the hold-out, nor with the validation split.
  const stats = featureStats(plain.train, 6);
  const before = featureStats(loadDataset({...raw, train_limit: undefined}).train, 6);
  t.notDeepEqual(Array.from(stats.mean), Array.from(before.mean));
  // 3. Validation and test are the same examples as without standardize, mapped by those statistics, bit for bit.
  t.deepEqual(s.validation!.y, plain.validation!.y);
  t.deepEqual(s.validation!.x, applyStats(plain.validation!, stats).x);
  t.deepEqual(s.test.x, applyStats(plain.test, stats).x);
  t.deepEqual(s.train.x, applyStats(plain.train, stats).x);
  // Not their own statistics: the held-out examples are not exactly centred.
  t.true(worst(moments(s.validation!, 6).mean, 0) > 1e-3);
  t.true(worst(moments(s.test, 6).mean, 0) > 1e-3);
  // A grid of runs standardizes once.
  t.is(loadDataset({...raw, standardize: true}), s);
  t.regex(s.source, / · standardized: each of the 6 input features by its mean and std over the 200 training examples trained on \(not validation or test\)$/);
});

test('a sequence is standardized per input, pooled over its steps; a longer test sequence gets the same map', (t) => {
  // Rows: 28 inputs (pixel columns) a step, 28 steps. Pooled: each column has mean 0, std 1 over all rows of all training images.
  const spec = {name: 'fashion-mnist-mini-rows', train_limit: 600, test_limit: 100} as const;
  const s = loadDataset({...spec, standardize: true});
  const m = moments(s.train, 28);
  t.true(worst(m.mean, 0) < 1e-6);
  t.true(worst(m.std, 1) < 1e-6);
  // Not per step: the blank top row (step 0) stays below its column's mean.
  const top = moments({...s.train, x: Float32Array.from({length: s.train.n * 28}, (_, k) => s.train.x[Math.floor(k / 28) * 784 + (k % 28)]!), width: 28}, 28);
  t.true(Math.max(...top.mean) < -0.1, `step 0 means ${top.mean.map((v) => v.toFixed(2))}`);
  t.regex(s.source, /standardized: each of the 28 inputs of a step, pooled over the steps, by its mean and std over the 600 training examples/);
  // Adding: value ~ U(0, 1) and marker (1 at 2 of 20 steps); test sequences of 80 steps.
  const adding = {name: 'adding', length: 20, eval_length: 80, train_size: 500, test_size: 50, seed: 1} as const;
  const a = loadDataset({...adding, standardize: true});
  const raw = loadDataset(adding);
  const stats = featureStats(raw.train, 2);
  t.true(Math.abs(stats.mean[1]! - 2 / 20) < 1e-12, `marker mean ${stats.mean[1]}`);
  t.true(Math.abs(stats.scale[1]! - Math.sqrt(0.1 * 0.9)) < 1e-12, `marker std ${stats.scale[1]}`);
  t.is(a.test.width, 160);
  t.deepEqual(a.test.x, applyStats(raw.test, stats).x);
  const am = moments(a.train, 2);
  t.true(worst(am.mean, 0) < 1e-6 && worst(am.std, 1) < 1e-6);
  // Regression targets are left alone.
  t.deepEqual(a.train.y, raw.train.y);
});

test('standardize false is today\'s data: parsed away, the same loaded arrays, the same run id', (t) => {
  // false parses to no value, which neither the run id's hash nor the manifest's JSON writes.
  t.is(stableStringify(datasetSchema.parse({name: 'synthetic', standardize: false})), stableStringify(datasetSchema.parse({name: 'synthetic'})));
  t.is(JSON.stringify(datasetSchema.parse({name: 'synthetic', standardize: false})), JSON.stringify(datasetSchema.parse({name: 'synthetic'})));
  t.is((datasetSchema.parse({name: 'synthetic', standardize: true}) as {standardize?: boolean}).standardize, true);
  const spec = {name: 'synthetic', features: 4, classes: 2, train_size: 60, test_size: 20, separation: 1, seed: 9} as const;
  const without = loadDataset(spec);
  t.is(loadDataset({...spec, standardize: undefined}).train.x, without.train.x);
  const ids = (dataset: string) => {
    const dir = tempDir('normbench-std-');
    writeFileSync(join(dir, 'g.yaml'), `name: g\nquestion: q?\ndataset: ${dataset}\nmodel: {kind: mlp, hidden: [8]}\ntrain: {lr: 0.1, batch_size: 16, steps: 10, eval_every: 5}\n`);
    const loaded = loadExperiment(join(dir, 'g.yaml'));
    return {id: loaded.expanded.runs[0]!.run_id, hash: configHash(loaded.config)};
  };
  const today = ids('{name: synthetic}');
  t.deepEqual(ids('{name: synthetic, standardize: false}'), today);
  t.notDeepEqual(ids('{name: synthetic, standardize: true}').id, today.id);
});

test('the committed references: today\'s schema gives their run ids, and parses their resolved configs to the same config hash', (t) => {
  const root = join(REPO, 'results', 'reference');
  const dirs = readdirSync(root).filter((d) => existsSync(join(root, d, 'manifest.json')));
  t.true(dirs.length >= 10, dirs.join(', '));
  for (const name of dirs) {
    const dir = join(root, name);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    // Parsed again by today's schema, the resolved config is what it was: no key added by a default.
    const config = experimentSchema.parse(manifest.config);
    t.is(configHash(config), configHash(manifest.config), `${name}: config hash`);
    let expanded = expandResolved(config);
    // A tuned grid's runs train at each condition's chosen learning rate.
    if (config.tune) expanded = tunedExpanded(expanded, tuneSpec(config.tune), readTuningChoices(dir, tuneSpec(config.tune))!);
    t.deepEqual(expanded.runs.map((r) => r.run_id), manifest.grid.run_ids, `${name}: run ids`);
  }
});

const HEAD = `name: g
question: q?
dataset: {name: synthetic, features: 6, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8]}
train: {lr: 0.1, batch_size: 12, steps: 30, eval_every: 10}
`;

function expand(text: string) {
  const dir = tempDir('normbench-std-');
  writeFileSync(join(dir, 'g.yaml'), text);
  return expandExperiment(loadExperiment(join(dir, 'g.yaml')));
}


test('every data set takes it (list says so) and a grid varies it: false is today\'s run, true its standardized twin', async (t) => {
  for (const name of DATASETS) t.true(gridableKeys(name, 'mlp').includes('dataset.standardize'), name);
  t.regex((await nb(['list', 'datasets'], tempDir('normbench-std-'))).stdout, /^datasets \(each also takes train_limit, test_limit, validation, standardize; /);
  const {runs, factorKeys} = expand(`${HEAD}grid:\n  dataset.standardize: [false, true]\n`);
  t.deepEqual(factorKeys, ['dataset.standardize']);
  t.deepEqual(runs.map((r) => r.factors['dataset.standardize']), ['false', 'true']);
  t.is(runs[0]!.run_id, expand(HEAD).runs[0]!.run_id);
  t.is(stableStringify(runs[0]!.dataset), stableStringify(expand(HEAD).runs[0]!.dataset));
  t.is(runs[1]!.dataset.standardize, true);
});

test('misused, the key is a located error', (t) => {
  const dataset = (d: string) => message(() => expand(HEAD.replace('dataset: {name: synthetic,', `dataset: {name: synthetic, ${d},`)));
  t.regex(dataset('standardise: true'), /g\.yaml:3:\d+ \(dataset\.standardise\): unknown key "standardise" — did you mean "standardize"\?/);
  t.regex(dataset('standardize: yes'), /g\.yaml:3:41 \(dataset\.standardize\): expected true or false, got text \("yes"\)/);
  t.regex(message(() => expand(`${HEAD}grid:\n  dataset.standardize: [false, 1]\n`)), /g\.yaml:7:\d+ \(grid\.dataset\.standardize\[1\]\): expected true or false.*\(grid value for dataset\.standardize\)/);
});

test('run: the manifest records each data set as trained on; false writes what no key writes; --stack writes the same', async (t) => {
  const dir = tempDir('normbench-std-');
  // 120 training examples, 20 held out for validation: 100 trained on.
  const held = HEAD.replace('test_size: 60}', 'test_size: 60, validation: 20}');
  writeFileSync(join(dir, 'plain.yaml'), `${held}grid:\n  seed: [1, 2]\n`);
  writeFileSync(join(dir, 'g.yaml'), `${held}grid:\n  dataset.standardize: [false, true]\n  seed: [1, 2]\n`);
  const runs = [
    await nb(['run', 'plain.yaml', '--out', 'plain', '--workers', '1', '--quiet', '--backend', 'wasm'], dir),
    await nb(['run', 'g.yaml', '--out', 'one', '--workers', '1', '--quiet', '--backend', 'wasm'], dir),
    await nb(['run', 'g.yaml', '--out', 'stack', '--workers', '1', '--stack', '--backend', 'wasm'], dir),
  ];
  for (const r of runs) t.is(r.code, 0, r.stderr);
  t.regex(runs[2]!.stderr, /^ {2}stacked: 4 runs in 2 stacks of 2$/m);
  const data = (out: string) => (JSON.parse(readFileSync(join(dir, out, 'manifest.json'), 'utf8')) as Manifest).data;
  t.deepEqual(Object.keys(data('one')), ['synthetic', 'synthetic, standardized']);
  t.is(data('one').synthetic, data('plain').synthetic);
  t.regex(data('one')['synthetic, standardized']!, /^synthetic\(seed=1, .*\) · standardized: each of the 6 input features by its mean and std over the 100 training examples trained on \(not validation or test\) · validation: 20 examples held out/);
  const curves = (out: string) => untimed(readCsv(join(dir, out, 'curves.csv')));
  const off = curves('one').filter((r) => r['dataset.standardize'] === 'false').map(({'dataset.standardize': _, ...r}) => r);
  t.deepEqual(off, curves('plain'), 'standardize false: the curves of the run without the key, run ids included');
  const on = curves('one').filter((r) => r['dataset.standardize'] === 'true');
  t.is(on.length, off.length);
  t.notDeepEqual(on.map((r) => r.train_loss), off.map((r) => r.train_loss));
  t.deepEqual(curves('stack'), curves('one'), '--stack');
  t.deepEqual(untimed(readCsv(join(dir, 'stack', 'summary.csv'))), untimed(readCsv(join(dir, 'one', 'summary.csv'))));
});
