// The activations (src/nn/activations.ts). On tensorflow ReLU carries its own gradient,
// dy · [x > 0], in place of tfjs's dy · step(x) (five native ops on tfjs-node): it must be the same
// function, bit for bit, on every backend — values and gradients at positive, negative and zero
// inputs (±0 included) — so that the choice never shows in a result.

import test from '../ava.js';
import {ACTIVATION_FNS, reluByGreater} from '../../src/nn/activations.js';
import {Rng} from '../../src/rng.js';
import * as tf from '../../src/tf.js';
import {setupBackend} from '../helpers.js';

test.before(setupBackend);

test('relu and its gradient are tf.relu\'s bit for bit: positive, negative, +0 and −0 inputs, upstream gradients of both signs', (t) => {
  const rng = new Rng(7, 'test', 'relu');
  const values = Array.from({length: 4000}, (_, i) => (i % 10 === 0 ? 0 : i % 10 === 1 ? -0 : rng.normal() * 3));
  const ups = Array.from({length: 4000}, () => rng.normal());
  const x = tf.tensor2d(values, [40, 100]);
  const dy = tf.tensor2d(ups, [40, 100]);
  const ours = tf.grad((v: tf.Tensor) => reluByGreater(v))(x, dy);
  const theirs = tf.grad((v: tf.Tensor) => tf.relu(v))(x, dy);
  const bits = (tensor: tf.Tensor) => Array.from(new Uint32Array(new Float32Array(tensor.dataSync()).buffer));
  t.deepEqual(bits(reluByGreater(x)), bits(tf.relu(x)), 'forward');
  t.deepEqual(bits(tf.grad((v: tf.Tensor) => ACTIVATION_FNS.relu(v as tf.Tensor2D))(x, dy)), bits(theirs), 'the activation used in training');
  t.deepEqual(bits(ours), bits(theirs), 'gradient');
  // The gradient passes dy where x > 0 and nothing elsewhere (zeros included).
  const g = ours.dataSync();
  t.true(values.every((v, i) => (v > 0 ? g[i] === Math.fround(ups[i]!) : g[i] === 0)));
  t.true(values.some((v) => v === 0) && values.some((v) => v < 0) && values.some((v) => v > 0));
  tf.dispose([x, dy, ours, theirs]);
});
