import test from '../ava.js';
import {UserError} from '../../src/errors.js';
import {Mlp} from '../../src/models/mlp.js';
import {batchNormTrain} from '../../src/norms/batch.js';
import {layerNorm} from '../../src/norms/layer.js';
import {normalise, standardise} from '../../src/norms/normalise.js';
import {createNorm} from '../../src/norms/registry.js';
import {normLabel, resolveNorm} from '../../src/norms/catalog.js';
import {groupNorm} from '../../src/norms/group.js';
import {renormLimits} from '../../src/norms/renorm.js';
import {stopGradient} from '../../src/norms/stop-gradient.js';
import type {ForwardContext, Norm} from '../../src/norms/types.js';
import {Rng} from '../../src/rng.js';
import * as tf from '../../src/tf.js';
import {assertClose, maxAbsDiff, setupBackend} from '../helpers.js';

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
  t.regex(error!.message, /Unknown norm "bacth" — did you mean "batch"\? \(known: none, batch, layer, weight, group, rms, renorm, mean-only, centered-stopgrad, bn-rnn, instance\)/);
  t.throws(() => resolveNorm("batch", {momentun: 0.9}), {message: /^norm "batch": unknown key "momentun" — did you mean "momentum"\? \(allowed: momentum, epsilon, center, scale, gamma_init, share_stats, placement\)/});
});

test('labels name the options that differ from the defaults', (t) => {
  t.is(normLabel(resolveNorm('batch')), 'batch');
  t.is(normLabel(resolveNorm('batch', {momentum: 0.9})), 'batch');
  t.is(normLabel(resolveNorm('batch', {center: false, scale: false})), 'batch(center=false,scale=false)');
  t.is(normLabel(resolveNorm('layer', {epsilon: 0.001})), 'layer(epsilon=0.001)');
  // placement (issue 18): `pre`, the default, is left out of the spec, so the run id stays.
  t.deepEqual(resolveNorm('batch', {placement: 'pre'}), resolveNorm('batch'));
  t.is(normLabel(resolveNorm('batch', {placement: 'post'})), 'batch(placement=post)');
  t.is(normLabel(resolveNorm('rms', {placement: 'post', center: true})), 'rms(center=true,placement=post)');
});

const TRAIN: ForwardContext = {training: true, updateStats: true};
const EVAL: ForwardContext = {training: false, updateStats: false};

function norm(name: string, options: Record<string, unknown> = {}, units = 10): Norm {
  return createNorm(resolveNorm(name, options), {units, kernel: tf.zeros([1, units]) as tf.Tensor2D});
}

/** A norm's output and its gradients (x and every parameter) for an upstream gradient dy. */
function outputAndGrads(n: Norm, x: tf.Tensor2D, dy: tf.Tensor2D, ctx: ForwardContext): tf.Tensor[] {
  const y = n.apply(x, {...ctx, updateStats: false});
  const dx = tf.grad((xx: tf.Tensor) => n.apply(xx as tf.Tensor2D, {...ctx, updateStats: false}))(x, dy);
  const vars = Object.values(n.params);
  const {grads} = tf.variableGrads(() => tf.sum(tf.mul(n.apply(x, {...ctx, updateStats: false}), dy)) as tf.Scalar, vars);
  return [y, dx, ...vars.map((v) => grads[v.name]!)];
}

test('GroupNorm with one group is LayerNorm: output and every gradient', (t) => {
  const x = randomBatch(6);
  const dy = randomBatch(7);
  const group = norm('group', {groups: 1});
  const layer = norm('layer');
  const [gamma, beta] = [tf.linspace(0.5, 1.5, 10), tf.linspace(-1, 1, 10)];
  for (const n of [group, layer]) {
    n.params.gamma!.assign(gamma);
    n.params.beta!.assign(beta);
  }
  const g = outputAndGrads(group, x, dy, TRAIN);
  const l = outputAndGrads(layer, x, dy, TRAIN);
  ['y', 'dx', 'dγ', 'dβ'].forEach((what, i) => assertClose(t, g[i]!, l[i]!, 1e-6, what));
  assertClose(t, groupNorm(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1, 1e-5), l[0]!, 1e-5, 'autodiff reference');
  group.dispose();
  layer.dispose();
});

test('GroupNorm: every group of every example has mean 0 and variance 1; the same in evaluation', (t) => {
  const x = randomBatch(8, 6, 12);
  const n = norm('group', {groups: 3, epsilon: 1e-9}, 12);
  const y = n.apply(x, TRAIN);
  const {mean, variance} = tf.moments(tf.reshape(y, [6, 3, 4]), 2);
  assertClose(t, mean, new Array(18).fill(0), 1e-5, 'group means');
  assertClose(t, variance, new Array(18).fill(1), 1e-4, 'group variances');
  assertClose(t, n.apply(x, EVAL), y, 0, 'no running statistics');
  n.dispose();
});

test('GroupNorm: groups that do not divide the width, or leave one unit a group, are refused with the choices', (t) => {
  t.throws(() => norm('group', {groups: 32}, 100), {instanceOf: UserError, message: 'norm "group": groups=32 does not divide a layer of 100 units; choose groups among the divisors of 100 (1, 2, 4, 5, 10, 20, 25, 50)'});
  t.throws(() => norm('group', {groups: 16}, 16), {instanceOf: UserError, message: /groups=16 on a layer of 16 units gives groups of one unit, whose standardised value is always 0/});
});

