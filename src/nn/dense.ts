// y = x·W with a hand-written gradient.
//
// The wasm backend multiplies untransposed matrices at 14–27 GFLOP/s but transposed operands
// (matMul's transposeA/B, which its default gradient uses) at ~2 GFLOP/s. Transposing
// explicitly first and multiplying plainly is ~5× faster for the backward pass:
//   ∂L/∂x = ∂L/∂y · Wᵀ,   ∂L/∂W = xᵀ · ∂L/∂y
// tfjs-node multiplies transposed operands natively, so it keeps the built-in path.
//
// The op is a registered kernel (`NormbenchMatMul`, the backend's own BatchMatMul underneath)
// with a registered gradient, not a tf.customGrad: tfjs calls a registered gradient's parts
// lazily, only for inputs that lead back to a variable, while a customGrad computes every
// input's gradient. So the first layer's ∂L/∂x, which nothing needs (its input is the data),
// is never computed: on wasm that saves a 60×100·100×784 product and a 784×100 transpose per
// step, a sixth of the step.

import * as tf from '../tf.js';

const KERNEL = 'NormbenchMatMul';
let gradientRegistered = false;
const kernelsRegistered = new Set<string>();

function ensureRegistered(backend: string): void {
  if (kernelsRegistered.has(backend)) return;
  const bmm = tf.getKernel(tf.BatchMatMul, backend);
  if (!bmm) throw new Error(`backend ${backend} has no ${tf.BatchMatMul} kernel`);
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: backend,
    kernelFunc: ({inputs, backend: b}) =>
      bmm.kernelFunc({inputs, backend: b, attrs: {transposeA: false, transposeB: false}}),
  });
  kernelsRegistered.add(backend);
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: KERNEL,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        return {a: () => tf.matMul(d, tf.transpose(b)), b: () => tf.matMul(tf.transpose(a), d)};
      },
    });
    gradientRegistered = true;
  }
}

function matMulExplicitTranspose(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const backend = tf.getBackend();
  ensureRegistered(backend);
  return tf.engine().runKernel(KERNEL, {a: x, b: w}) as tf.Tensor2D;
}

/** x [batch, in] · w [in, out]. */
export function matMul(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return tf.getBackend() === 'tensorflow' ? tf.matMul(x, w) : matMulExplicitTranspose(x, w);
}

/** x·W + b, with b optional. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const y = matMul(x, w);
  return b ? (tf.add(y, b) as tf.Tensor2D) : y;
}
