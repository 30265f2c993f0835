// Each norm's forward output and gradients (input and parameters) against PyTorch, within 1e-5.
// Fixtures: test/fixtures/norms.json, made by scripts/make-norm-fixtures.py (float64 PyTorch).

import test, {type ExecutionContext} from 'ava';
import {BatchNorm, batchNormTrain} from '../../src/norms/batch.js';
import {normalise, standardise} from '../../src/norms/normalise.js';
import {LayerNorm, layerNorm} from '../../src/norms/layer.js';
import {weightNormKernel} from '../../src/norms/weight.js';
import {dense} from '../../src/nn/dense.js';
import * as tf from '../../src/tf.js';
import {assertClose, fixture, setupBackend} from '../helpers.js';

type M = number[][];
type V = number[];
interface Cases {
  batch_train: {x: M; dy: M; gamma: V; beta: V; epsilon: number; torch_momentum: number; y: M; dx: M; dgamma: V; dbeta: V; running_mean: V; running_var: V};
  batch_eval: {x: M; dy: M; gamma: V; beta: V; epsilon: number; running_mean: V; running_var: V; y: M; dx: M; dgamma: V; dbeta: V};
  batch_train_no_affine: {x: M; dy: M; epsilon: number; y: M; dx: M};
  layer: {x: M; dy: M; gamma: V; beta: V; epsilon: number; y: M; dx: M; dgamma: V; dbeta: V};
  weight: {x: M; dy: M; v: M; g: V; bias: V; y: M; dx: M; dv: M; dg: V; dbias: V};
}
const {cases} = fixture<{cases: Cases}>('norms.json');
const TOL = 1e-5;

test.before(setupBackend);

/** f's output and its gradients with respect to each input, against PyTorch's. */
function matchesTorch(
  t: ExecutionContext,
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  dy: M,
  expected: {y: M; grads: Record<string, M | V>},
): void {
  assertClose(t, f(...inputs), expected.y, TOL, 'y');
  const grads = tf.grads(f)(inputs, tf.tensor(dy));
  Object.entries(expected.grads).forEach(([name, value], i) => assertClose(t, grads[i]!, value, TOL, name));
}

test('BatchNorm training: output and gradients match torch BatchNorm1d (fused op and autodiff reference)', (t) => {
  const c = cases.batch_train;
  const fused = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    standardise(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon, 0);
  const reference = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    batchNormTrain(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon).y;
  for (const f of [fused, reference]) {
    matchesTorch(t, f, [tf.tensor2d(c.x), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)], c.dy,
      {y: c.y, grads: {dx: c.dx, 'dγ': c.dgamma, 'dβ': c.dbeta}});
  }
});

test('BatchNorm layer: one training step updates the moving averages as torch does (momentum 0.9 = torch 0.1)', (t) => {
  const c = cases.batch_train;
  t.is(c.torch_momentum, 0.1);
  const kernel = tf.zeros([1, 5]) as tf.Tensor2D;
  const bn = new BatchNorm({units: 5, kernel}, {momentum: 1 - c.torch_momentum, epsilon: c.epsilon, center: true, scale: true});
  bn.apply(tf.tensor2d(c.x), {training: true, updateStats: true});
  assertClose(t, bn.state.moving_mean!, c.running_mean, TOL, 'running mean');
  assertClose(t, bn.state.moving_variance!, c.running_var, TOL, 'running variance (unbiased)');
  bn.dispose();
});

