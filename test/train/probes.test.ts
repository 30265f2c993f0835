// Diagnostics (probes:): each value against a direct computation, and never a change to training.

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {parse} from 'csv-parse/sync';
import type {ModelSpec, TrainSpec} from '../../src/spec/experiment.js';
import {makeSynthetic} from '../../src/data/synthetic.js';
import {Mlp} from '../../src/models/mlp.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import type {NormName} from '../../src/spec/names.js';
import * as tf from '../../src/tf.js';
import {percentile, runProbes} from '../../src/train/probes.js';
import {batchLoss, train} from '../../src/train/trainer.js';
import {cli, cliInProcess as nb, setupBackend, tempDir} from '../helpers.js';

test.before(setupBackend);

const DATA = makeSynthetic({features: 10, classes: 4, train_size: 400, test_size: 200, separation: 1.5, seed: 1});
const MODEL: ModelSpec = {kind: 'mlp', hidden: [16, 12], init: 'glorot_uniform', init_std: 0.01};
const SPEC: TrainSpec = {optimizer: 'sgd', lr: 0.1, batch_size: 20, steps: 60, eval_every: 20, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};
const ALL = ['activation_percentiles', 'dead_units', 'saturation', 'grad_norms', 'param_norms'] as const;
const mlp = (norm: NormName, activation: 'relu' | 'sigmoid' | 'tanh') => new Mlp({model: MODEL, norm: resolveNorm(norm), activation, seed: 1, inputs: 10, classes: 4});
const probe = (m: Mlp, activation: 'relu' | 'sigmoid' | 'tanh') => runProbes(m, DATA, ALL, {activation, batch: 20, loss: batchLoss});
const value = (values: ReturnType<typeof probe>, name: string, layer: string) => values.find((v) => v.probe === name && v.layer === layer)?.value;

test('percentiles interpolate between ranks as numpy does', (t) => {
  const sorted = Float32Array.from([1, 2, 3, 4, 5]);
  t.is(percentile(sorted, 50), 3);
  t.is(percentile(sorted, 15), 1.6); // rank 0.6
  t.is(percentile(sorted, 85), 4.4); // rank 3.4
});

test('activation percentiles, dead units and saturation equal a direct computation on the inputs to the nonlinearities', (t) => {
  for (const [norm, activation] of [['none', 'relu'], ['batch', 'sigmoid'], ['layer', 'tanh']] as const) {
    const m = mlp(norm, activation);
    const values = probe(m, activation);
    const z = m.preActivations(tf.tensor2d(DATA.test.x, [200, 10]));
    for (const {layer, z: zl} of z) {
      const flat = Float32Array.from(zl.dataSync()).sort();
      for (const p of [15, 50, 85]) t.is(value(values, `activation_p${p}`, layer), percentile(flat, p), `${norm}/${layer}/p${p}`);
      const units = zl.shape[1];
      const rows = zl.arraySync();
      if (activation === 'relu') {
        const dead = Array.from({length: units}, (_, u) => rows.every((r) => r[u]! <= 0)).filter(Boolean).length / units;
        t.is(value(values, 'dead_units', layer), dead);
        t.is(value(values, 'saturation', layer), undefined, 'no saturation for relu');
      } else {
        const threshold = activation === 'sigmoid' ? 4 : 2;
        t.is(value(values, 'saturation', layer), flat.filter((x) => Math.abs(x) > threshold).length / flat.length);
        t.is(value(values, 'dead_units', layer), undefined, 'dead units are a relu matter');
      }
    }
    m.dispose();
  }
});

test('dead units and saturation respond: a very negative bias kills every ReLU unit; a huge kernel saturates every sigmoid', (t) => {
  const dead = mlp('none', 'relu');
  dead.params.get('hidden1/bias')!.assign(tf.fill([16], -100) as tf.Tensor1D);
  t.is(value(probe(dead, 'relu'), 'dead_units', 'hidden1'), 1);
  // hidden2 then sees only its zero bias: z = 0 ≤ 0 for every example, dead too.
  t.is(value(probe(dead, 'relu'), 'dead_units', 'hidden2'), 1);
  t.true(value(probe(mlp('none', 'relu'), 'relu'), 'dead_units', 'hidden1')! < 0.5, 'a fresh layer has mostly live units');
  const saturated = mlp('none', 'sigmoid');
  saturated.params.get('hidden1/kernel')!.assign(tf.mul(saturated.params.get('hidden1/kernel')!, 1000) as tf.Tensor2D);
  t.true(value(probe(saturated, 'sigmoid'), 'saturation', 'hidden1')! > 0.95);
  dead.dispose();
  saturated.dispose();
});

