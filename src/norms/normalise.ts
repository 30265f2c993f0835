// The computation shared by batch and layer normalization.
//
// `normalise` is the last step with the statistics given (evaluation with moving averages, and
// the autodiff reference ops). `standardise` is the training-mode op: statistics and
// normalization in one node with a hand-written gradient. Autodiff through tf.moments records
// ~90 kernels per layer; the closed form below needs 12. With x̂ = (x − μ)·r, r = 1/sqrt(σ² + ε),
// y = γ·x̂ + β, and n values per statistic, the exact gradient (through μ and σ² too) is:
//   ∂L/∂β = Σ_batch dy,   ∂L/∂γ = Σ_batch dy·x̂,   dx̂ = γ·dy
//   ∂L/∂x = (r/n) · (n·dx̂ − Σ_n dx̂ − x̂ · Σ_n dx̂·x̂)
// For batch norm (statistics over the batch) Σ_n dx̂ = γ·∂L/∂β and Σ_n dx̂·x̂ = γ·∂L/∂γ.

import * as tf from '../tf.js';

/** y = γ · (x − μ) / sqrt(σ² + ε) + β, with the statistics given; γ, β optional. */
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

/** Called with the batch statistics (shape [units] for axis 0, [batch] for axis 1). */
export type StatsCallback = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/**
 * Standardise x [batch, units] over `axis` (0: per unit over the batch, BN; 1: per example over
 * the units, LN) with biased variance, then y = γ·x̂ + β; γ, β default to 1 and 0 (their
 * gradients are then discarded). `onStats` sees the statistics while they exist.
 */
export function standardise(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  epsilon: number,
  axis: 0 | 1,
  onStats?: StatsCallback,
): tf.Tensor2D {
  const units = x.shape[1];
  const n = x.shape[axis];
  const op = tf.customGrad(((xs: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const {mean, variance} = tf.moments(xs, axis, true);
    if (onStats) onStats(tf.reshape(mean, [-1]), tf.reshape(variance, [-1]));
    const r = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(tf.sub(xs, mean), r);
    save([xhat, r, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved as [tf.Tensor2D, tf.Tensor, tf.Tensor1D];
        const dbeta = tf.sum(dy, 0);
        const dgamma = tf.sum(tf.mul(dy, xh), 0);
        let dx: tf.Tensor;
        if (axis === 0) {
          dx = tf.mul(tf.mul(gs, tf.div(rs, n)), tf.sub(tf.sub(tf.mul(dy, n), dbeta), tf.mul(xh, dgamma)));
        } else {
          const dxhat = tf.mul(dy, gs);
          const s1 = tf.sum(dxhat, 1, true);
          const s2 = tf.sum(tf.mul(dxhat, xh), 1, true);
          dx = tf.mul(tf.div(rs, n), tf.sub(tf.sub(tf.mul(dxhat, n), s1), tf.mul(xh, s2)));
        }
        return [dx, dgamma, dbeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(x, gamma ?? tf.ones([units]), beta ?? tf.zeros([units]));
}
