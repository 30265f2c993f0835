// y = x·W with a hand-written gradient.
//
// The wasm backend multiplies untransposed matrices at 14–27 GFLOP/s but transposed operands
// (matMul's transposeA/B, which its default gradient uses) at ~2 GFLOP/s. Transposing
// explicitly first and multiplying plainly is ~5× faster for the backward pass:
//   ∂L/∂x = ∂L/∂y · Wᵀ,   ∂L/∂W = xᵀ · ∂L/∂y
// tfjs-node multiplies transposed operands natively, so it keeps the built-in path.

import * as tf from '../tf.js';

const matMulExplicitTranspose = tf.customGrad(
  ((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0],
) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x [batch, in] · w [in, out]. */
export function matMul(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return tf.getBackend() === 'tensorflow' ? tf.matMul(x, w) : matMulExplicitTranspose(x, w);
}

/** x·W + b, with b optional. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const y = matMul(x, w);
  return b ? (tf.add(y, b) as tf.Tensor2D) : y;
}
