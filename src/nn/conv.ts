// y = conv2d(x, W) (channels last, x [N, H, W, Cin], W [kh, kw, Cin, Cout]) as im2col and one
// matrix product, so that a convnet trains on every backend, fast.
//
// tfjs-backend-wasm registers no Conv2DBackpropFilter (tfjs#8474), so tf.conv2d's built-in
// gradient cannot train a filter there, and its Conv2DBackpropInput is slow at our shapes. With
// the im2col matrix P of x [M, K] (one row per output position, M = N·Ho·Wo; one column per
// filter tap and input channel, K = kh·kw·Cin, in the filter's own order) and W reshaped to
// [K, Cout], the convolution is one product and its gradients are two:
//   y = P · W,     ∂L/∂W = Pᵀ · dy,     ∂L/∂P = dy · Wᵀ,     ∂L/∂x = col2im(∂L/∂P)
// The products are dense.ts's matMul (untransposed operands, the path wasm multiplies fastest,
// with its registered gradient), so training computes P once, in the forward pass. P is made by
// the kernel `NormbenchIm2Col`, written here: per output position and filter row one run of
// kw·Cin values (a filter row reads kw neighbouring pixels, all their channels, which lie next to
// each other in x), zeros where the window overhangs the padding. Its registered gradient,
// `NormbenchCol2Im`, adds each column of ∂L/∂P back to the pixel it came from. Registered
// kernels, not a tf.customGrad, so tfjs computes ∂L/∂P and ∂L/∂x only for an x that leads back
// to a variable: never for the first layer, whose input is the data.
//
// Measured (wasm, 2 shared cores, one 3×3 'same' convolution, ms per call, 2026-12-06):
//                           forward         ∂L/∂x                         ∂L/∂W
//                           Conv2D   P·W    Conv2DBackpropInput  col2im    Conv3DBackpropFilterV2  Pᵀ·dy
//   [32, 28, 28, 1] → 16      3.0    5.6         12.1            (first)          17.8              4.9
//   [32, 14, 14, 16] → 32     8.1   10.8         81.7             ~25             95.6             15.3
//   [32, 7, 7, 32] → 32       2.1    4.5         24.9              ~7             29.0              6.3
//   [128, 14, 14, 16] → 32   12.4   23.0        107.4             ~59           1493.5             56.4
// (Conv3DBackpropFilterV2 with depth 1 is the 2-D filter gradient the wasm backend does have.)
// Single scratch timings on a shared machine (±30 %), but the ranking is clear. The backend's
// Conv2D is faster on its own, but a training step needs P for ∂L/∂W anyway: Conv2D forward with
// P built in the backward pass measured no faster per step (forward + both gradients, batch 128:
// 225 against 140–170 ms). tfjs-node has every conv kernel natively, so it keeps tf.conv2d.

import * as tf from '../tf.js';
import {matMul} from './dense.js';

export type Padding = 'same' | 'valid';

const IM2COL = 'NormbenchIm2Col';
const COL2IM = 'NormbenchCol2Im';
const kernelsRegistered = new Set<string>();
let gradientRegistered = false;

/** What the wasm backend offers beyond KernelBackend: outputs in its heap, and views of them. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** The geometry of a convolution: output size and the padding before the first row and column. */
export function convGeometry(xShape: number[], kh: number, kw: number, stride: number, pad: Padding) {
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], [kh, kw, xShape[3]!, 1], [stride, stride], 1, pad);
  return {outHeight: info.outHeight, outWidth: info.outWidth, top: info.padInfo.top, left: info.padInfo.left};
}

/**
 * The im2col matrix of x [N, H, W, C] for a kh × kw filter: [N·Ho·Wo, kh·kw·C], row (n, oh, ow),
 * column (i, j, c), zero where the window lies in the padding.
 */
export function im2colValues(x: Float32Array, xShape: number[], kh: number, kw: number, stride: number, pad: Padding, out?: Float32Array): Float32Array {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const {outHeight, outWidth, top, left} = convGeometry(xShape, kh, kw, stride, pad);
  const k = kh * kw * c;
  const cols = out ?? new Float32Array(n * outHeight * outWidth * k);
  cols.fill(0);
  const run = kw * c;
  let row = 0;
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, row++) {
        // Columns of the window inside the image: j in [j0, j1).
        const x0 = ow * stride - left;
        const j0 = Math.max(0, -x0);
        const j1 = Math.min(kw, w - x0);
        if (j1 <= j0) continue;
        const len = (j1 - j0) * c;
        for (let i = 0; i < kh; i++) {
          const y = oh * stride - top + i;
          if (y < 0 || y >= h) continue;
          const from = ((b * h + y) * w + x0 + j0) * c;
          const to = row * k + i * run + j0 * c;
          for (let e = 0; e < len; e++) cols[to + e] = x[from + e]!;
        }
      }
    }
  }
  return cols;
}

