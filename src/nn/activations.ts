// Activations by name. `identity` leaves the pre-activation as it is (useful for probing norms).

import * as tf from '../tf.js';

import type {ActivationName} from '../spec/names.js';

/**
 * ReLU with its gradient as dy · [x > 0] (Greater, Cast, Multiply), for the tensorflow backend.
 * tfjs differentiates tf.relu as dy · step(x), and tfjs-node runs Step as five native ops over the
 * whole tensor (IsNan, Greater, two Fills, two Selects): 9.7 ms of a 27.7 ms convnet step at
 * batch 32. On wasm it is the other way round (Step 0.5 ms, Greater with a scalar 5.5 ms for the
 * same 652 k values), so there tf.relu keeps tfjs's gradient. The two agree bit for bit wherever
 * x is a number (1 and 0 in both; step(NaN) is NaN, [NaN > 0] is 0, and a NaN input has already
 * made the loss NaN): test/nn/activations.test.ts.
 */
export const reluByGreater = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.relu(x),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.cast(tf.greater(saved!, 0), 'float32')),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as <T extends tf.Tensor>(x: T) => T;

export const ACTIVATION_FNS: Record<ActivationName, (x: tf.Tensor2D) => tf.Tensor2D> = {
  relu: (x) => (tf.getBackend() === 'tensorflow' ? reluByGreater(x) : tf.relu(x)),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  identity: (x) => x,
};
