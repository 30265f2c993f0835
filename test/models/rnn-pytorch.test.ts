// The recurrent cells and norms against PyTorch (float64, scripts/make-rnn-fixtures.py →
// test/fixtures/rnn.json): a 3-step forward pass, and the gradients of the loss
// L = Σ_t Σ h_t ⊙ R_t with respect to the input, h₀ and every parameter, within 1e-5 — relative
// for values above 1 (some gradients reach 3.5, and float32 sums them in a backend's own order:
// on tfjs-node ∂L/∂γ_c of BN-LSTM is 1.1e-5 off, 3e-6 relative).
// The plain LSTM and RNN fixtures are themselves checked against torch.nn.LSTM / nn.RNN.

import test from '../ava.js';
import * as tf from '../../src/tf.js';
import {runLayer, type RecurrentLayer} from '../../src/models/rnn.js';
import {recurrence} from '../../src/nn/recurrence.js';
import {createRecurrentNorm} from '../../src/norms/registry.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import {assertClose, fixture, setupBackend} from '../helpers.js';

type Arr = number[] | number[][] | number[][][];
interface Case {
  cell: 'lstm' | 'rnn';
  norm: 'none' | 'layer' | 'batch' | 'bn-rnn';
  stats?: string;
  mode: 'train' | 'eval';
  inputs: {
    x: number[][][];
    h0: number[][];
    R: number[][][];
    params: Record<string, Arr>;
    epsilon?: number;
    momentum?: number;
    population?: Record<'x' | 'h' | 'c', {mean: number[][]; var: number[][]}>;
  };
  outputs: {h: number[][][]; loss: number; c_T?: number[][]; running?: Record<'x' | 'h' | 'c', {mean: number[][]; var: number[][]}>};
  grads?: Record<string, Arr>;
}
const {shapes, cases} = fixture<{shapes: {H: number; T_train: number}; cases: Record<string, Case>}>('rnn.json');
const TOL = 1e-5;

test.before(async () => {
  await setupBackend();
});

function normSpec(c: Case) {
  if (c.norm === 'bn-rnn') return resolveNorm('bn-rnn', {stats: c.stats});
  return resolveNorm(c.norm);
}

/** The layer of a case, its norm's parameters (and population statistics) set from the fixture. */
function build(c: Case) {
  const gates = c.cell === 'lstm' ? 4 : 1;
  const norm = createRecurrentNorm(normSpec(c), {units: shapes.H, gates, steps: shapes.T_train, cell: c.cell === 'lstm'});
  for (const [name, v] of Object.entries(norm.params)) v.assign(tf.tensor(c.inputs.params[name] as number[]));
  if (c.inputs.population) {
    for (const which of ['x', 'h', 'c'] as const) {
      norm.state[`${which}_mean`]!.assign(tf.tensor(c.inputs.population[which].mean));
      norm.state[`${which}_variance`]!.assign(tf.tensor(c.inputs.population[which].var));
    }
  }
  const p = c.inputs.params;
  const variables = {
    x: tf.variable(tf.tensor3d(c.inputs.x)),
    h0: tf.variable(tf.tensor2d(c.inputs.h0)),
    kernel_x: tf.variable(tf.tensor2d(p.kernel_x as number[][])),
    kernel_h: tf.variable(tf.tensor2d(p.kernel_h as number[][])),
    bias: tf.variable(tf.tensor1d(p.bias as number[])),
  };
  const layer: RecurrentLayer = {kind: c.cell, units: shapes.H, kernelX: variables.kernel_x, kernelH: variables.kernel_h, bias: variables.bias, norm};
  return {layer, norm, variables};
}

