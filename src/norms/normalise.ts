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
import {ensureFusedKernel, type KernelCalls} from '../nn/fused.js';

/** y = γ · (x − μ) / sqrt(σ² + ε) + β, with the statistics given; γ, β optional. */
export function normalise<T extends tf.Tensor>(
  x: T,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  epsilon: number,
): T {
  return affine(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))) as T, gamma, beta);
}

/** γ·x̂ + β per channel (the last axis), each where the norm has it. */
export function affine<T extends tf.Tensor>(xhat: T, gamma: tf.Tensor1D | undefined, beta: tf.Tensor1D | undefined): T {
  let y: tf.Tensor = xhat;
  if (gamma) y = tf.mul(y, gamma);
  if (beta) y = tf.add(y, beta);
  return y as T;
}

/** Called with the batch statistics (shape [units] for axis 0, [batch] for axis 1). */
export type StatsCallback = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/** Moving averages updated in the same op (batch norm at training; axis 0 only). */
export interface MovingAverages {
  mean: tf.Variable;
  variance: tf.Variable;
  /** μ_run ← momentum·μ_run + (1 − momentum)·μ_B; σ²_run likewise with the unbiased σ²_B. */
  momentum: number;
}

/**
 * The same moving-average step for norms that keep their averages outside the fused op:
 * μ_run ← momentum·μ_run + (1 − momentum)·μ_B, and (when the norm keeps one) σ²_run likewise
 * with the batch variance made unbiased by m/(m−1) for a batch of m > 1 (m = 0: already unbiased).
 */
export function blendMovingAverages(
  moving: {mean: tf.Variable; variance?: tf.Variable},
  momentum: number,
  mean: tf.Tensor,
  variance?: tf.Tensor,
  m = 0,
): void {
  tf.tidy(() => {
    const blend = (old: tf.Tensor, batch: tf.Tensor) => tf.add(tf.mul(old, momentum), tf.mul(batch, 1 - momentum));
    moving.mean.assign(blend(moving.mean, mean));
    if (moving.variance && variance) moving.variance.assign(blend(moving.variance, m > 1 ? tf.mul(variance, m / (m - 1)) : variance));
  });
}

// The op runs as two fused kernels (src/nn/fused.ts), forward and backward, each one engine
// op instead of ~20: the same backend kernels in the same order as the tfjs ops they replace
// (tf.moments, the moving-average blend, the formulas above), so the results are bit-identical.
const FORWARD = 'NormbenchStandardise';
const BACKWARD = 'NormbenchStandardiseGrad';

type Info = tf.TensorInfo;

/**
 * The training-mode forward pass as backend kernels, for the unstacked op below and the stacked
 * one (src/stack/standardise.ts), which has every axis one further along: statistics over
 * `axis` (kept as `statShape` when given), x̂, y = γ·x̂ + β, and the moving averages blended with
 * the batch statistics of `batch` values each (their variance made unbiased).
 */
export function standardiseKernels(
  k: KernelCalls,
  {x, gamma, beta, movingMean, movingVariance}: Record<string, Info | undefined>,
  {axis, epsilon, momentum, batch, statShape}: {axis: number; epsilon: number; momentum: number; batch: number; statShape?: number[]},
): {y: Info; xhat: Info; r: Info; mean: Info; variance: Info; moving: Info[]} {
  // tf.moments(x, axis, keepDims = true)
  const mean = k.run(tf.Mean, {x: x!}, {axis: [axis], keepDims: true});
  const centred = k.run(tf.Sub, {a: x!, b: mean});
  const variance = k.run(tf.Mean, {x: k.run(tf.Square, {x: centred})}, {axis: [axis], keepDims: true});
  const stats = statShape ? [k.reshaped(mean, statShape), k.reshaped(variance, statShape)] : [mean, variance];
  const moving: Info[] = [];
  if (movingMean && movingVariance) {
    const unbiased = batch > 1 ? k.run(tf.Multiply, {a: stats[1]!, b: k.constant([batch / (batch - 1)], [])}) : stats[1]!;
    const keep = k.constant([momentum], []);
    const take = k.constant([1 - momentum], []);
    const blend = (old: Info, fresh: Info) =>
      k.run(tf.Add, {a: k.run(tf.Multiply, {a: old, b: keep}), b: k.run(tf.Multiply, {a: fresh, b: take})});
    moving.push(blend(movingMean, stats[0]!), blend(movingVariance, unbiased));
  }
  const r = k.run(tf.Rsqrt, {x: k.run(tf.Add, {a: variance, b: k.constant([epsilon], [])})});
  // (x − μ) is the same kernel on the same operands as in the moments: reused.
  const xhat = k.run(tf.Multiply, {a: centred, b: r});
  const y = k.run(tf.Add, {a: k.run(tf.Multiply, {a: xhat, b: gamma!}), b: beta!});
  return {y, xhat, r, mean: stats[0]!, variance: stats[1]!, moving};
}

