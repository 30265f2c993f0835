// The Norm contract on 4-D, channels-last tensors [N, H, W, C] (and weight norm on a 4-D
// convolution filter [kh, kw, in, out]) against float64 PyTorch: every norm's output, input
// gradient, parameter gradients and updated statistics, through the same factory the models use.
// Fixtures: test/fixtures/norms4d.json, made by scripts/make-norm4d-fixtures.py (BatchNorm2d,
// GroupNorm, LayerNorm over C·H·W with per-channel γ, β, RMS over C·H·W, weight_norm on a
// Conv2d, InstanceNorm2d, and the papers' equations for mean-only BN, renorm and stop-gradient
// centring).

import type {ExecutionContext} from 'ava';
import test from '../ava.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import {createNorm} from '../../src/norms/registry.js';
import type {ForwardContext, Norm} from '../../src/norms/types.js';
import * as tf from '../../src/tf.js';
import {assertClose, fixture, setupBackend} from '../helpers.js';

type A = number[][][][];
type V = number[];
interface Base {x: A; dy: A; y: A; dx: A; epsilon: number}
interface Cases {
  batch_train: Base & {gamma: V; beta: V; dgamma: V; dbeta: V; torch_momentum: number; running_mean: V; running_var: V};
  batch_eval: Base & {gamma: V; beta: V; dgamma: V; dbeta: V; running_mean: V; running_var: V};
  batch_train_no_affine: Base & {torch_momentum: number; running_mean: V; running_var: V};
  group: Base & {groups: number; gamma: V; beta: V; dgamma: V; dbeta: V};
  layer: Base & {gamma: V; beta: V; dgamma: V; dbeta: V};
  rms: Base & {gamma: V; dgamma: V};
  rms_center: Base & {gamma: V; dgamma: V; beta: V; dbeta: V};
  instance: Base & {gamma: V; beta: V; dgamma: V; dbeta: V};
  mean_only: Omit<Base, 'epsilon'> & {beta: V; dbeta: V; torch_momentum: number; running_mean: V};
  renorm_clipped: Base & {
    gamma: V; beta: V; dgamma: V; dbeta: V; rmax: number; dmax: number; torch_momentum: number;
    moving_mean: V; moving_var: V; new_moving_mean: V; new_moving_var: V;
  };
  centered_stopgrad: Base & {torch_momentum: number; running_mean: V; running_var: V};
  centered_stopgrad_scale: Base & {torch_momentum: number; running_mean: V; running_var: V};
  weight: {
    v: A; g: V; w: A; dw: A; dv: A; dg: V; stride: number; padding: number;
    x_conv: A; bias: V; y_conv: A; dy_conv: A; dx_conv: A; dv_conv: A; dg_conv: V; dbias_conv: V;
  };
}
const {cases} = fixture<{cases: Cases}>('norms4d.json');
const TOL = 1e-5;
const C = 6;

test.before(setupBackend);

const TRAIN_UPDATE: ForwardContext = {training: true, updateStats: true};
const EVAL: ForwardContext = {training: false, updateStats: false};

/** A norm for C channels from the factory, its parameters and statistics set to the given values. */
function normWith(name: string, options: Record<string, unknown>, values: Record<string, V>): Norm {
  const norm = createNorm(resolveNorm(name, options), {units: C, kernel: tf.zeros([3, 3, 2, C])});
  const vars = {...norm.params, ...norm.state};
  for (const [key, value] of Object.entries(values)) vars[key]!.assign(tf.tensor1d(value));
  return norm;
}

/**
 * The norm applied to x [N, H, W, C]: its output, the gradient of Σ y·dy with respect to x and
 * every trainable parameter (all of which must be named in `grads`), against PyTorch's.
 * Statistics update once, in the forward pass.
 */
function matches(t: ExecutionContext, norm: Norm, ctx: ForwardContext, c: Base | Omit<Base, 'epsilon'>, grads: Record<string, V>): void {
  const x = tf.variable(tf.tensor(c.x), true);
  const dy = tf.tensor(c.dy);
  t.deepEqual(Object.keys(norm.params).sort(), Object.keys(grads).sort(), `${norm.name}: every parameter checked`);
  const vars = [x, ...Object.values(norm.params)];
  const {value: y, grads: got} = tf.variableGrads(() => {
    const out = norm.apply(x as tf.Tensor, ctx);
    t.deepEqual(out.shape, x.shape, `${norm.name}: output shape`);
    return tf.sum(tf.mul(out, dy)) as tf.Scalar;
  }, vars);
  y.dispose();
  assertClose(t, norm.apply(x as tf.Tensor, {...ctx, updateStats: false}), tf.tensor(c.y), TOL, `${norm.name} y`, true);
  assertClose(t, got[x.name]!, tf.tensor(c.dx), TOL, `${norm.name} dx`, true);
  for (const [name, value] of Object.entries(grads)) assertClose(t, got[norm.params[name]!.name]!, value, TOL, `${norm.name} d${name}`, true);
}