test('BatchNorm evaluation: running statistics, output and gradients match torch', (t) => {
  const c = cases.batch_eval;
  const mean = tf.tensor1d(c.running_mean);
  const variance = tf.tensor1d(c.running_var);
  const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    normalise(x as tf.Tensor2D, mean, variance, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon);
  matchesTorch(t, f, [tf.tensor2d(c.x), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)], c.dy,
    {y: c.y, grads: {dx: c.dx, 'dγ': c.dgamma, 'dβ': c.dbeta}});

  // The layer in evaluation mode uses its moving averages, not the batch.
  const bn = new BatchNorm({units: 5, kernel: tf.zeros([1, 5]) as tf.Tensor2D}, {momentum: 0.9, epsilon: c.epsilon, center: true, scale: true});
  bn.state.moving_mean!.assign(mean);
  bn.state.moving_variance!.assign(variance);
  bn.params.gamma!.assign(tf.tensor1d(c.gamma));
  bn.params.beta!.assign(tf.tensor1d(c.beta));
  assertClose(t, bn.apply(tf.tensor2d(c.x), {training: false, updateStats: false}), c.y, TOL, 'layer eval y');
  bn.dispose();
});

test('BatchNorm without γ, β matches torch affine=False', (t) => {
  const c = cases.batch_train_no_affine;
  const fused = (x: tf.Tensor) => standardise(x as tf.Tensor2D, undefined, undefined, c.epsilon, 0);
  const reference = (x: tf.Tensor) => batchNormTrain(x as tf.Tensor2D, undefined, undefined, c.epsilon).y;
  for (const f of [fused, reference]) matchesTorch(t, f, [tf.tensor2d(c.x)], c.dy, {y: c.y, grads: {dx: c.dx}});
});

test('LayerNorm: output and gradients match torch LayerNorm (fused op and autodiff reference)', (t) => {
  const c = cases.layer;
  const fused = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    standardise(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon, 1);
  const reference = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon);
  for (const f of [fused, reference]) {
    matchesTorch(t, f, [tf.tensor2d(c.x), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)], c.dy,
      {y: c.y, grads: {dx: c.dx, 'dγ': c.dgamma, 'dβ': c.dbeta}});
  }
});

test('the BatchNorm and LayerNorm layers compute the torch outputs in training', (t) => {
  const kernel = tf.zeros([1, 5]) as tf.Tensor2D;
  for (const [Layer, c] of [[BatchNorm, cases.batch_train], [LayerNorm, cases.layer]] as const) {
    const norm = new Layer({units: 5, kernel}, {momentum: 0.9, epsilon: c.epsilon, center: true, scale: true});
    norm.params.gamma!.assign(tf.tensor1d(c.gamma));
    norm.params.beta!.assign(tf.tensor1d(c.beta));
    assertClose(t, norm.apply(tf.tensor2d(c.x), {training: true, updateStats: true}), c.y, TOL, norm.name);
    norm.dispose();
  }
});

test('WeightNorm dense layer: output and gradients (x, v, g, b) match torch weight_norm(Linear)', (t) => {
  const c = cases.weight;
  // PyTorch stores v as [out, in]; normbench as [in, out].
  const v = tf.transpose(tf.tensor2d(c.v));
  const f = (x: tf.Tensor, vv: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    dense(x as tf.Tensor2D, weightNormKernel(vv as tf.Tensor2D, g as tf.Tensor1D), b as tf.Tensor1D);
  matchesTorch(t, f, [tf.tensor2d(c.x), v, tf.tensor1d(c.g), tf.tensor1d(c.bias)], c.dy,
    {y: c.y, grads: {dx: c.dx, dv: tf.transpose(tf.tensor2d(c.dv)).arraySync() as M, dg: c.dg, db: c.dbias}});
});

test('the fast dense gradient equals tfjs’s own matMul gradient', (t) => {
  const x = tf.randomNormal([7, 6], 0, 1, 'float32', 11) as tf.Tensor2D;
  const w = tf.randomNormal([6, 3], 0, 1, 'float32', 12) as tf.Tensor2D;
  const dy = tf.randomNormal([7, 3], 0, 1, 'float32', 13);
  const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => dense(a as tf.Tensor2D, b as tf.Tensor2D))([x, w], dy);
  const theirs = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b))([x, w], dy);
  assertClose(t, ours[0]!, theirs[0]!, 1e-5, 'dx');
  assertClose(t, ours[1]!, theirs[1]!, 1e-5, 'dW');
});
