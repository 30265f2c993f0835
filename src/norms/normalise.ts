// The shared last step of batch and layer normalization, with statistics already computed:
//   y = γ · (x − μ) / sqrt(σ² + ε) + β
// μ, σ² broadcast against x: per unit ([units]) for BN, per example ([batch, 1]) for LN.
// γ and β are optional (`scale: false`, `center: false`).

import * as tf from '../tf.js';

export function normalise<T extends tf.Tensor>(
  x: T,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  epsilon: number,
): T {
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  if (gamma) y = tf.mul(y, gamma);
  if (beta) y = tf.add(y, beta);
  return y as T;
}
