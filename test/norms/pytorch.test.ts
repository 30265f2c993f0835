// Each norm's forward output and gradients (input and parameters) against PyTorch, within 1e-5.
// Fixtures: test/fixtures/norms.json, made by scripts/make-norm-fixtures.py (float64 PyTorch).

import type {ExecutionContext} from 'ava';
import test from '../ava.js';
import {BatchNorm, batchNormTrain} from '../../src/norms/batch.js';
import {normalise, standardise} from '../../src/norms/normalise.js';
import {LayerNorm, layerNorm} from '../../src/norms/layer.js';
import {weightNormKernel} from '../../src/norms/weight.js';
import {createNorm} from '../../src/norms/registry.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import {groupNorm} from '../../src/norms/group.js';
import {rmsNorm} from '../../src/norms/rms.js';
import {batchRenormTrain} from '../../src/norms/renorm.js';
import {meanOnlyTrain} from '../../src/norms/mean-only.js';
import {centeredStopgradTrain} from '../../src/norms/centered-stopgrad.js';
import type {ForwardContext, Norm} from '../../src/norms/types.js';
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
  group: {x: M; dy: M; groups: number; gamma: V; beta: V; epsilon: number; y: M; dx: M; dgamma: V; dbeta: V};
  rms: Rms;
  rms_center: Rms & {beta: V; dbeta: V};
  renorm_clipped: Renorm;
  renorm_unclipped: Renorm;
  mean_only: {x: M; dy: M; beta: V; torch_momentum: number; y: M; dx: M; dbeta: V; running_mean: V};
  centered_stopgrad: Stopgrad;
  centered_stopgrad_scale: Stopgrad;
}
interface Rms {x: M; dy: M; gamma: V; epsilon: number; y: M; dx: M; dgamma: V}
interface Renorm {
  x: M; dy: M; gamma: V; beta: V; epsilon: number; rmax: number; dmax: number; torch_momentum: number;
  moving_mean: V; moving_var: V; r: V; d: V; y: M; dx: M; dgamma: V; dbeta: V; new_moving_mean: V; new_moving_var: V;
}
interface Stopgrad {x: M; dy: M; epsilon: number; torch_momentum: number; y: M; dx: M; running_mean: V; running_var: V}
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

/**
 * A norm layer's output, its input gradient and the gradient of every trainable parameter it
 * has, against PyTorch's. `grads` must name all of the layer's parameters.
 */
function layerMatchesTorch(
  t: ExecutionContext,
  norm: Norm,
  ctx: ForwardContext,
  c: {x: M; dy: M; y: M; dx: M},
  grads: Record<string, V>,
): void {
  const x = tf.tensor2d(c.x);
  const dy = tf.tensor2d(c.dy);
  assertClose(t, norm.apply(x, ctx), c.y, TOL, `${norm.name} y`);
  assertClose(t, tf.grad((xx: tf.Tensor) => norm.apply(xx as tf.Tensor2D, ctx))(x, dy), c.dx, TOL, `${norm.name} dx`);
  t.deepEqual(Object.keys(norm.params).sort(), Object.keys(grads).sort(), `${norm.name}: every parameter checked`);
  const vars = Object.values(norm.params);
  if (vars.length === 0) return;
  const got = tf.variableGrads(() => tf.sum(tf.mul(norm.apply(x, ctx), dy)) as tf.Scalar, vars).grads;
  for (const [name, value] of Object.entries(grads)) assertClose(t, got[norm.params[name]!.name]!, value, TOL, `${norm.name} d${name}`);
}

const TRAIN: ForwardContext = {training: true, updateStats: false};
const kernelOf = (units: number) => tf.zeros([1, units]) as tf.Tensor2D;

/** A norm from the registry, its parameters set to the given values. */
function normWith(name: string, options: Record<string, unknown>, units: number, values: Record<string, V | number>): Norm {
  const norm = createNorm(resolveNorm(name, options), {units, kernel: kernelOf(units)});
  const vars = {...norm.params, ...norm.state};
  for (const [key, value] of Object.entries(values)) vars[key]!.assign(typeof value === 'number' ? tf.scalar(value) : tf.tensor1d(value));
  return norm;
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

test('GroupNorm: the layer and the autodiff reference match torch GroupNorm(3, 12) on [8, 12] (y, dx, dγ, dβ)', (t) => {
  const c = cases.group;
  const reference = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => groupNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, c.groups, c.epsilon);
  matchesTorch(t, reference, [tf.tensor2d(c.x), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)], c.dy,
    {y: c.y, grads: {dx: c.dx, 'dγ': c.dgamma, 'dβ': c.dbeta}});
  const norm = normWith('group', {groups: c.groups, epsilon: c.epsilon}, 12, {gamma: c.gamma, beta: c.beta});
  layerMatchesTorch(t, norm, TRAIN, c, {gamma: c.dgamma, beta: c.dbeta});
  norm.dispose();
});