test('batch norm on [N, H, W, C] is BatchNorm2d in training: per channel over N·H·W, and the moving averages (unbiased over N·H·W) as torch updates them', (t) => {
  const c = cases.batch_train;
  const bn = normWith('batch', {momentum: 1 - c.torch_momentum, epsilon: c.epsilon}, {gamma: c.gamma, beta: c.beta});
  matches(t, bn, TRAIN_UPDATE, c, {gamma: c.dgamma, beta: c.dbeta});
  assertClose(t, bn.state.moving_mean!, c.running_mean, TOL, 'running mean');
  assertClose(t, bn.state.moving_variance!, c.running_var, TOL, 'running variance');
});

test('batch norm on [N, H, W, C] in evaluation is BatchNorm2d.eval(): the moving averages, per channel', (t) => {
  const c = cases.batch_eval;
  const bn = normWith('batch', {epsilon: c.epsilon}, {gamma: c.gamma, beta: c.beta, moving_mean: c.running_mean, moving_variance: c.running_var});
  matches(t, bn, EVAL, c, {gamma: c.dgamma, beta: c.dbeta});
});

test('batch norm without γ, β on [N, H, W, C] is BatchNorm2d(affine=False)', (t) => {
  const c = cases.batch_train_no_affine;
  const bn = normWith('batch', {center: false, scale: false, epsilon: c.epsilon}, {});
  matches(t, bn, TRAIN_UPDATE, c, {});
  assertClose(t, bn.state.moving_mean!, c.running_mean, TOL, 'running mean');
  assertClose(t, bn.state.moving_variance!, c.running_var, TOL, 'running variance');
});

test('group norm on [N, H, W, C] is torch GroupNorm: channel groups over H·W, not runs of the flattened tensor', (t) => {
  const c = cases.group;
  matches(t, normWith('group', {groups: c.groups, epsilon: c.epsilon}, {gamma: c.gamma, beta: c.beta}), EVAL, c, {gamma: c.dgamma, beta: c.dbeta});
});

test('layer norm on [N, H, W, C]: statistics per example over H·W·C, γ and β per channel', (t) => {
  const c = cases.layer;
  matches(t, normWith('layer', {epsilon: c.epsilon}, {gamma: c.gamma, beta: c.beta}), EVAL, c, {gamma: c.dgamma, beta: c.dbeta});
});

test('RMS norm on [N, H, W, C]: per example over H·W·C, gain per channel; and with β', (t) => {
  const c = cases.rms;
  matches(t, normWith('rms', {epsilon: c.epsilon}, {gamma: c.gamma}), EVAL, c, {gamma: c.dgamma});
  const d = cases.rms_center;
  matches(t, normWith('rms', {epsilon: d.epsilon, center: true}, {gamma: d.gamma, beta: d.beta}), EVAL, d, {gamma: d.dgamma, beta: d.dbeta});
});

test('instance norm on [N, H, W, C] is torch InstanceNorm2d(affine=True): per example and channel over H·W, γ and β per channel', (t) => {
  const c = cases.instance;
  matches(t, normWith('instance', {epsilon: c.epsilon}, {gamma: c.gamma, beta: c.beta}), EVAL, c, {gamma: c.dgamma, beta: c.dbeta});
  // Statistics per (example, channel): each of x̂'s H·W maps has mean 0.
  const norm = normWith('instance', {center: false, scale: false}, {});
  const {mean} = tf.moments(norm.apply(tf.tensor(c.x), EVAL), [1, 2]);
  assertClose(t, mean, tf.zeros([c.x.length, C]), 1e-6, 'mean 0 per example and channel');
});

