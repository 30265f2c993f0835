// Recurrent models and norms: equivalences, per-step statistics, initialisation, identical
// networks across norms, tensors disposed, probes that never change training.

import test from '../ava.js';
import type {ModelSpec, NormSpec, TrainSpec} from '../../src/spec/experiment.js';
import {makeAdding} from '../../src/data/sequences.js';
import type {Dataset} from '../../src/data/types.js';
import {buildModel} from '../../src/models/registry.js';
import {RecurrentModel, type RecurrentLayer} from '../../src/models/rnn.js';
import {ACTIVATION_FNS} from '../../src/nn/activations.js';
import type {ActivationName} from '../../src/spec/names.js';
import {profileInnerKernels} from '../../src/nn/fused.js';
import {gatesOf, recurrence, stepOf} from '../../src/nn/recurrence.js';
import {BatchNorm} from '../../src/norms/batch.js';
import {RecurrentBatchNorm} from '../../src/norms/batch-recurrent.js';
import {normalise} from '../../src/norms/normalise.js';
import {StepBatchNorm} from '../../src/norms/recurrent.js';
import {createRecurrentNorm} from '../../src/norms/registry.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import * as tf from '../../src/tf.js';
import {train} from '../../src/train/trainer.js';
import {assertClose, maxAbsDiff, setupBackend} from '../helpers.js';

test.before(setupBackend);

const LSTM: ModelSpec = {kind: 'lstm', hidden: 8, layers: 1, init: 'glorot_uniform', init_std: 0.01, recurrent_init: 'orthogonal', h0_noise: 0, forget_bias: 1};
const RNN: ModelSpec = {kind: 'rnn', hidden: 8, layers: 1, init: 'glorot_uniform', init_std: 0.01, recurrent_init: 'orthogonal', h0_noise: 0};
const SPEC: TrainSpec = {optimizer: 'rmsprop', lr: 0.01, batch_size: 16, steps: 12, eval_every: 4, clip_norm: 1, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};
const RECURRENT_NORMS: NormSpec[] = [
  resolveNorm('none'), resolveNorm('layer'), resolveNorm('batch'), resolveNorm('batch', {share_stats: true}),
  resolveNorm('bn-rnn'), resolveNorm('bn-rnn', {stats: 'sequence'}),
];

/** A short sequence task: the adding problem, 6 steps of 2 inputs. */
const ADDING: Dataset = makeAdding({length: 6, train_size: 96, test_size: 32, seed: 1});

function recurrent(model: ModelSpec, norm: NormSpec, data: Dataset = ADDING, seed = 1) {
  return buildModel({model, norm, activation: 'tanh', seed, inputs: data.features, classes: data.classes, sequence: {inputs: data.inputs!, steps: data.train.width / data.inputs!}});
}

const rand = (shape: number[], seed: number, mean = 0, std = 1) => tf.randomNormal(shape, mean, std, 'float32', seed);

test('recurrent BN with T = 1 equals feed-forward BN on the same pre-activations: output, gradient, moving averages', (t) => {
  const units = 6;
  const rbn = new RecurrentBatchNorm({units, gates: 1, steps: 1, cell: true}, {momentum: 0.9, epsilon: 1e-5, center: true, scale: true, gamma_init: 0.7});
  const ff = new BatchNorm({units, kernel: tf.zeros([3, units])}, {momentum: 0.9, epsilon: 1e-5, center: true, scale: true, gamma_init: 0.7});
  const z = rand([10, units], 1, 2, 3) as tf.Tensor2D;
  const ctx = {training: true, updateStats: false};
  // The input projection (γ_x, no β), the recurrent projection (γ_h) and the cell (γ_c, β_c) are each one BN at T = 1.
  const viaInputs = (a: tf.Tensor2D) => tf.reshape(rbn.inputs(tf.reshape(a, [10, 1, units]) as tf.Tensor3D, ctx), [10, units]);
  for (const [what, recurrentBn] of [['inputs', viaInputs], ['recurrent', (a: tf.Tensor2D) => rbn.recurrent(a, 0, ctx)], ['cell', (a: tf.Tensor2D) => rbn.cell(a, 0, ctx)]] as const) {
    const [gr] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(recurrentBn(a as tf.Tensor2D), rand([10, units], 2))))([z]);
    const [gf] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(ff.apply(a as tf.Tensor2D, {training: true, updateStats: false}), rand([10, units], 2))))([z]);
    assertClose(t, recurrentBn(z), ff.apply(z, {training: true, updateStats: false}), 1e-6, `${what}: output`);
    assertClose(t, gr!, gf!, 1e-5, `${what}: ∂/∂z`);
  }
  // One training pass of each, updating statistics: the moving averages agree too.
  const update = {training: true, updateStats: true};
  rbn.inputs(tf.reshape(z, [10, 1, units]) as tf.Tensor3D, update);
  rbn.recurrent(z, 0, update);
  rbn.cell(z, 0, update);
  rbn.endSequence();
  ff.apply(z, update);
  for (const which of ['x', 'h', 'c']) {
    assertClose(t, rbn.state[`${which}_mean`]!, ff.state.moving_mean!, 1e-6, `${which}: moving mean`);
    assertClose(t, rbn.state[`${which}_variance`]!, ff.state.moving_variance!, 1e-6, `${which}: moving variance`);
  }
  rbn.dispose();
  ff.dispose();
});

