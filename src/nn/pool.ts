// Max pooling over non-overlapping k×k windows (stride k, `valid`: a last row or column that does
// not fill a window is dropped), channels last, with a hand-written gradient.
//
// tfjs-backend-wasm's MaxPoolGrad (4.22.0) sends the gradient to the wrong place when a window's
// values are negative: on a 4×4 input with 2×2 windows it gave a window of four negative values
// its gradient at the first position rather than at the maximum, and another none at all (the
// cpu backend and torch's max_pool2d agree with each other; test/nn/conv.test.ts pins this against
// torch). After ReLU the values are ≥ 0 and the error mostly hides, but a convnet with sigmoid,
// tanh or identity before its pooling would train on wrong gradients. So the forward pass is the
// backend's MaxPool (correct), and the gradient is written here, as torch computes it: each
// window's ∂L/∂y goes to the first position (row by row) holding the window's maximum,
//   ∂L/∂x[n, k·i + a, k·j + b, c] = ∂L/∂y[n, i, j, c]  for (a, b) the first argmax of the window.
// The kernel `NormbenchMaxPoolGrad` reads x and dy through views of the wasm heap (elsewhere
// through the backend's readSync / write). tfjs-node keeps its native kernels.

import * as tf from '../tf.js';

const KERNEL = 'NormbenchMaxPool';
const GRAD = 'NormbenchMaxPoolGrad';
const registered = new Set<string>();
let gradientRegistered = false;

interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** ∂L/∂x [N, H, W, C] of k×k max pooling at stride k, from x and ∂L/∂y [N, ⌊H/k⌋, ⌊W/k⌋, C]. */
export function maxPoolGradValues(x: Float32Array, dy: Float32Array, xShape: number[], k: number, out?: Float32Array): Float32Array {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const oh = Math.floor(h / k);
  const ow = Math.floor(w / k);
  const dx = out ?? new Float32Array(n * h * w * c);
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let a = 0; a < k; a++) {
            for (let e = 0; e < k; e++) {
              const index = ((b * h + i * k + a) * w + j * k + e) * c + ch;
              const v = x[index]!;
              // The first maximum wins (strict >), as in torch; a NaN window keeps its first position.
              if (at < 0 || v > best) {
                best = v;
                at = index;
              }
            }
          }
          dx[at] = dy[((b * oh + i) * ow + j) * c + ch]!;
        }
      }
    }
  }
  return dx;
}

function ensureRegistered(backendName: string): void {
  if (registered.has(backendName)) return;
  const pool = tf.getKernel(tf.MaxPool, backendName);
  if (!pool) throw new Error(`backend ${backendName} has no ${tf.MaxPool} kernel`);
  tf.registerKernel({
    kernelName: KERNEL,
    backendName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const {size} = attrs as unknown as {size: number};
      return pool.kernelFunc({inputs, backend, attrs: {filterSize: size, strides: size, pad: 'valid', dimRoundingMode: undefined as unknown as string}});
    },
  });
  tf.registerKernel({
    kernelName: GRAD,
    backendName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const {x, dy} = inputs as {x: tf.TensorInfo; dy: tf.TensorInfo};
      const {size} = attrs as unknown as {size: number};
      if (backendName === 'wasm') {
        const heap = backend as unknown as WasmHeap;
        // The output first: allocating may grow the heap, which detaches earlier views.
        const out = heap.makeOutput(x.shape, 'float32');
        maxPoolGradValues(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(dy), x.shape, size, heap.typedArrayFromHeap(out));
        return out;
      }
      const b = backend as tf.KernelBackend;
      const values = maxPoolGradValues(b.readSync(x.dataId) as Float32Array, b.readSync(dy.dataId) as Float32Array, x.shape, size);
      return {dataId: b.write(values, x.shape, 'float32'), shape: x.shape, dtype: 'float32'};
    },
  });
  registered.add(backendName);
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: KERNEL,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved as [tf.Tensor4D];
        return {x: () => tf.engine().runKernel(GRAD, {x, dy: dy as tf.Tensor}, attrs as tf.NamedAttrMap) as tf.Tensor4D};
      },
    });
    gradientRegistered = true;
  }
}

/** Max pooling of x [N, H, W, C] over k×k windows at stride k (`valid`). */
export function maxPool(x: tf.Tensor4D, size: number): tf.Tensor4D {
  const backendName = tf.getBackend();
  if (backendName === 'tensorflow') return tf.maxPool(x, size, size, 'valid');
  ensureRegistered(backendName);
  return tf.engine().runKernel(KERNEL, {x}, {size} as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