for (const [name, c] of Object.entries(cases)) {
  // share_stats is a different design here (see src/norms/batch-recurrent.ts): it changes only the
  // moving averages, which lstm_batch_moving and the tests of test/models/rnn.test.ts cover.
  if (name === 'lstm_batch_share_stats') continue;
  test(`${name}: forward pass and every gradient match PyTorch within ${TOL} (relative above 1)`, (t) => {
    const {layer, norm, variables} = build(c);
    const ctx = {training: c.mode === 'train', updateStats: name === 'lstm_batch_moving'};
    const R = tf.tensor3d(c.inputs.R);
    let hs: tf.Tensor3D | undefined;
    let cT: tf.Tensor2D | undefined;
    const loss = () => {
      const out = runLayer(layer, variables.x, variables.h0, ctx);
      hs = tf.keep(tf.stack(out.hs, 1) as tf.Tensor3D);
      cT = out.c ? tf.keep(out.c) : undefined;
      return tf.sum(tf.mul(hs, R)) as tf.Scalar;
    };
    const all = [...Object.values(variables), ...Object.values(norm.params)];
    const {value, grads} = tf.variableGrads(loss, all);
    assertClose(t, hs!, c.outputs.h.flat(), TOL, 'h', true);
    if (c.outputs.c_T) assertClose(t, cT!, c.outputs.c_T, TOL, 'c_T', true);
    assertClose(t, [value.dataSync()[0]!], [c.outputs.loss], TOL, 'loss', true);
    if (c.grads) {
      const names = new Map<tf.Variable, string>([...Object.entries(variables), ...Object.entries(norm.params)].map(([k, v]) => [v, k]));
      for (const v of all) {
        const key = names.get(v)!;
        const expected = c.grads[key];
        t.truthy(expected, `fixture has the gradient of ${key}`);
        assertClose(t, grads[v.name]!, (expected as number[][]).flat(2), TOL, `∂L/∂${key}`, true);
      }
    }
    if (c.outputs.running) {
      for (const which of ['x', 'h', 'c'] as const) {
        assertClose(t, norm.state[`${which}_mean`]!, c.outputs.running[which].mean.flat(), TOL, `moving mean of ${which}`, true);
        assertClose(t, norm.state[`${which}_variance`]!, c.outputs.running[which].var.flat(), TOL, `moving variance of ${which}`, true);
      }
    }
    norm.dispose();
    for (const v of Object.values(variables)) v.dispose();
  });
}

// The fused recurrence (a hand-written backward pass through time) against the same PyTorch
// fixtures: the function the model trains with, not only the autodiff reference.
for (const [name, c] of Object.entries(cases)) {
  if (name === 'lstm_batch_share_stats') continue;
  test(`${name}: the fused recurrence matches PyTorch within ${TOL} too (relative above 1)`, (t) => {
    const {layer, norm, variables} = build(c);
    const ctx = {training: c.mode === 'train', updateStats: name === 'lstm_batch_moving'};
    const R = tf.tensor3d(c.inputs.R);
    let hs: tf.Tensor3D | undefined;
    const steps = c.inputs.x[0]!.length;
    const loss = () => {
      const [b, , d] = variables.x.shape;
      const zx = norm.inputs(tf.reshape(tf.matMul(tf.reshape(variables.x, [b * steps, d]), variables.kernel_x), [b, steps, -1]) as tf.Tensor3D, ctx);
      hs = tf.keep(recurrence({kind: c.cell, units: shapes.H, activation: 'tanh', zx, kernelH: variables.kernel_h, bias: variables.bias, h0: variables.h0, plan: norm.plan(ctx, steps)}));
      if (ctx.training && ctx.updateStats) norm.endSequence(ctx);
      return tf.sum(tf.mul(hs, R)) as tf.Scalar;
    };
    const all = [...Object.values(variables), ...Object.values(norm.params)];
    const {value, grads} = tf.variableGrads(loss, all);
    assertClose(t, hs!, c.outputs.h.flat(), TOL, 'h', true);
    assertClose(t, [value.dataSync()[0]!], [c.outputs.loss], TOL, 'loss', true);
    if (c.grads) {
      const names = new Map<tf.Variable, string>([...Object.entries(variables), ...Object.entries(norm.params)].map(([k, v]) => [v, k]));
      for (const v of all) assertClose(t, grads[v.name]!, (c.grads[names.get(v)!] as number[][]).flat(2), TOL, `∂L/∂${names.get(v)}`, true);
    }
    if (c.outputs.running) {
      for (const which of ['x', 'h', 'c'] as const) {
        assertClose(t, norm.state[`${which}_mean`]!, c.outputs.running[which].mean.flat(), TOL, `moving mean of ${which}`, true);
        assertClose(t, norm.state[`${which}_variance`]!, c.outputs.running[which].var.flat(), TOL, `moving variance of ${which}`, true);
      }
    }
    layer.norm.dispose();
    for (const v of Object.values(variables)) v.dispose();
  });
}