test('per-step statistics differ across steps, and evaluation past the training length uses the last step\'s', (t) => {
  const units = 4;
  const bn = new StepBatchNorm(units, 3, 'per-step', 0, 1e-5); // momentum 0: the moving averages are the last batch's
  // Step t of the training batch has mean 10·t and std t + 1.
  const z = tf.concat([0, 1, 2].map((s) => tf.reshape(rand([32, units], 3 + s, 10 * s, s + 1), [32, 1, units])), 1) as tf.Tensor3D;
  bn.all(z, undefined, undefined, {training: true, updateStats: true});
  bn.commit();
  const means = bn.mean.arraySync();
  t.true(means.every((row, s) => row.every((m) => Math.abs(m - 10 * s) < 1.5)), `per-step means ${JSON.stringify(means)}`);
  t.true(means[2]![0]! - means[0]![0]! > 15, 'the steps keep their own statistics');
  // Evaluation at T = 5: steps 3 and 4 use the statistics of step 2.
  t.deepEqual([0, 1, 2, 3, 4, 9].map((s) => bn.row(s)), [0, 1, 2, 2, 2, 2]);
  const x = rand([5, 5, units], 9, 20, 2) as tf.Tensor3D;
  const y = bn.all(x, undefined, undefined, {training: false, updateStats: false});
  const step = (s: number, row: number) => normalise(tf.reshape(tf.slice(x, [0, s, 0], [5, 1, units]), [5, units]), tf.slice(bn.mean, [row, 0], [1, units]), tf.slice(bn.variance, [row, 0], [1, units]), undefined, undefined, 1e-5);
  for (const s of [0, 1, 2, 3, 4]) assertClose(t, tf.reshape(tf.slice(y, [0, s, 0], [5, 1, units]), [5, units]), step(s, Math.min(s, 2)), 1e-5, `step ${s}`);
  t.true(maxAbsDiff(tf.reshape(tf.slice(y, [0, 4, 0], [5, 1, units]), [5, units]), step(4, 0)) > 1, 'not the first step\'s statistics');
  bn.dispose();
});

test('BN-RNN: frame statistics per step over the batch; sequence statistics pooled over batch × time', (t) => {
  const units = 3;
  const z = tf.concat([0, 1, 2, 3].map((s) => tf.reshape(rand([64, units], 20 + s, 5 * s, 1 + s), [64, 1, units])), 1) as tf.Tensor3D;
  const ctx = {training: true, updateStats: false};
  const frame = new StepBatchNorm(units, 4, 'per-step', 0.9, 1e-5).all(z, undefined, undefined, ctx);
  const sequence = new StepBatchNorm(units, 4, 'pooled', 0.9, 1e-5).all(z, undefined, undefined, ctx);
  for (let s = 0; s < 4; s++) {
    const {mean, variance} = tf.moments(tf.slice(frame, [0, s, 0], [64, 1, units]), [0, 1]);
    assertClose(t, mean, [0, 0, 0], 1e-5, `frame: step ${s} has mean 0`);
    assertClose(t, variance, [1, 1, 1], 1e-3, `frame: step ${s} has variance 1`);
  }
  const pooled = tf.moments(sequence, [0, 1]);
  assertClose(t, pooled.mean, [0, 0, 0], 1e-5, 'sequence: mean 0 over batch × time');
  assertClose(t, pooled.variance, [1, 1, 1], 1e-3, 'sequence: variance 1 over batch × time');
  const first = tf.moments(tf.slice(sequence, [0, 0, 0], [64, 1, units]), [0, 1]).mean.dataSync();
  t.true(Array.from(first).every((m) => m < -0.5), `sequence: step 0 keeps its lower mean (${Array.from(first)})`);
});

