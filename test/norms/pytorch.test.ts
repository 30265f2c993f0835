// Each norm's forward output and gradients (input and parameters) against PyTorch, within 1e-5.
// Fixtures: test/fixtures/norms.json, made by scripts/make-norm-fixtures.py (float64 PyTorch).

import test from 'ava';
import {BatchNorm, batchNormTrain, normalise} from '../../src/norms/batch.js';
import {layerNorm} from '../../src/norms/layer.js';
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

test('BatchNorm training: output and gradients match torch BatchNorm1d', (t) => {
  const c = cases.batch_train;
  const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    batchNormTrain(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon).y;
  const inputs = [tf.tensor2d(c.x), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)];
  assertClose(t, f(inputs[0]!, inputs[1]!, inputs[2]!), c.y, TOL, 'y');
  const [dx, dg, db] = tf.grads(f)(inputs, tf.tensor2d(c.dy));
  assertClose(t, dx!, c.dx, TOL, 'dx');
  assertClose(t, dg!, c.dgamma, TOL, 'dγ');
  assertClose(t, db!, c.dbeta, TOL, 'dβ');
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
  const inputs = [tf.tensor2d(c.x), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)];
  assertClose(t, f(inputs[0]!, inputs[1]!, inputs[2]!), c.y, TOL, 'y');
  const [dx, dg, db] = tf.grads(f)(inputs, tf.tensor2d(c.dy));
  assertClose(t, dx!, c.dx, TOL, 'dx');
  assertClose(t, dg!, c.dgamma, TOL, 'dγ');
  assertClose(t, db!, c.dbeta, TOL, 'dβ');

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
  const f = (x: tf.Tensor) => batchNormTrain(x as tf.Tensor2D, undefined, undefined, c.epsilon).y;
  assertClose(t, f(tf.tensor2d(c.x)), c.y, TOL, 'y');
  assertClose(t, tf.grad(f)(tf.tensor2d(c.x), tf.tensor2d(c.dy)), c.dx, TOL, 'dx');
});

test('LayerNorm: output and gradients match torch LayerNorm', (t) => {
  const c = cases.layer;
  const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon);
  const inputs = [tf.tensor2d(c.x), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)];
  assertClose(t, f(inputs[0]!, inputs[1]!, inputs[2]!), c.y, TOL, 'y');
  const [dx, dg, db] = tf.grads(f)(inputs, tf.tensor2d(c.dy));
  assertClose(t, dx!, c.dx, TOL, 'dx');
  assertClose(t, dg!, c.dgamma, TOL, 'dγ');
  assertClose(t, db!, c.dbeta, TOL, 'dβ');
});

test('WeightNorm dense layer: output and gradients (x, v, g, b) match torch weight_norm(Linear)', (t) => {
  const c = cases.weight;
  // PyTorch stores v as [out, in]; normbench as [in, out].
  const v = tf.transpose(tf.tensor2d(c.v));
  const f = (x: tf.Tensor, vv: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    dense(x as tf.Tensor2D, weightNormKernel(vv as tf.Tensor2D, g as tf.Tensor1D), b as tf.Tensor1D);
  const inputs = [tf.tensor2d(c.x), v, tf.tensor1d(c.g), tf.tensor1d(c.bias)];
  assertClose(t, f(inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!), c.y, TOL, 'y');
  const [dx, dv, dg, db] = tf.grads(f)(inputs, tf.tensor2d(c.dy));
  assertClose(t, dx!, c.dx, TOL, 'dx');
  assertClose(t, tf.transpose(dv!), c.dv, TOL, 'dv');
  assertClose(t, dg!, c.dg, TOL, 'dg');
  assertClose(t, db!, c.dbias, TOL, 'db');
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
