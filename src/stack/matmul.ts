// y_s = x_s · W_s for every replicate s of a stack: x [S, B, in], W [S, in, out] → y [S, B, out].
//
// Not a rank-3 BatchMatMul: on wasm that takes a path ~12× slower than S plain products and its
// sums differ from them in the last bits (max 4e-6 measured). Instead one engine op runs, for
// each replicate, the very 2-D kernels the unstacked `dense` runs (src/nn/dense.ts): a slice of
// each operand (a contiguous copy, `KernelCalls.leading`), an explicit transpose where the gradient needs one, the
// backend's BatchMatMul, and one concat of the S results. The products are bit for bit the
// unstacked ones; the stack pays the engine once instead of S times.
//   ∂L/∂x_s = ∂L/∂y_s · W_sᵀ,   ∂L/∂W_s = x_sᵀ · ∂L/∂y_s
// The gradient is registered (not a customGrad), so as in `dense` the first layer's ∂L/∂x,
// which leads to no variable, is never computed.

import * as tf from '../tf.js';
import {ensureFusedKernel, type KernelCalls} from '../nn/fused.js';

const KERNEL = 'NormbenchStackedMatMul';
let gradientRegistered = false;

/** Replicate s of a stacked operand as a 2-D matrix, transposed when asked. */
function replicate(k: KernelCalls, x: tf.TensorInfo, s: number, transpose: boolean): tf.TensorInfo {
  const slice = k.leading(x, s);
  return transpose ? k.run(tf.Transpose, {x: slice}, {perm: [1, 0]}) : slice;
}

function register(): void {
  ensureFusedKernel(KERNEL, (k, {a, b}, attrs) => {
    const {transposeA, transposeB} = attrs as {transposeA: boolean; transposeB: boolean};
    const stack = a!.shape[0]!;
    const products: tf.TensorInfo[] = [];
    for (let s = 0; s < stack; s++) {
      const bmm = {transposeA: false, transposeB: false};
      products.push(k.run(tf.BatchMatMul, {a: replicate(k, a!, s, transposeA), b: replicate(k, b!, s, transposeB)}, bmm));
    }
    const [rows, cols] = products[0]!.shape as [number, number];
    const joined = k.run(tf.Concat, products as unknown as Record<string, tf.TensorInfo>, {axis: 0});
    return k.done(k.reshaped(joined, [stack, rows, cols]));
  });
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: KERNEL,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved as [tf.Tensor3D, tf.Tensor3D];
        const d = dy as tf.Tensor3D;
        return {a: () => run(d, b, false, true), b: () => run(a, d, true, false)};
      },
    });
    gradientRegistered = true;
  }
}

function run(a: tf.Tensor3D, b: tf.Tensor3D, transposeA: boolean, transposeB: boolean): tf.Tensor3D {
  register();
  return tf.engine().runKernel(KERNEL, {a, b}, {transposeA, transposeB}) as tf.Tensor3D;
}

/** x [S, B, in] · W [S, in, out] → [S, B, out], replicate by replicate (S ≥ 2). */
export function stackedMatMul(x: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  if (x.shape[0] < 2) throw new Error(`a stack has at least 2 replicates, got ${x.shape[0]}`);
  return run(x, w, false, false);
}