test('initialisation: orthogonal or identity recurrent blocks, forget-gate bias, identical kernels for every norm', (t) => {
  const ortho = recurrent(LSTM, resolveNorm('none')) as RecurrentModel;
  const kh = ortho.params.get('lstm1/kernel_h')!;
  for (let g = 0; g < 4; g++) {
    const block = tf.slice(kh, [0, 8 * g], [8, 8]);
    assertClose(t, tf.matMul(block, block, true), tf.eye(8), 1e-5, `gate ${g}: WᵀW = I`);
  }
  assertClose(t, tf.slice(ortho.params.get('lstm1/bias')!, [8], [8]), Array(8).fill(1), 0, 'forget gate bias 1');
  assertClose(t, tf.slice(ortho.params.get('lstm1/bias')!, [0], [8]), Array(8).fill(0), 0, 'input gate bias 0');
  const identity = recurrent({...RNN, recurrent_init: 'identity'}, resolveNorm('none'));
  assertClose(t, identity.params.get('rnn1/kernel_h')!, tf.eye(8), 0, 'identity');
  for (const norm of RECURRENT_NORMS) {
    const m = recurrent(LSTM, norm);
    for (const name of ['lstm1/kernel_x', 'lstm1/kernel_h', 'lstm1/bias', 'output/kernel']) {
      t.is(maxAbsDiff(m.params.get(name)!, ortho.params.get(name)!), 0, `${norm.name}: ${name} identical`);
    }
    m.dispose();
  }
  ortho.dispose();
  identity.dispose();
});

test('every recurrent norm trains with a flat tensor count and leaves nothing behind; probes never change the trajectory', async (t) => {
  for (const model of [LSTM, RNN]) {
    for (const norm of RECURRENT_NORMS) {
      const label = `${model.kind}/${norm.name}(${JSON.stringify(norm.options)})`;
      const before = tf.memory().numTensors;
      const m = recurrent(model, norm);
      const counts: number[] = [];
      const probed = await train(m, ADDING, SPEC, 1, {probes: ['gradient_flow'], onStep: (step) => step >= 2 && counts.push(tf.memory().numTensors)});
      m.dispose();
      t.is(tf.memory().numTensors, before, `${label}: nothing left behind`);
      t.true(counts.every((c) => c === counts[0]), `${label}: ${[...new Set(counts)].join(', ')}`);
      t.deepEqual(probed.gradientFlow.map((p) => [p.step, p.grad_norms.length]), [[0, 6], [4, 6], [8, 6], [12, 6]], label);
      t.true(probed.gradientFlow.every((p) => p.grad_norms.every((g) => Number.isFinite(g) && g >= 0)), label);
      const plain = recurrent(model, norm);
      const unprobed = await train(plain, ADDING, SPEC, 1);
      plain.dispose();
      const untimed = (r: typeof probed) => r.points.map(({wall_ms: _w, ...p}) => p);
      t.deepEqual(untimed(unprobed), untimed(probed), `${label}: the probe does not change training`);
    }
  }
});

test('the gradient-flow probe is exact: a linear RNN with W_h = c·I has ‖∂L/∂h_t‖ = c^(T−t)·‖∂L/∂h_T‖', async (t) => {
  for (const c of [1, 0.5]) {
    const m = buildModel({model: {...RNN, recurrent_init: 'identity'}, norm: resolveNorm('none'), activation: 'identity', seed: 1,
      inputs: ADDING.features, classes: 1, sequence: {inputs: 2, steps: 6}}) as RecurrentModel;
    m.params.get('rnn1/kernel_h')!.assign(tf.mul(tf.eye(8), c) as tf.Tensor2D);
    const r = await train(m, ADDING, {...SPEC, optimizer: 'sgd', lr: 0, steps: 1, eval_every: 1}, 1, {probes: ['gradient_flow']});
    m.dispose();
    const g = r.gradientFlow[0]!.grad_norms;
    const ratios = g.slice(0, -1).map((x, i) => x / g[i + 1]!);
    t.true(ratios.every((q) => Math.abs(q - c) < 1e-5), `c = ${c}: ratios ${ratios.map((q) => q.toFixed(6)).join(', ')}`);
  }
});