/**
 * The gradient of im2col: ∂L/∂x [N, H, W, C] from ∂L/∂P [N·Ho·Wo, kh·kw·C], each column's value
 * added back to the pixel it was copied from (a pixel under several windows receives the sum).
 */
export function col2imValues(dcols: Float32Array, xShape: number[], kh: number, kw: number, stride: number, pad: Padding, out?: Float32Array): Float32Array {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const {outHeight, outWidth, top, left} = convGeometry(xShape, kh, kw, stride, pad);
  const k = kh * kw * c;
  const dx = out ?? new Float32Array(n * h * w * c);
  dx.fill(0);
  const run = kw * c;
  let row = 0;
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, row++) {
        const x0 = ow * stride - left;
        const j0 = Math.max(0, -x0);
        const j1 = Math.min(kw, w - x0);
        if (j1 <= j0) continue;
        const len = (j1 - j0) * c;
        for (let i = 0; i < kh; i++) {
          const y = oh * stride - top + i;
          if (y < 0 || y >= h) continue;
          const to = ((b * h + y) * w + x0 + j0) * c;
          const from = row * k + i * run + j0 * c;
          for (let e = 0; e < len; e++) dx[to + e] = dx[to + e]! + dcols[from + e]!;
        }
      }
    }
  }
  return dx;
}

interface PatchAttrs {
  kh: number;
  kw: number;
  stride: number;
  pad: Padding;
  /** col2im: the shape of x. */
  xShape: number[];
}

/**
 * A kernel written in JavaScript over float32 values: on wasm through views of its heap (the
 * output allocated first: allocating may grow the heap, which detaches earlier views), elsewhere
 * through the backend's readSync / write.
 */
function jsKernel(backendName: string, outShape: (x: tf.TensorInfo, attrs: PatchAttrs) => number[], compute: (values: Float32Array, x: tf.TensorInfo, attrs: PatchAttrs, out?: Float32Array) => Float32Array) {
  return ({inputs, backend, attrs}: {inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap}): tf.TensorInfo => {
    const x = Object.values(inputs)[0]!;
    const a = attrs as unknown as PatchAttrs;
    const shape = outShape(x, a);
    if (backendName === 'wasm') {
      const heap = backend as WasmHeap;
      const out = heap.makeOutput(shape, 'float32');
      compute(heap.typedArrayFromHeap(x), x, a, heap.typedArrayFromHeap(out));
      return out;
    }
    const b = backend as tf.KernelBackend;
    const values = compute(b.readSync(x.dataId) as Float32Array, x, a);
    return {dataId: b.write(values, shape, 'float32'), shape, dtype: 'float32'};
  };
}

function ensureRegistered(backendName: string): void {
  if (kernelsRegistered.has(backendName)) return;
  tf.registerKernel({
    kernelName: IM2COL,
    backendName,
    kernelFunc: jsKernel(backendName, (x, {kh, kw, stride, pad}) => {
      const {outHeight, outWidth} = convGeometry(x.shape, kh, kw, stride, pad);
      return [x.shape[0]! * outHeight * outWidth, kh * kw * x.shape[3]!];
    }, (values, x, {kh, kw, stride, pad}, out) => im2colValues(values, x.shape, kh, kw, stride, pad, out)),
  });
  tf.registerKernel({
    kernelName: COL2IM,
    backendName,
    kernelFunc: jsKernel(backendName, (_, {xShape}) => xShape, (values, _, {kh, kw, stride, pad, xShape}, out) => col2imValues(values, xShape, kh, kw, stride, pad, out)),
  });
  kernelsRegistered.add(backendName);
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: IM2COL,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved as [tf.Tensor4D];
        const a = {...(attrs as unknown as PatchAttrs), xShape: x.shape};
        return {x: () => tf.engine().runKernel(COL2IM, {dcols: dy as tf.Tensor}, a as unknown as tf.NamedAttrMap) as tf.Tensor4D};
      },
    });
    gradientRegistered = true;
  }
}

/** The im2col matrix of x [N, H, W, C] for a kh × kw filter: [N·Ho·Wo, kh·kw·C]; its gradient is col2im. */
export function im2col(x: tf.Tensor4D, kh: number, kw: number, stride: number, pad: Padding): tf.Tensor2D {
  ensureRegistered(tf.getBackend());
  return tf.engine().runKernel(IM2COL, {x}, {kh, kw, stride, pad} as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** conv2d(x [N, H, W, Cin], filter [kh, kw, Cin, Cout]), square stride, `same` or `valid` padding. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, pad: Padding): tf.Tensor4D {
  if (tf.getBackend() === 'tensorflow') return tf.conv2d(x, filter, stride, pad);
  const [kh, kw, cin, cout] = filter.shape;
  const {outHeight, outWidth} = convGeometry(x.shape, kh, kw, stride, pad);
  const y = matMul(im2col(x, kh, kw, stride, pad), tf.reshape(filter, [kh * kw * cin, cout]) as tf.Tensor2D);
  return tf.reshape(y, [x.shape[0], outHeight, outWidth, cout]);
}
