// Variables made from a fresh tensor. tf.variable(t) shares t's data and leaves t alive, so
// `tf.variable(tf.zeros(n))` would leave the zeros behind for good; made inside a tidy, only
// the variable survives.

import * as tf from '../tf.js';

/** A variable holding the value `make` returns; the temporary tensor is disposed. */
export function variableOf<R extends tf.Rank>(make: () => tf.Tensor<R>, trainable = true): tf.Variable<R> {
  return tf.tidy(() => tf.variable(make(), trainable));
}
