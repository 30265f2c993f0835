// stop_gradient(x): the value of x, with no gradient through it (tfjs has no such op).
// Batch renormalization treats its corrections r, d as constants, and Ioffe & Szegedy's §2
// counter-example centres with a batch mean that the gradient step ignores.

import * as tf from '../tf.js';

const identityWithoutGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** x's value, treated as a constant by autodiff: ∂stopGradient(x)/∂x = 0. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return identityWithoutGradient(x) as T;
}
