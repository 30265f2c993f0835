// A norm's placement in an MLP (issue 18): `pre` dense → norm → φ, `post` dense → φ → norm.
// Both against float64 PyTorch (scripts/make-placement-fixtures.py): the logits, the loss and
// the gradient of every parameter of the model, with the dense bias kept under `post`. Then what
// the placement changes around the network: parameter counts, what the probes read as the input
// of the nonlinearity, and evaluation with moving averages after φ.

import test from '../ava.js';
import type {ModelSpec} from '../../src/spec/experiment.js';
import {Mlp} from '../../src/models/mlp.js';
import {parameterCount} from '../../src/models/types.js';
import {dense} from '../../src/nn/dense.js';
import {softmaxCrossEntropyWithAccuracy} from '../../src/nn/loss.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import type {ActivationName, NormName} from '../../src/spec/names.js';
import * as tf from '../../src/tf.js';
import {assertClose, fixture, setupBackend} from '../helpers.js';

test.before(setupBackend);

interface Case {
  norm: NormName;
  options: Record<string, unknown>;
  activation: ActivationName;
  x: number[][];
  y: number[];
  params: Record<string, number[] | number[][]>;
  logits: number[][];
  loss: number;
  grads: Record<string, number[] | number[][]>;
}

const CASES = fixture<{cases: Record<string, Case>}>('placement.json').cases;
const MODEL: ModelSpec = {kind: 'mlp', hidden: [4, 4], init: 'glorot_uniform', init_std: 0.01};

/** The case's MLP with the fixture's parameters loaded. */
function loaded(c: Case): Mlp {
  const m = new Mlp({model: MODEL, norm: resolveNorm(c.norm, c.options), activation: c.activation, seed: 1, inputs: 5, classes: 3});
  for (const [name, v] of m.params) v.assign(tf.tensor(c.params[name]!, v.shape));
  return m;
}

test('the fixture covers pre and post for several norms and activations', (t) => {
  const names = Object.keys(CASES);
  t.true(names.length >= 7, names.join(', '));
  t.true(names.some((n) => CASES[n]!.options.placement === 'pre'));
  t.true(new Set(names.filter((n) => CASES[n]!.options.placement === 'post').map((n) => CASES[n]!.norm)).size >= 5);
});

for (const [name, c] of Object.entries(CASES)) {
  test(`${name}: logits, loss and every parameter's gradient equal float64 PyTorch within 1e-5`, (t) => {
    const m = loaded(c);
    t.deepEqual([...m.params.keys()].sort(), Object.keys(c.params).sort(), 'the model has exactly the fixture\'s parameters (the bias kept under post)');
    const vars = [...m.params.values()];
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor2d(c.x);
      const y = tf.tensor1d(c.y, 'int32');
      let logits: tf.Tensor2D | undefined;
      const {value, grads} = tf.variableGrads(() => {
        logits = tf.keep(m.forward(x, {training: true, updateStats: false}));
        return softmaxCrossEntropyWithAccuracy(logits, y).loss;
      }, vars);
      assertClose(t, logits!, c.logits, 1e-5, `${name} logits`);
      assertClose(t, [value.dataSync()[0]!], [c.loss], 1e-5, `${name} loss`);
      let checked = 0;
      for (const [param, v] of m.params) {
        assertClose(t, grads[v.name]!, c.grads[param]!, 1e-5, `${name} ∂L/∂${param}`);
        checked++;
      }
      t.is(checked, Object.keys(c.grads).length, 'no parameter went unchecked');
      logits!.dispose();
    });
    t.is(tf.memory().numTensors, before);
    m.dispose();
  });
}

