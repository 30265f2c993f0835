// Batch and layer normalization of a stack of replicates, x [S, B, U], in training mode.
//
// The fused op of src/norms/normalise.ts with every axis moved one along: statistics over the
// batch (axis 1, BN: per replicate and unit) or over the units (axis 2, LN: per replicate and
// example), γ, β and the moving averages [S, 1, U], one per replicate. With x̂ = (x − μ)·r,
// r = 1/sqrt(σ² + ε), y = γ·x̂ + β and n values per statistic:
//   ∂L/∂β = Σ_batch dy,   ∂L/∂γ = Σ_batch dy·x̂,   dx̂ = γ·dy
//   ∂L/∂x = (r/n) · (n·dx̂ − Σ_n dx̂ − x̂ · Σ_n dx̂·x̂)
//   μ_run ← momentum·μ_run + (1 − momentum)·μ_B,   σ²_run likewise with m/(m−1)·σ²_B
// The kernels and their order are the unstacked op's (the same code: standardiseKernels and
// standardiseGradKernels of src/norms/normalise.ts), each on S replicates at once: every
// element goes through the same float operations as in its replicate's unstacked run (checked
// bit for bit by test/stack/stacked.test.ts).

import * as tf from '../tf.js';
import {ensureFusedKernel} from '../nn/fused.js';
import {standardiseGradKernels, standardiseKernels} from '../norms/normalise.js';

/** Moving averages [S, 1, U], updated in the same op (batch statistics only). */
export interface StackedMoving {
  mean: tf.Variable;
  variance: tf.Variable;
  momentum: number;
}

const FORWARD = 'NormbenchStackedStandardise';
const BACKWARD = 'NormbenchStackedStandardiseGrad';

function register(): void {
  ensureFusedKernel(FORWARD, (k, inputs, attrs) => {
    const {axis, epsilon, momentum} = attrs as {axis: 1 | 2; epsilon: number; momentum: number};
    const out = standardiseKernels(k, inputs, {axis, epsilon, momentum, batch: inputs.x!.shape[1]!});
    return k.done([out.y, out.xhat, out.r, ...out.moving]);
  });
  ensureFusedKernel(BACKWARD, (k, inputs, attrs) => {
    const {axis} = attrs as {axis: 1 | 2};
    return k.done(standardiseGradKernels(k, inputs, {axis, batchAxis: 1, keepDims: true}));
  });
}

/**
 * Standardise x [S, B, U] over `axis` (1: BN, 2: LN) with biased variance, then y = γ·x̂ + β
 * with γ, β [S, 1, U]; `moving` (BN) is updated with the batch statistics in the same op.
 */
export function stackedStandardise(
  x: tf.Tensor3D,
  gamma: tf.Tensor3D,
  beta: tf.Tensor3D,
  epsilon: number,
  axis: 1 | 2,
  moving?: StackedMoving,
): tf.Tensor3D {
  register();
  const op = tf.customGrad(((xs: tf.Tensor3D, g: tf.Tensor3D, b: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const inputs: tf.NamedTensorMap = {x: xs, gamma: g, beta: b};
    if (moving) {
      inputs.movingMean = moving.mean;
      inputs.movingVariance = moving.variance;
    }
    const attrs = {axis, epsilon, momentum: moving?.momentum ?? 0};
    const [y, xhat, r, movingMean, movingVariance] = tf.engine().runKernel(FORWARD, inputs, attrs) as tf.Tensor[];
    if (moving) {
      moving.mean.assign(movingMean!);
      moving.variance.assign(movingVariance!);
    }
    save([xhat!, r!, g]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        return tf.engine().runKernel(BACKWARD, {dy, xhat: xh, r: rs, gamma: gs}, {axis}) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor3D, g: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;
  return op(x, gamma, beta);
}