test('h₀ noise is drawn from the seed alone: the same for every norm, and only at training steps', async (t) => {
  const noisy = {...LSTM, h0_noise: 0.5};
  const run = async (norm: NormSpec) => {
    const m = recurrent(noisy, norm);
    const r = await train(m, ADDING, {...SPEC, optimizer: 'sgd', lr: 0}, 1);
    m.dispose();
    return r.points.map((p) => p.test_loss);
  };
  const a = await run(resolveNorm('none'));
  const b = await run(resolveNorm('none'));
  t.deepEqual(a, b, 'deterministic');
  t.true(a.every((x) => x === a[0]), 'lr 0: evaluation (no noise) gives the same loss at every point');
});

test('the fused recurrence equals autodiff through runLayer: every norm, LSTM and RNN with each φ, training and evaluation', (t) => {
  const cases: Array<['lstm' | 'rnn', ActivationName]> = [['lstm', 'tanh'], ['rnn', 'tanh'], ['rnn', 'relu'], ['rnn', 'sigmoid'], ['rnn', 'identity']];
  for (const [kind, activation] of cases) {
    for (const spec of RECURRENT_NORMS) {
      for (const training of [true, false]) {
        const label = `${kind}/${activation}/${spec.name}${JSON.stringify(spec.options)}/${training ? 'train' : 'eval'}`;
        const gates = kind === 'lstm' ? 4 : 1;
        const units = 5;
        const norm = createRecurrentNorm(spec, {units, gates, steps: 4, cell: kind === 'lstm'});
        // Non-trivial moving averages for evaluation.
        for (const [name, v] of Object.entries(norm.state)) v.assign(tf.add(v, tf.mul(rand(v.shape, 40 + name.length, 0, 0.2), name.endsWith('variance') ? 0 : 1)));
        const zx = tf.variable(rand([6, 4, units * gates], 41, 0.3, 1) as tf.Tensor3D);
        const kernelH = tf.variable(rand([units, units * gates], 42, 0, 0.5) as tf.Tensor2D);
        const bias = tf.variable(rand([units * gates], 43, 0, 0.3) as tf.Tensor1D);
        const h0 = tf.variable(rand([6, units], 44, 0, 0.3) as tf.Tensor2D);
        const R = rand([6, 4, units], 45);
        const ctx = {training, updateStats: false};
        const layer: RecurrentLayer = {kind, units, kernelX: tf.eye(1) as tf.Tensor2D, kernelH, bias, norm, activation: ACTIVATION_FNS[activation]};
        const vars = [zx, kernelH, bias, h0, ...Object.values(norm.params)];
        // runLayer projects its input itself; feeding it the projections through an identity kernel.
        const viaAutodiff = tf.variableGrads(() => {
          const steps: tf.Tensor2D[] = [];
          let h = h0 as tf.Tensor2D;
          let c: tf.Tensor2D | undefined = kind === 'lstm' ? tf.zeros([6, units]) : undefined;
          for (let s = 0; s < 4; s++) {
            const z = tf.add(tf.add(tf.reshape(tf.slice(zx, [0, s, 0], [6, 1, -1]), [6, -1]), norm.recurrent(tf.matMul(h, kernelH), s, ctx)), bias) as tf.Tensor2D;
            if (c) {
              const [i, f, g, o] = tf.split(z, 4, 1) as tf.Tensor2D[];
              c = tf.add(tf.mul(tf.sigmoid(f!), c), tf.mul(tf.sigmoid(i!), tf.tanh(g!))) as tf.Tensor2D;
              h = tf.mul(tf.sigmoid(o!), tf.tanh(norm.cell(c, s, ctx))) as tf.Tensor2D;
            } else {
              h = layer.activation!(z);
            }
            steps.push(h);
          }
          return tf.sum(tf.mul(tf.stack(steps, 1), R)) as tf.Scalar;
        }, vars);
        const viaFused = tf.variableGrads(() =>
          tf.sum(tf.mul(recurrence({kind, units, activation, zx, kernelH, bias, h0, plan: norm.plan(ctx, 4)}), R)) as tf.Scalar, vars);
        assertClose(t, [viaFused.value.dataSync()[0]!], [viaAutodiff.value.dataSync()[0]!], 1e-4, `${label}: loss`);
        // γ_x of BN-RNN acts on the input projections, outside the recurrence: neither side differentiates it here.
        for (const v of vars) {
          t.is(viaFused.grads[v.name] === undefined, viaAutodiff.grads[v.name] === undefined, `${label}: the same variables get gradients`);
          if (viaAutodiff.grads[v.name]) assertClose(t, viaFused.grads[v.name]!, viaAutodiff.grads[v.name]!, 1e-4, `${label}: ∂/∂${v.name}`);
        }
        norm.dispose();
        for (const v of [zx, kernelH, bias, h0]) v.dispose();
      }
    }
  }
});