test('post keeps every hidden layer\'s dense bias: parameter counts of 784-100-100-100-10', (t) => {
  // pre (test/models/mlp.test.ts): none 99710; batch, layer, group, renorm 100010 (biases out,
  // γ and β in); rms 100010; mean-only and centered-stopgrad 99710. post: the 300 biases stay.
  const expected: Record<string, number> = {batch: 100310, layer: 100310, group: 100310, renorm: 100310, rms: 100010, 'mean-only': 100010, 'centered-stopgrad': 99710};
  const model: ModelSpec = {...MODEL, hidden: [100, 100, 100]};
  for (const [norm, count] of Object.entries(expected)) {
    const m = new Mlp({model, norm: resolveNorm(norm, {placement: 'post'}), activation: 'relu', seed: 1, inputs: 784, classes: 10});
    t.is(parameterCount(m), count, norm);
    t.true(m.params.has('hidden1/bias'), `${norm}: hidden1/bias`);
    m.dispose();
  }
});

test('the probes\' input of the nonlinearity: the norm\'s output under pre, the dense layer\'s under post', (t) => {
  const c = CASES.batch_post_relu!;
  const post = loaded(c);
  const x = tf.tensor2d(c.x);
  const [first] = post.preActivations(x);
  const direct = dense(x, post.params.get('hidden1/kernel') as tf.Tensor2D, post.params.get('hidden1/bias') as tf.Tensor1D);
  t.deepEqual(Array.from(first!.z.dataSync()), Array.from(direct.dataSync()), 'post: z is x·W + b, what φ sees');
  const pre = loaded(CASES.batch_pre_relu!);
  const [firstPre] = pre.preActivations(tf.tensor2d(CASES.batch_pre_relu!.x));
  const zPre = firstPre!.z.dataSync();
  // Evaluation mode with fresh moving averages (mean 0, variance 1): z = γ·a/√(1 + ε) + β ≠ a.
  const aPre = dense(tf.tensor2d(CASES.batch_pre_relu!.x), pre.params.get('hidden1/kernel') as tf.Tensor2D).dataSync();
  const gamma = pre.params.get('hidden1/batch/gamma')!.dataSync();
  const beta = pre.params.get('hidden1/batch/beta')!.dataSync();
  let worst = 0;
  for (let i = 0; i < zPre.length; i++) worst = Math.max(worst, Math.abs(zPre[i]! - (gamma[i % 4]! * aPre[i]! / Math.sqrt(1 + 1e-5) + beta[i % 4]!)));
  t.true(worst < 1e-5, `pre: z is BN's output (max |Δ| ${worst})`);
  tf.dispose([x, direct, first!.z, firstPre!.z]);
  post.dispose();
  pre.dispose();
});

test('post at evaluation: the moving averages are of φ(a), and normalise it', (t) => {
  const c = CASES.batch_post_sigmoid!;
  const m = loaded(c);
  const x = tf.tensor2d(c.x);
  // One training pass with momentum 0.9 from (0, 1): moving = 0.9·(0, 1) + 0.1·(μ_B, σ²_B) of φ(a).
  tf.tidy(() => void m.forward(x, {training: true, updateStats: true}));
  const a = dense(x, m.params.get('hidden1/kernel') as tf.Tensor2D, m.params.get('hidden1/bias') as tf.Tensor1D);
  const phi = tf.sigmoid(a);
  const {mean, variance} = tf.moments(phi, 0);
  const movingMean = m.state.get('hidden1/batch/moving_mean')!;
  assertClose(t, movingMean, Array.from(mean.dataSync(), (v) => 0.1 * v), 1e-6, 'moving mean of φ(a)');
  assertClose(t, m.state.get('hidden1/batch/moving_variance')!, Array.from(variance.dataSync(), (v) => 0.9 + 0.1 * v * (8 / 7)), 1e-6, 'moving variance (unbiased) of φ(a)');
  // The first layer's output at evaluation: γ(φ(a) − m)/√(v + ε) + β.
  const [layer] = m.trace(x, {training: false, updateStats: false});
  const expected = tf.tidy(() => tf.add(tf.mul(m.params.get('hidden1/batch/gamma')!, tf.div(tf.sub(phi, movingMean), tf.sqrt(tf.add(m.state.get('hidden1/batch/moving_variance')!, 1e-5)))), m.params.get('hidden1/batch/beta')!));
  assertClose(t, layer!.h, expected, 1e-6, 'evaluation output');
  tf.dispose([x, a, phi, mean, variance, layer!.z, layer!.h, expected]);
  m.dispose();
});