test('RMSNorm (γ = 1): every row has mean square 1; a row rescaled gives the same output, a row shifted does not', (t) => {
  const x = randomBatch(9);
  const n = norm('rms', {epsilon: 1e-12});
  const y = n.apply(x, TRAIN);
  assertClose(t, tf.mean(tf.square(y), 1), new Array(32).fill(1), 1e-5, 'mean squares');
  assertClose(t, n.apply(tf.mul(x, 7.5) as tf.Tensor2D, TRAIN), y, 1e-5, 'rescaled rows');
  t.true(maxAbsDiff(n.apply(tf.add(x, 1) as tf.Tensor2D, TRAIN), y) > 0.01, 'no re-centring invariance');
  t.deepEqual(Object.keys(n.params), ['gamma']);
  t.false(n.dropsDenseBias);
  n.dispose();
});

test('Batch renormalization during warm-up (r = 1, d = 0) is batch norm bit for bit: outputs, gradients and moving averages', (t) => {
  const renorm = norm('renorm', {warmup_start: 3, warmup_end: 8});
  const batch = norm('batch');
  const [gamma, beta] = [tf.linspace(0.5, 1.5, 10), tf.linspace(-1, 1, 10)];
  for (const n of [renorm, batch]) {
    n.params.gamma!.assign(gamma);
    n.params.beta!.assign(beta);
  }
  const dy = randomBatch(50);
  // Batches of mean 2, std 3 against averages starting at 0 and 1: r and d would clip at once.
  for (let step = 0; step < 3; step++) {
    const x = randomBatch(40 + step);
    const r = outputAndGrads(renorm, x, dy, TRAIN);
    const b = outputAndGrads(batch, x, dy, TRAIN);
    ['y', 'dx', 'dγ', 'dβ'].forEach((what, i) => assertClose(t, r[i]!, b[i]!, 0, `step ${step} ${what}`));
    assertClose(t, renorm.apply(x, TRAIN), batch.apply(x, TRAIN), 0, `step ${step} updating y`);
    assertClose(t, renorm.state.moving_mean!, batch.state.moving_mean!, 0, `step ${step} moving mean`);
    assertClose(t, renorm.state.moving_variance!, batch.state.moving_variance!, 0, `step ${step} moving variance`);
  }
  // Step 3 = warmup_start: the bounds still 1 and 0. Step 4: they open, and the outputs part.
  const x = randomBatch(60);
  t.is(maxAbsDiff(renorm.apply(x, TRAIN), batch.apply(x, TRAIN)), 0, 'step 3');
  t.true(maxAbsDiff(renorm.apply(x, TRAIN), batch.apply(x, TRAIN)) > 1e-3, 'step 4 differs');
  // Evaluation is batch norm's, with the same moving averages.
  t.true(maxAbsDiff(renorm.apply(x, EVAL), normalise(x, renorm.state.moving_mean!, renorm.state.moving_variance!, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5)) < 1e-6);
  renorm.dispose();
  batch.dispose();
});

test('Batch renormalization counts its training steps (updating passes only) and widens r_max, d_max linearly', (t) => {
  const o = {rmax: 3, dmax: 5, warmup_start: 100, warmup_end: 500};
  const at = (step: number) => {
    const {rmax, dmax} = renormLimits(tf.scalar(step), o);
    return [rmax.dataSync()[0]!, dmax.dataSync()[0]!];
  };
  t.deepEqual(at(0), [1, 0]);
  t.deepEqual(at(100), [1, 0]);
  assertClose(t, at(300), [2, 2.5], 1e-6, 'half way');
  t.deepEqual(at(500), [3, 5]);
  t.deepEqual(at(10_000), [3, 5]);
  t.deepEqual(tf.tidy(() => renormLimits(tf.scalar(6), {...o, warmup_start: 7, warmup_end: 7}).rmax.dataSync()[0]), 1);
  t.deepEqual(tf.tidy(() => renormLimits(tf.scalar(7), {...o, warmup_start: 7, warmup_end: 7}).rmax.dataSync()[0]), 3);

  const n = norm('renorm');
  const x = randomBatch(1);
  for (let i = 0; i < 4; i++) n.apply(x, TRAIN);
  n.apply(x, {training: true, updateStats: false});
  n.apply(x, EVAL);
  t.is(n.state.step!.dataSync()[0], 4);
  n.dispose();
  t.throws(() => resolveNorm('renorm', {warmup_start: 10, warmup_end: 5}), {message: 'norm "renorm": warmup_end must be at least warmup_start (warmup_end)'});
});

test('mean-only BN: every unit has batch mean β and keeps its spread; evaluation subtracts the moving mean', (t) => {
  const n = norm('mean-only', {momentum: 0.5});
  const beta = tf.linspace(-1, 1, 10);
  n.params.beta!.assign(beta);
  const x = randomBatch(11);
  const y = n.apply(x, TRAIN);
  assertClose(t, tf.mean(y, 0), beta, 1e-5, 'unit means');
  assertClose(t, tf.moments(y, 0).variance, tf.moments(x, 0).variance, 1e-4, 'unit variances unchanged');
  const moving = tf.mul(tf.mean(x, 0), 0.5);
  assertClose(t, n.state.moving_mean!, moving, 1e-6, 'moving mean after one step');
  assertClose(t, n.apply(x, EVAL), tf.add(tf.sub(x, moving), beta), 1e-6, 'evaluation');
  t.true(n.dropsDenseBias);
  n.dispose();
});

test('stop_gradient passes the value and no gradient', (t) => {
  const x = randomBatch(12);
  assertClose(t, stopGradient(x), x, 0, 'value');
  const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(stopGradient(xx), xx)))(x);
  assertClose(t, g, x, 0, 'd/dx Σ sg(x)·x = sg(x)');
});