test('RMSNorm: the layer matches the float64 formula (checked in the script against NumPy), with and without β', (t) => {
  for (const [c, beta] of [[cases.rms, undefined], [cases.rms_center, cases.rms_center.beta]] as const) {
    const norm = normWith('rms', {center: beta !== undefined, epsilon: c.epsilon}, 5, beta ? {gamma: c.gamma, beta} : {gamma: c.gamma});
    layerMatchesTorch(t, norm, TRAIN, c, beta ? {gamma: c.dgamma, beta: cases.rms_center.dbeta} : {gamma: c.dgamma});
    // Evaluation computes the same.
    assertClose(t, norm.apply(tf.tensor2d(c.x), {training: false, updateStats: false}), c.y, TOL, 'rms eval y');
    norm.dispose();
    const op = (x: tf.Tensor, g: tf.Tensor) => rmsNorm(x as tf.Tensor2D, g as tf.Tensor1D, beta && tf.tensor1d(beta), c.epsilon);
    matchesTorch(t, op, [tf.tensor2d(c.x), tf.tensor1d(c.gamma)], c.dy, {y: c.y, grads: {dx: c.dx, dg: c.dgamma}});
  }
});

test('Batch renormalization: the layer and the paper-equation reference match the float64 reference, clipping active and not', (t) => {
  for (const c of [cases.renorm_clipped, cases.renorm_unclipped]) {
    // warmup_end = warmup_start = 0: the final bounds from the first step.
    const options = {rmax: c.rmax, dmax: c.dmax, epsilon: c.epsilon, momentum: 1 - c.torch_momentum, warmup_start: 0, warmup_end: 0};
    const values = {gamma: c.gamma, beta: c.beta, moving_mean: c.moving_mean, moving_variance: c.moving_var};
    const norm = normWith('renorm', options, 5, values);
    layerMatchesTorch(t, norm, TRAIN, c, {gamma: c.dgamma, beta: c.dbeta});
    const mm = tf.tensor1d(c.moving_mean);
    const mv = tf.tensor1d(c.moving_var);
    const reference = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      batchRenormTrain(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, mm, mv, c.rmax, c.dmax, c.epsilon);
    matchesTorch(t, reference, [tf.tensor2d(c.x), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)], c.dy,
      {y: c.y, grads: {dx: c.dx, 'dγ': c.dgamma, 'dβ': c.dbeta}});
    // One updating step moves the averages as BatchNorm1d would (r, d from the averages before it).
    assertClose(t, norm.apply(tf.tensor2d(c.x), {training: true, updateStats: true}), c.y, TOL, 'y of the updating step');
    assertClose(t, norm.state.moving_mean!, c.new_moving_mean, TOL, 'moving mean');
    assertClose(t, norm.state.moving_variance!, c.new_moving_var, TOL, 'moving variance (unbiased)');
    norm.dispose();
  }
});

test('mean-only BN: output, dx, dβ and the moving mean match the float64 reference', (t) => {
  const c = cases.mean_only;
  const norm = normWith('mean-only', {momentum: 1 - c.torch_momentum}, 5, {beta: c.beta});
  layerMatchesTorch(t, norm, TRAIN, c, {beta: c.dbeta});
  const op = (x: tf.Tensor, b: tf.Tensor) => meanOnlyTrain(x as tf.Tensor2D, b as tf.Tensor1D).y;
  matchesTorch(t, op, [tf.tensor2d(c.x), tf.tensor1d(c.beta)], c.dy, {y: c.y, grads: {dx: c.dx, 'dβ': c.dbeta}});
  norm.apply(tf.tensor2d(c.x), {training: true, updateStats: true});
  assertClose(t, norm.state.moving_mean!, c.running_mean, TOL, 'moving mean');
  norm.dispose();
});

test('centring through stop_gradient (and scaling, with scale_stopgrad): output, dx and moving averages match the float64 reference', (t) => {
  for (const [c, scale] of [[cases.centered_stopgrad, false], [cases.centered_stopgrad_scale, true]] as const) {
    const norm = normWith('centered-stopgrad', {scale_stopgrad: scale, epsilon: c.epsilon, momentum: 1 - c.torch_momentum}, 5, {});
    layerMatchesTorch(t, norm, TRAIN, c, {});
    const op = (x: tf.Tensor) => centeredStopgradTrain(x as tf.Tensor2D, scale, c.epsilon).y;
    matchesTorch(t, op, [tf.tensor2d(c.x)], c.dy, {y: c.y, grads: {dx: c.dx}});
    norm.apply(tf.tensor2d(c.x), {training: true, updateStats: true});
    assertClose(t, norm.state.moving_mean!, c.running_mean, TOL, 'moving mean');
    if (scale) assertClose(t, norm.state.moving_variance!, c.running_var, TOL, 'moving variance (unbiased)');
    else t.is(norm.state.moving_variance, undefined);
    norm.dispose();
  }
});