test('gradient and parameter norms equal tf.norm of the gradients and parameters', (t) => {
  const m = mlp('batch', 'relu');
  const values = probe(m, 'relu');
  const x = tf.tensor2d(DATA.train.x.subarray(0, 20 * 10), [20, 10]);
  const y = tf.tensor1d(DATA.train.y.subarray(0, 20) as Int32Array, 'int32');
  const {grads} = tf.variableGrads(() => batchLoss(m.forward(x, {training: true, updateStats: false}), y, 'classification', 4), [...m.params.values()]);
  for (const [name, v] of m.params) {
    t.true(Math.abs(value(values, 'grad_norm', name)! - tf.norm(grads[v.name]!).dataSync()[0]!) < 1e-6, `grad ${name}`);
    t.true(Math.abs(value(values, 'param_norm', name)! - tf.norm(v).dataSync()[0]!) < 1e-6, `param ${name}`);
  }
  t.deepEqual(values.filter((v) => v.probe === 'param_norm').map((v) => v.layer), [...m.params.keys()]);
  m.dispose();
});

test('probes never change the training trajectory, for any MLP norm; the moving averages are untouched', async (t) => {
  for (const norm of ['batch', 'renorm', 'layer', 'centered-stopgrad'] as const) {
    const run = async (probes: readonly (typeof ALL)[number][]) => {
      const m = mlp(norm, 'relu');
      const r = await train(m, DATA, SPEC, 1, {probes, activation: 'relu'});
      const state = [...m.state.values()].map((v) => Array.from(v.dataSync()));
      m.dispose();
      return {points: r.points.map(({wall_ms: _w, ...p}) => p), state, diagnostics: r.diagnostics};
    };
    const plain = await run([]);
    const probed = await run(ALL);
    t.deepEqual(probed.points, plain.points, `${norm}: curves`);
    t.deepEqual(probed.state, plain.state, `${norm}: moving averages`);
    t.deepEqual([...new Set(probed.diagnostics.map((d) => d.step))], [0, 20, 40, 60], `${norm}: step 0 and every evaluation point`);
  }
});

test('end to end: diagnostics.csv in long form, the same summary.csv with and without probes; activation probes on an LSTM are a located error', async (t) => {
  const dir = tempDir('normbench-probes-');
  const yaml = `name: probed
question: Do probes change anything?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8, 8]}
train: {optimizer: sgd, lr: 0.2, batch_size: 12, steps: 20, eval_every: 10}
grid:
  norm: [none, batch]
  activation: [relu, sigmoid]
`;
  writeFileSync(join(dir, 'plain.yaml'), yaml);
  writeFileSync(join(dir, 'probed.yaml'), `${yaml}probes: [activation_percentiles, dead_units, saturation, grad_norms, param_norms]\n`);
  t.is(cli(['run', 'plain.yaml', '--out', 'plain', '--quiet', '--backend', 'cpu', '--workers', '1'], dir).code, 0);
  const r = cli(['run', 'probed.yaml', '--out', 'probed', '--quiet', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(r.code, 0, r.stderr);
  type Row = Record<string, string>;
  const read = (f: string) => parse(readFileSync(join(dir, f), 'utf8'), {columns: true}) as Row[];
  const untimed = (rows: Row[]) => rows.map(({steps_per_s: _a, wall_s: _b, ...rest}) => rest);
  t.deepEqual(untimed(read('probed/summary.csv')), untimed(read('plain/summary.csv')));
  const d = read('probed/diagnostics.csv');
  t.deepEqual(Object.keys(d[0]!), ['run_id', 'norm', 'activation', 'seed', 'step', 'probe', 'layer', 'value']);
  t.deepEqual([...new Set(d.map((x) => x.probe))].sort(), ['activation_p15', 'activation_p50', 'activation_p85', 'dead_units', 'grad_norm', 'param_norm', 'saturation']);
  t.true(d.filter((x) => x.probe === 'dead_units').every((x) => x.activation === 'relu'));
  t.true(d.filter((x) => x.probe === 'saturation').every((x) => x.activation === 'sigmoid'));
  const report = await nb(['report', 'probed'], dir);
  t.is(report.code, 0, report.stderr);
  writeFileSync(join(dir, 'lstm.yaml'), `name: lstm
question: q
dataset: {name: adding, length: 4, train_size: 32, test_size: 8}
model: {kind: lstm, hidden: 4}
train: {lr: 0.1, batch_size: 8, steps: 2, eval_every: 1}
probes: [dead_units, grad_norms]
`);
  t.regex((await nb(['validate', 'lstm.yaml'], dir)).stderr, /lstm\.yaml:6:9 \(probes\): dead_units read the inputs to an MLP's hidden nonlinearities; model lstm has none/);
});