/**
 * The closed-form gradient as backend kernels, [dx, dγ, dβ]: statistics over `axis`, γ and β
 * summed over the batch axis `batchAxis` (keeping it when `keepDims`, as the stacked op's
 * [S, 1, U] parameters do). When the statistics are over the batch (batch norm), Σ_n dx̂ and
 * Σ_n dx̂·x̂ are γ·dβ and γ·dγ.
 */
export function standardiseGradKernels(
  k: KernelCalls,
  {dy, xhat, r, gamma}: Record<string, Info | undefined>,
  {axis, batchAxis, keepDims}: {axis: number; batchAxis: number; keepDims: boolean},
): Info[] {
  const count = k.constant([xhat!.shape[axis]!], []);
  const dbeta = k.run(tf.Sum, {x: dy!}, {axis: batchAxis, keepDims});
  const dgamma = k.run(tf.Sum, {x: k.run(tf.Multiply, {a: dy!, b: xhat!})}, {axis: batchAxis, keepDims});
  let dx: Info;
  if (axis === batchAxis) {
    const scale = k.run(tf.Multiply, {a: gamma!, b: k.run(tf.RealDiv, {a: r!, b: count})});
    const inner = k.run(tf.Sub, {
      a: k.run(tf.Sub, {a: k.run(tf.Multiply, {a: dy!, b: count}), b: dbeta}),
      b: k.run(tf.Multiply, {a: xhat!, b: dgamma}),
    });
    dx = k.run(tf.Multiply, {a: scale, b: inner});
  } else {
    const dxhat = k.run(tf.Multiply, {a: dy!, b: gamma!});
    const s1 = k.run(tf.Sum, {x: dxhat}, {axis, keepDims: true});
    const s2 = k.run(tf.Sum, {x: k.run(tf.Multiply, {a: dxhat, b: xhat!})}, {axis, keepDims: true});
    const inner = k.run(tf.Sub, {
      a: k.run(tf.Sub, {a: k.run(tf.Multiply, {a: dxhat, b: count}), b: s1}),
      b: k.run(tf.Multiply, {a: xhat!, b: s2}),
    });
    dx = k.run(tf.Multiply, {a: k.run(tf.RealDiv, {a: r!, b: count}), b: inner});
  }
  return [dx, dgamma, dbeta];
}

function register(): void {
  ensureFusedKernel(FORWARD, (k, inputs, attrs) => {
    const {axis, epsilon, momentum} = attrs as {axis: 0 | 1; epsilon: number; momentum: number};
    const [rows, units] = inputs.x!.shape as [number, number];
    const out = standardiseKernels(k, inputs, {axis, epsilon, momentum, batch: rows, statShape: [axis === 0 ? units : rows]});
    return k.done([out.y, out.xhat, out.r, out.mean, out.variance, ...out.moving]);
  });
  ensureFusedKernel(BACKWARD, (k, inputs, attrs) => {
    const {axis} = attrs as {axis: 0 | 1};
    return k.done(standardiseGradKernels(k, inputs, {axis, batchAxis: 0, keepDims: false}));
  });
}

/**
 * Standardise x [batch, units] over `axis` (0: per unit over the batch, BN; 1: per example over
 * the units, LN) with biased variance, then y = γ·x̂ + β; γ, β default to 1 and 0 (their
 * gradients are then discarded). `onStats` sees the statistics while they exist; `moving`
 * (batch norm) is updated with them in the same op.
 */
export function standardise(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  epsilon: number,
  axis: 0 | 1,
  onStats?: StatsCallback,
  moving?: MovingAverages,
): tf.Tensor2D {
  register();
  const units = x.shape[1];
  const op = tf.customGrad(((xs: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const inputs: tf.NamedTensorMap = {x: xs, gamma: g, beta: b};
    if (moving) {
      inputs.movingMean = moving.mean;
      inputs.movingVariance = moving.variance;
    }
    const attrs = {axis, epsilon, momentum: moving?.momentum ?? 0};
    const [y, xhat, r, mean, variance, movingMean, movingVariance] = tf.engine().runKernel(FORWARD, inputs, attrs) as tf.Tensor[];
    if (moving) {
      moving.mean.assign(movingMean!);
      moving.variance.assign(movingVariance!);
    }
    if (onStats) onStats(mean as tf.Tensor1D, variance as tf.Tensor1D);
    save([xhat!, r!, g]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved as [tf.Tensor2D, tf.Tensor, tf.Tensor1D];
        return tf.engine().runKernel(BACKWARD, {dy, xhat: xh, r: rs, gamma: gs}, {axis}) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(x, gamma ?? tf.ones([units]), beta ?? tf.zeros([units]));
}
