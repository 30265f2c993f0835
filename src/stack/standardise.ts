// Batch and layer normalization of a stack of replicates, x [S, B, U], in training mode.
//
// The fused op of src/norms/normalise.ts with every axis moved one along: statistics over the
// batch (axis 1, BN: per replicate and unit) or over the units (axis 2, LN: per replicate and
// example), γ, β and the moving averages [S, 1, U], one per replicate. With x̂ = (x − μ)·r,
// r = 1/sqrt(σ² + ε), y = γ·x̂ + β and n values per statistic:
//   ∂L/∂β = Σ_batch dy,   ∂L/∂γ = Σ_batch dy·x̂,   dx̂ = γ·dy
//   ∂L/∂x = (r/n) · (n·dx̂ − Σ_n dx̂ − x̂ · Σ_n dx̂·x̂)
//   μ_run ← momentum·μ_run + (1 − momentum)·μ_B,   σ²_run likewise with m/(m−1)·σ²_B
// The kernels and their order are the unstacked op's, each on S replicates at once: every
// element goes through the same float operations as in its replicate's unstacked run (checked
// bit for bit by test/stack/stacked.test.ts).

import * as tf from '../tf.js';
import {ensureFusedKernel} from '../nn/fused.js';

/** Moving averages [S, 1, U], updated in the same op (batch statistics only). */
export interface StackedMoving {
  mean: tf.Variable;
  variance: tf.Variable;
  momentum: number;
}

const FORWARD = 'NormbenchStackedStandardise';
const BACKWARD = 'NormbenchStackedStandardiseGrad';

function register(): void {
  ensureFusedKernel(FORWARD, (k, {x, gamma, beta, movingMean, movingVariance}, attrs) => {
    const {axis, epsilon, momentum} = attrs as {axis: 1 | 2; epsilon: number; momentum: number};
    const rows = x!.shape[1]!;
    const mean = k.run(tf.Mean, {x: x!}, {axis: [axis], keepDims: true});
    const centred = k.run(tf.Sub, {a: x!, b: mean});
    const variance = k.run(tf.Mean, {x: k.run(tf.Square, {x: centred})}, {axis: [axis], keepDims: true});
    const moving: tf.TensorInfo[] = [];
    if (movingMean && movingVariance) {
      const unbiased = rows > 1 ? k.run(tf.Multiply, {a: variance, b: k.constant([rows / (rows - 1)], [])}) : variance;
      const keep = k.constant([momentum], []);
      const take = k.constant([1 - momentum], []);
      const blend = (old: tf.TensorInfo, batch: tf.TensorInfo) =>
        k.run(tf.Add, {a: k.run(tf.Multiply, {a: old, b: keep}), b: k.run(tf.Multiply, {a: batch, b: take})});
      moving.push(blend(movingMean, mean), blend(movingVariance, unbiased));
    }
    const r = k.run(tf.Rsqrt, {x: k.run(tf.Add, {a: variance, b: k.constant([epsilon], [])})});
    const xhat = k.run(tf.Multiply, {a: centred, b: r});
    const y = k.run(tf.Add, {a: k.run(tf.Multiply, {a: xhat, b: gamma!}), b: beta!});
    return k.done([y, xhat, r, ...moving]);
  });
  ensureFusedKernel(BACKWARD, (k, {dy, xhat, r, gamma}, attrs) => {
    const {axis} = attrs as {axis: 1 | 2};
    const count = k.constant([xhat!.shape[axis]!], []);
    const dbeta = k.run(tf.Sum, {x: dy!}, {axis: 1, keepDims: true});
    const dgamma = k.run(tf.Sum, {x: k.run(tf.Multiply, {a: dy!, b: xhat!})}, {axis: 1, keepDims: true});
    let dx: tf.TensorInfo;
    if (axis === 1) {
      const scale = k.run(tf.Multiply, {a: gamma!, b: k.run(tf.RealDiv, {a: r!, b: count})});
      const inner = k.run(tf.Sub, {
        a: k.run(tf.Sub, {a: k.run(tf.Multiply, {a: dy!, b: count}), b: dbeta}),
        b: k.run(tf.Multiply, {a: xhat!, b: dgamma}),
      });
      dx = k.run(tf.Multiply, {a: scale, b: inner});
    } else {
      const dxhat = k.run(tf.Multiply, {a: dy!, b: gamma!});
      const s1 = k.run(tf.Sum, {x: dxhat}, {axis: 2, keepDims: true});
      const s2 = k.run(tf.Sum, {x: k.run(tf.Multiply, {a: dxhat, b: xhat!})}, {axis: 2, keepDims: true});
      const inner = k.run(tf.Sub, {
        a: k.run(tf.Sub, {a: k.run(tf.Multiply, {a: dxhat, b: count}), b: s1}),
        b: k.run(tf.Multiply, {a: xhat!, b: s2}),
      });
      dx = k.run(tf.Multiply, {a: k.run(tf.RealDiv, {a: r!, b: count}), b: inner});
    }
    return k.done([dx, dgamma, dbeta]);
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
