import test from 'ava';
import {UserError} from '../../src/errors.js';
import {Mlp} from '../../src/models/mlp.js';
import {batchNormTrain} from '../../src/norms/batch.js';
import {layerNorm} from '../../src/norms/layer.js';
import {standardise} from '../../src/norms/normalise.js';
import {createNorm, normLabel, resolveNorm} from '../../src/norms/registry.js';
import {Rng} from '../../src/rng.js';
import * as tf from '../../src/tf.js';
import {assertClose, setupBackend} from '../helpers.js';

test.before(setupBackend);

function randomBatch(seed: number, n = 32, d = 10): tf.Tensor2D {
  const rng = new Rng('equivalence', seed);
  return tf.tensor2d(Array.from({length: n}, () => Array.from({length: d}, () => rng.normal() * 3 + 2)));
}

test('LayerNorm (γ=1, β=0): every row has mean 0 and variance 1', (t) => {
  for (let seed = 1; seed <= 5; seed++) {
    const y = layerNorm(randomBatch(seed), undefined, undefined, 1e-9);
    const {mean, variance} = tf.moments(y, 1);
    assertClose(t, mean, new Array(32).fill(0), 1e-5, 'row means');
    assertClose(t, variance, new Array(32).fill(1), 1e-4, 'row variances');
  }
});

test('BatchNorm training (γ=1, β=0): every unit has mean 0 and variance 1 over the batch', (t) => {
  for (let seed = 1; seed <= 5; seed++) {
    const {y} = batchNormTrain(randomBatch(seed), undefined, undefined, 1e-9);
    const {mean, variance} = tf.moments(y, 0);
    assertClose(t, mean, new Array(10).fill(0), 1e-5, 'unit means');
    assertClose(t, variance, new Array(10).fill(1), 1e-4, 'unit variances');
  }
});

test('the fused ops equal the autodiff references: outputs, statistics and every gradient, on random batches', (t) => {
  for (let seed = 1; seed <= 4; seed++) {
    const rng = new Rng('fused', seed);
    const x = tf.tensor2d(Array.from({length: 12}, () => Array.from({length: 7}, () => rng.normal() * (1 + seed) + seed)));
    const g = tf.tensor1d(Array.from({length: 7}, () => 0.5 + rng.uniform()));
    const b = tf.tensor1d(Array.from({length: 7}, () => rng.normal()));
    const dy = tf.tensor2d(Array.from({length: 12}, () => Array.from({length: 7}, () => rng.normal())));
    const pairs = [
      [0, (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => batchNormTrain(xx as tf.Tensor2D, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5).y],
      [1, (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => layerNorm(xx as tf.Tensor2D, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5)],
    ] as const;
    for (const [axis, reference] of pairs) {
      const fused = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
        standardise(xx as tf.Tensor2D, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5, axis);
      assertClose(t, fused(x, g, b), reference(x, g, b), 1e-5, `axis ${axis} y`);
      const gf = tf.grads(fused)([x, g, b], dy);
      const gr = tf.grads(reference)([x, g, b], dy);
      ['dx', 'dγ', 'dβ'].forEach((name, i) => assertClose(t, gf[i]!, gr[i]!, 1e-4, `axis ${axis} ${name}`));
      const seen: number[][] = [];
      standardise(x, g, b, 1e-5, axis, (mean, variance) => seen.push(Array.from(mean.dataSync()), Array.from(variance.dataSync())));
      const {mean, variance} = tf.moments(x, axis);
      assertClose(t, seen[0]!, Array.from(mean.dataSync()), 1e-5, `axis ${axis} mean`);
      assertClose(t, seen[1]!, Array.from(variance.dataSync()), 1e-4, `axis ${axis} variance`);
    }
  }
});

test('BatchNorm γ = σ_B, β = μ_B recovers the identity (no loss of expressive power)', (t) => {
  const x = randomBatch(3);
  const {mean, variance} = tf.moments(x, 0);
  const {y} = batchNormTrain(x, tf.sqrt(variance) as tf.Tensor1D, mean as tf.Tensor1D, 1e-12);
  assertClose(t, y, x, 1e-4, 'y vs x');
});

test('BatchNorm moving averages converge to the population statistics, and evaluation then uses them', (t) => {
  const bn = createNorm(resolveNorm('batch', {momentum: 0.8}), {units: 10, kernel: tf.zeros([1, 10]) as tf.Tensor2D});
  for (let i = 0; i < 60; i++) bn.apply(randomBatch(100 + i), {training: true, updateStats: true});
  // Data: N(2, 3²) per unit.
  assertClose(t, bn.state.moving_mean!, new Array(10).fill(2), 0.6, 'moving mean ≈ 2');
  assertClose(t, bn.state.moving_variance!, new Array(10).fill(9), 3, 'moving variance ≈ 9');
  const x = randomBatch(999);
  const evalOut = bn.apply(x, {training: false, updateStats: false});
  const expected = tf.div(tf.sub(x, bn.state.moving_mean!), tf.sqrt(tf.add(bn.state.moving_variance!, 1e-5)));
  assertClose(t, evalOut, expected, 1e-5, 'eval uses moving averages');
  // Evaluation does not move the averages.
  const before = bn.state.moving_mean!.arraySync() as number[];
  bn.apply(x, {training: false, updateStats: false});
  assertClose(t, bn.state.moving_mean!, before, 0, 'unchanged by evaluation');
  bn.dispose();
});

test('WeightNorm at initialisation computes exactly the plain network’s function', (t) => {
  const base = {model: {kind: 'mlp' as const, hidden: [16, 8], init: 'glorot_uniform' as const, init_std: 0.01}, activation: 'tanh' as const, seed: 5, inputs: 10, classes: 3};
  const plain = new Mlp({...base, norm: resolveNorm('none')});
  const wn = new Mlp({...base, norm: resolveNorm('weight')});
  const x = randomBatch(4);
  const ctx = {training: true, updateStats: false};
  assertClose(t, wn.forward(x, ctx), plain.forward(x, ctx), 1e-5, 'logits');
  assertClose(t, wn.effectiveKernel('hidden1'), plain.effectiveKernel('hidden1'), 1e-6, 'w = g·v/‖v‖ = W');
  plain.dispose();
  wn.dispose();
});

test('`none` is the identity', (t) => {
  const x = randomBatch(1);
  const norm = createNorm('none', {units: 10, kernel: tf.zeros([1, 10]) as tf.Tensor2D});
  t.is(norm.apply(x, {training: true, updateStats: true}), x);
  t.deepEqual(Object.keys(norm.params), []);
});

test('the factory fails loudly on an unknown norm, suggesting the nearest', (t) => {
  const error = t.throws(() => resolveNorm('bacth'), {instanceOf: UserError});
  t.regex(error!.message, /Unknown norm "bacth" — did you mean "batch"\? \(known: none, batch, layer, weight, bn-rnn\)/);
  t.throws(() => resolveNorm("batch", {momentun: 0.9}), {message: /^norm "batch": unknown key "momentun" — did you mean "momentum"\? \(allowed: momentum, epsilon, center, scale, gamma_init, share_stats\)/});
});

test('labels name the options that differ from the defaults', (t) => {
  t.is(normLabel(resolveNorm('batch')), 'batch');
  t.is(normLabel(resolveNorm('batch', {momentum: 0.9})), 'batch');
  t.is(normLabel(resolveNorm('batch', {center: false, scale: false})), 'batch(center=false,scale=false)');
  t.is(normLabel(resolveNorm('layer', {epsilon: 0.001})), 'layer(epsilon=0.001)');
});