test('instance norm is refused on a dense layer (each statistic would be over one value), naming the norms that fit', (t) => {
  const error = t.throws(() => createNorm(resolveNorm('instance'), {units: C, kernel: tf.zeros([3, C])}));
  t.regex(error.message, /norm "instance" is not built for model mlp \(it supports: cnn\); for mlp use: none, batch, layer, weight, group, rms, renorm, mean-only, centered-stopgrad/);
});

test('mean-only batch norm on [N, H, W, C]: per channel over N·H·W, and its moving mean', (t) => {
  const c = cases.mean_only;
  const norm = normWith('mean-only', {momentum: 1 - c.torch_momentum}, {beta: c.beta});
  matches(t, norm, TRAIN_UPDATE, c, {beta: c.dbeta});
  assertClose(t, norm.state.moving_mean!, c.running_mean, TOL, 'running mean');
});

test('batch renormalization on [N, H, W, C] with r and d clipped: output, gradients (none through r, d) and moving averages', (t) => {
  const c = cases.renorm_clipped;
  // warm-up over before the first step: r_max and d_max at their final values.
  const options = {momentum: 1 - c.torch_momentum, epsilon: c.epsilon, rmax: c.rmax, dmax: c.dmax, warmup_start: 0, warmup_end: 0};
  const norm = normWith('renorm', options, {gamma: c.gamma, beta: c.beta, moving_mean: c.moving_mean, moving_variance: c.moving_var});
  // The output is checked on a pass that updates nothing: the statistics r and d are computed from stay the given ones.
  const x = tf.tensor(c.x);
  assertClose(t, norm.apply(x, {training: true, updateStats: false}), tf.tensor(c.y), TOL, 'renorm y', true);
  const {grads} = tf.variableGrads(() => tf.sum(tf.mul(norm.apply(x, {training: true, updateStats: false}), tf.tensor(c.dy))) as tf.Scalar, Object.values(norm.params));
  assertClose(t, grads[norm.params.gamma!.name]!, c.dgamma, TOL, 'renorm dgamma', true);
  assertClose(t, grads[norm.params.beta!.name]!, c.dbeta, TOL, 'renorm dbeta', true);
  const dx = tf.grad((xx: tf.Tensor) => norm.apply(xx, {training: true, updateStats: false}))(x, tf.tensor(c.dy));
  assertClose(t, dx, tf.tensor(c.dx), TOL, 'renorm dx', true);
  norm.apply(x, TRAIN_UPDATE);
  assertClose(t, norm.state.moving_mean!, c.new_moving_mean, TOL, 'new moving mean');
  assertClose(t, norm.state.moving_variance!, c.new_moving_var, TOL, 'new moving variance');
});

test('stop-gradient centring on [N, H, W, C], without and with the scale: output, input gradient and moving statistics', (t) => {
  for (const [c, scale] of [[cases.centered_stopgrad, false], [cases.centered_stopgrad_scale, true]] as const) {
    const norm = normWith('centered-stopgrad', {scale_stopgrad: scale, momentum: 1 - c.torch_momentum, epsilon: c.epsilon}, {});
    matches(t, norm, TRAIN_UPDATE, c, {});
    assertClose(t, norm.state.moving_mean!, c.running_mean, TOL, `running mean (scale ${scale})`);
    if (scale) assertClose(t, norm.state.moving_variance!, c.running_var, TOL, 'running variance');
  }
});

/** ∂L/∂W of a stride-1 'same' convolution: Σ_{n,h,w} x_pad[n, h+i, w+j, ·]ᵀ · dy[n, h, w, ·] per filter tap (i, j). */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor4D {
  const [n, h, w, cin] = x.shape;
  const cout = dy.shape[3];
  const p = (k - 1) / 2;
  const padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
  const flatDy = tf.reshape(dy, [n * h * w, cout]) as tf.Tensor2D;
  const taps: tf.Tensor2D[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const patch = tf.reshape(tf.slice(padded, [0, i, j, 0], [n, h, w, cin]), [n * h * w, cin]) as tf.Tensor2D;
      taps.push(tf.matMul(patch, flatDy, true, false));
    }
  }
  return tf.reshape(tf.stack(taps), [k, k, cin, cout]) as tf.Tensor4D;
}