test('a step of x and the gate blocks of z are exact copies (one kernel through views of the heap on wasm), and a step\'s gradient is put back in place', (t) => {
  tf.tidy(() => {
    const x = tf.randomNormal([5, 7, 3], 0, 1, 'float32', 11) as tf.Tensor3D;
    const xs = x.arraySync();
    for (const at of [0, 3, 6]) t.deepEqual(stepOf(x, at).arraySync(), xs.map((row) => row[at]), `step ${at}`);
    const z = tf.randomNormal([4, 12], 0, 1, 'float32', 12) as tf.Tensor2D;
    const zs = z.arraySync();
    gatesOf(z, 3).forEach((gate, k) => t.deepEqual(gate.arraySync(), zs.map((row) => row.slice(3 * k, 3 * k + 3)), `gate ${k}`));
    const w = tf.randomNormal([5, 3], 0, 1, 'float32', 13);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stepOf(v as tf.Tensor3D, 4), w)))(x).arraySync() as number[][][];
    const ws = w.arraySync() as number[][];
    t.deepEqual(g, xs.map((row, b) => row.map((_, at) => (at === 4 ? ws[b]! : [0, 0, 0]))));
  });
});

test('the recurrence is one engine op forward and one backward, running the backend\'s kernels directly: T products forward, T + 1 backward (∂L/∂W_h as one product over the stacked steps)', async (t) => {
  const steps = 5;
  const units = 4;
  for (const [kind, norm] of [['lstm', resolveNorm('none')], ['lstm', resolveNorm('batch')], ['rnn', resolveNorm('layer')]] as const) {
    const gates = kind === 'lstm' ? 4 : 1;
    const n = createRecurrentNorm(norm, {units, gates, steps, cell: kind === 'lstm'});
    const zx = tf.variable(rand([3, steps, units * gates], 51) as tf.Tensor3D);
    const kernelH = tf.variable(rand([units, units * gates], 52, 0, 0.5) as tf.Tensor2D);
    const bias = tf.variable(rand([units * gates], 53) as tf.Tensor1D);
    const h0 = tf.variable(tf.zeros([3, units]) as tf.Tensor2D);
    const vars = [zx, kernelH, bias, h0, ...Object.values(n.params)];
    const loss = () => tf.sum(recurrence({kind, units, activation: 'tanh', zx, kernelH, bias, h0, plan: n.plan({training: true, updateStats: false}, steps)})) as tf.Scalar;
    const timer = profileInnerKernels(true)!;
    const profile = await tf.profile(() => {
      const {value, grads} = tf.variableGrads(loss, vars);
      value.dispose();
      tf.dispose(grads);
    });
    profileInnerKernels(false);
    const label = `${kind}/${norm.name}`;
    const engineOps = profile.kernels.map((k) => k.name).filter((name) => name.startsWith('NormbenchRecurrence'));
    t.deepEqual(engineOps, ['NormbenchRecurrence', 'NormbenchRecurrenceGrad'], `${label}: one op each way`);
    t.is(timer.get('BatchMatMul')?.calls, 2 * steps + 1, `${label}: products`);
    t.true([...timer.values()].every((e) => e.calls > 0 && e.ms >= 0 && e.elements > 0), `${label}: every inner kernel counted`);
    n.dispose();
    tf.dispose(vars.slice(0, 4));
  }
  t.is(profileInnerKernels(false), undefined);
});
