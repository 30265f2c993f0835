// Ioffe & Szegedy 2015 §2: centring by a batch mean that the gradient step ignores lets the
// dense bias grow without bound while the output and the loss stay put; batch norm proper
// gives that bias exactly zero gradient (so it is dropped).

import test from '../ava.js';
import {Mlp} from '../../src/models/mlp.js';
import {batchNormTrain} from '../../src/norms/batch.js';
import {centeredStopgradTrain} from '../../src/norms/centered-stopgrad.js';
import {meanOnlyTrain} from '../../src/norms/mean-only.js';
import {standardise} from '../../src/norms/normalise.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import {Rng} from '../../src/rng.js';
import * as tf from '../../src/tf.js';
import {assertClose, maxAbsDiff, setupBackend} from '../helpers.js';

test.before(setupBackend);

const FORWARD = {training: true, updateStats: false};
const HIDDEN = ['hidden1/bias', 'hidden2/bias'];

function batch(seed: string, n: number, d: number, scale = 1): tf.Tensor2D {
  const rng = new Rng('bias-runaway', seed);
  return tf.tensor2d(Array.from({length: n}, () => Array.from({length: d}, () => rng.normal() * scale)));
}

function setup(options: Record<string, unknown>) {
  const model = new Mlp({
    model: {kind: 'mlp', hidden: [8, 8], init: 'glorot_uniform', init_std: 0.01},
    norm: resolveNorm('centered-stopgrad', options), activation: 'tanh', seed: 3, inputs: 6, classes: 3,
  });
  const x = batch('x', 16, 6, 2);
  const labels = tf.oneHot(tf.tensor1d(Array.from({length: 16}, (_, i) => i % 3), 'int32'), 3);
  const loss = () => tf.losses.softmaxCrossEntropy(labels, model.forward(x, FORWARD)) as tf.Scalar;
  /** One plain SGD step on the named parameters; returns the loss before it. */
  const sgd = (names: string[], lr: number): number => tf.tidy(() => {
    const vars = names.map((n) => model.params.get(n)!);
    const {value, grads} = tf.variableGrads(loss, vars);
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, lr)));
    return value.dataSync()[0]!;
  });
  const bias = (name: string) => Array.from(model.params.get(name)!.dataSync());
  return {model, x, sgd, bias};
}

const norm = (v: number[]) => Math.hypot(...v);

for (const scale_stopgrad of [false, true]) {
  test(`centered-stopgrad${scale_stopgrad ? ' (scale_stopgrad)' : ''}: SGD grows the hidden biases, yet the output ignores them`, (t) => {
    const {model, x, sgd, bias} = setup({scale_stopgrad});
    t.true(HIDDEN.every((n) => model.params.has(n)), 'the dense bias is kept');
    const all = [...model.params.keys()];
    for (let i = 0; i < 50; i++) sgd(all, 0.5);
    for (const name of HIDDEN) t.true(norm(bias(name)) > 0.5, `${name}: ‖b‖ = ${norm(bias(name))}`);
    // The forward pass does not depend on the hidden biases: set them to 0, same logits.
    const trained = model.forward(x, FORWARD);
    for (const name of HIDDEN) model.params.get(name)!.assign(tf.zeros([8]));
    assertClose(t, model.forward(x, FORWARD), trained, 1e-5, 'logits with b and with b = 0');
    model.dispose();
  });

  test(`centered-stopgrad${scale_stopgrad ? ' (scale_stopgrad)' : ''}: trained alone, the biases drift at a constant rate while the loss does not move`, (t) => {
    const {model, sgd, bias} = setup({scale_stopgrad});
    const losses: number[] = [];
    const drift: number[] = [];
    for (let step = 1; step <= 40; step++) {
      losses.push(sgd(HIDDEN, 0.5));
      if (step % 10 === 0) drift.push(norm(bias('hidden1/bias')));
    }
    t.true(Math.max(...losses) - Math.min(...losses) < 1e-6, `loss moved: ${Math.min(...losses)}…${Math.max(...losses)}`);
    // The same gradient every step: ‖b‖ after 20, 30, 40 steps is 2, 3, 4 × after 10.
    drift.forEach((d, i) => t.true(Math.abs(d / drift[0]! - (i + 1)) < 1e-3, `‖b‖ at step ${10 * (i + 1)}: ${d} (step 10: ${drift[0]})`));
    t.true(drift[0]! > 0.01);
    model.dispose();
  });
}

test('a bias before batch norm (or mean-only BN) gets exactly no gradient; before stop-gradient centring it gets Σ ∂ℓ/∂x̂', (t) => {
  const z = batch('z', 16, 8, 3);
  const dy = batch('dy', 16, 8);
  const gamma = tf.linspace(0.5, 1.5, 8) as tf.Tensor1D;
  const beta = tf.linspace(-1, 1, 8) as tf.Tensor1D;
  const gradOfBias = (f: (x: tf.Tensor2D) => tf.Tensor2D) =>
    tf.grad((b: tf.Tensor) => tf.sum(tf.mul(f(tf.add(z, b) as tf.Tensor2D), dy)))(tf.zeros([8]));
  const zero = new Array(8).fill(0);
  assertClose(t, gradOfBias((x) => standardise(x, gamma, beta, 1e-5, 0)), zero, 1e-5, 'BN, fused op');
  assertClose(t, gradOfBias((x) => batchNormTrain(x, gamma, beta, 1e-5).y), zero, 1e-5, 'BN, autodiff');
  assertClose(t, gradOfBias((x) => meanOnlyTrain(x, beta).y), zero, 1e-5, 'mean-only BN');
  const stopgrad = gradOfBias((x) => centeredStopgradTrain(x, false, 1e-5).y);
  assertClose(t, stopgrad, tf.sum(dy, 0), 1e-5, 'stop-gradient centring: Σ_batch ∂ℓ/∂x̂');
  t.true(maxAbsDiff(stopgrad, zero) > 0.5);
  const bn = new Mlp({
    model: {kind: 'mlp', hidden: [8, 8], init: 'glorot_uniform', init_std: 0.01},
    norm: resolveNorm('batch'), activation: 'tanh', seed: 3, inputs: 6, classes: 3,
  });
  t.false([...bn.params.keys()].some((k) => k.startsWith('hidden') && k.endsWith('/bias')), 'BN drops the dense bias');
  bn.dispose();
});