test('weight norm on a 4-D filter [kh, kw, in, out] is torch weight_norm(Conv2d, dim=0): w, ∂/∂v, ∂/∂g, and a convolution through it', (t) => {
  const c = cases.weight;
  const v = tf.variable(tf.tensor(c.v), true);
  const norm = createNorm(resolveNorm('weight'), {units: 4, kernel: v});
  t.is(norm.storedKernel, 'v');
  // g starts at ‖v‖ per output filter over (kh, kw, in): w is then v itself.
  assertClose(t, norm.kernel(v as tf.Tensor), v, 1e-6, 'w = v at initialisation', true);
  norm.params.g!.assign(tf.tensor1d(c.g));
  assertClose(t, norm.kernel(v as tf.Tensor), tf.tensor(c.w), TOL, 'w', true);
  const {grads} = tf.variableGrads(() => tf.sum(tf.mul(norm.kernel(v as tf.Tensor), tf.tensor(c.dw))) as tf.Scalar, [v, norm.params.g!]);
  assertClose(t, grads[v.name]!, tf.tensor(c.dv), TOL, 'dv', true);
  assertClose(t, grads[norm.params.g!.name]!, c.dg, TOL, 'dg', true);

  // The filter in tfjs's conv2d layout: torch's conv2d(x, w, bias, padding=1) in channels-last.
  t.is(c.stride, 1);
  t.is(c.padding, 1);
  const x = tf.tensor(c.x_conv) as tf.Tensor4D;
  const bias = tf.tensor1d(c.bias);
  const w = norm.kernel(v as tf.Tensor) as tf.Tensor4D;
  assertClose(t, tf.add(tf.conv2d(x, w, 1, 'same'), bias), tf.tensor(c.y_conv), TOL, 'y_conv', true);
  // Gradients through the convolution and the weight norm. The filter gradient is written out
  // (tfjs-backend-wasm has no Conv2DBackpropFilter), then taken through w = g·v/‖v‖ by autodiff.
  const dyConv = tf.tensor(c.dy_conv) as tf.Tensor4D;
  const dxConv = tf.grad((xx: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, w, 1, 'same'))(x, dyConv);
  assertClose(t, dxConv, tf.tensor(c.dx_conv), TOL, 'dx_conv', true);
  assertClose(t, tf.sum(dyConv, [0, 1, 2]), c.dbias_conv, TOL, 'dbias_conv', true);
  const dW = filterGradient(x, dyConv, 3);
  const chained = tf.variableGrads(() => tf.sum(tf.mul(norm.kernel(v as tf.Tensor), dW)) as tf.Scalar, [v, norm.params.g!]).grads;
  assertClose(t, chained[v.name]!, tf.tensor(c.dv_conv), TOL, 'dv_conv', true);
  assertClose(t, chained[norm.params.g!.name]!, c.dg_conv, TOL, 'dg_conv', true);
});

test('weight norm data-dependent init on a convolution: the layer\'s projection, statistics per output channel over N·H·W', (t) => {
  const c = cases.weight;
  const v = tf.variable(tf.tensor(c.v), true) as tf.Variable;
  const norm = createNorm(resolveNorm('weight', {init: 'data'}), {units: 4, kernel: v});
  const bias = tf.variable(tf.zeros([4]), true) as tf.Variable<tf.Rank.R1>;
  const x = tf.tensor(c.x_conv) as tf.Tensor4D;
  const project = (input: tf.Tensor, kernel: tf.Tensor) => tf.conv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same');
  norm.initFromData!(x, {kernel: v, bias, project});
  const z = tf.add(project(x, norm.kernel(v as tf.Tensor)), bias);
  const {mean, variance} = tf.moments(z, [0, 1, 2]);
  assertClose(t, mean, [0, 0, 0, 0], 1e-5, 'mean 0 per channel');
  assertClose(t, variance, [1, 1, 1, 1], 1e-4, 'variance 1 per channel');
});

test('every norm for dense and convolutional layers takes [N, C] and [N, H, W, C] through one contract: a 4-D input gives the 2-D result of its rows where the statistics are per channel', (t) => {
  const x4 = tf.tensor(cases.batch_train.x) as tf.Tensor4D;
  const rows = tf.reshape(x4, [-1, C]) as tf.Tensor2D;
  for (const name of ['none', 'batch', 'mean-only', 'renorm', 'centered-stopgrad']) {
    const norm = createNorm(resolveNorm(name), {units: C, kernel: tf.zeros([3, C])});
    const ctx = {training: true, updateStats: false};
    assertClose(t, tf.reshape(norm.apply(x4, ctx), [-1, C]), norm.apply(rows, ctx), 0, `${name}: [N, H, W, C] = rows of [N·H·W, C]`);
    norm.dispose();
  }
});
