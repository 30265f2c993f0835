// Activations by name. `identity` leaves the pre-activation as it is (useful for probing norms).

import * as tf from '../tf.js';

import type {ActivationName} from '../spec/names.js';

export const ACTIVATION_FNS: Record<ActivationName, (x: tf.Tensor2D) => tf.Tensor2D> = {
  relu: (x) => tf.relu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  identity: (x) => x,
};
