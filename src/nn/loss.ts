// Mean softmax cross-entropy and the count of correct predictions, as one fused op with a
// hand-written gradient.
//
// The same arithmetic as `tf.losses.softmaxCrossEntropy(tf.oneHot(y, k), logits)` plus
// `sum(cast(equal(argMax(logits, 1), y)))`, kernel for kernel:
//   m = max_j z,  lse = m + log Σ_j exp(z − m),  ℓ = z − lse,  loss = (Σ_i Σ_j −ℓ·onehot) / n
//   correct = Σ_i [argmax_j z_ij = y_i]
//   ∂loss/∂z = (dy / n) · (exp(ℓ) − onehot)
// The unfused ops take ~35 engine ops forward and backward (and copy every tensor saved for the
// gradient); this takes two. exp(ℓ) − onehot is computed in the forward pass and saved: the
// gradient's only other kernels are dy/n and one multiply, as in tfjs's own gradient.

import * as tf from '../tf.js';
import type {Task} from '../data/types.js';
import {ensureFusedKernel} from './fused.js';

/** Targets as the losses take them: class indices [B] (int32), or values [B, 1] for regression. */
export function targetTensor(y: Int32Array | Float32Array, task: Task): tf.Tensor {
  return task === 'classification' ? tf.tensor1d(y as Int32Array, 'int32') : tf.tensor2d(y as Float32Array, [y.length, 1]);
}

const FORWARD = 'NormbenchSoftmaxXentAccuracy';
const BACKWARD = 'NormbenchSoftmaxXentAccuracyGrad';
let gradientRegistered = false;

// One pair of kernels for logits [n, classes] and for a stack of replicates, [S, n, classes]
// (src/stack/): the class axis is the last, the loss and the count are over the batch, all of it
// or per replicate. The stacked case runs the same kernels in the same order on every replicate.
function register(): void {
  ensureFusedKernel(FORWARD, (k, {logits, labels}) => {
    const shape = logits!.shape;
    const c = shape.length - 1;
    const rows = shape.slice(0, c);
    const n = rows[rows.length - 1]!;
    const overBatch = rows.length === 1 ? null : [1];
    // logSumExp(logits, [c], keepDims) as tfjs computes it.
    const max = k.run(tf.Max, {x: logits!}, {reductionIndices: [c], keepDims: true});
    const shifted = k.run(tf.Sub, {a: logits!, b: max});
    const exps = k.run(tf.Exp, {x: shifted});
    const sums = k.run(tf.Sum, {x: exps}, {axis: [c], keepDims: false});
    const logs = k.run(tf.Log, {x: sums});
    const lse = k.run(tf.Add, {a: k.reshaped(max, rows), b: logs});
    const logResult = k.run(tf.Sub, {a: logits!, b: k.reshaped(lse, [...rows, 1])});
    // oneHot is int32 (the wasm kernel makes int32 whatever the dtype asked), cast as tfjs does.
    const onehotInt = k.run(tf.OneHot, {indices: labels!}, {dtype: 'int32', depth: shape[c]!, onValue: 1, offValue: 0});
    const onehot = k.run(tf.Cast, {x: onehotInt}, {dtype: 'float32'});
    const cost = k.run(tf.Neg, {x: k.run(tf.Multiply, {a: logResult, b: onehot})});
    const perExample = k.run(tf.Sum, {x: cost}, {axis: [c], keepDims: false});
    const total = k.run(tf.Sum, {x: perExample}, {axis: overBatch, keepDims: false});
    const loss = k.run(tf.RealDiv, {a: total, b: k.constant([n], [])});
    // What the gradient needs: exp(ℓ) − onehot.
    const g = k.run(tf.Sub, {a: k.run(tf.Exp, {x: logResult}), b: onehot});
    // Correct predictions.
    const hits = k.run(tf.Equal, {a: k.run(tf.ArgMax, {x: logits!}, {axis: c}), b: labels!});
    const correct = k.run(tf.Sum, {x: k.run(tf.Cast, {x: hits}, {dtype: 'int32'})}, {axis: overBatch, keepDims: false});
    return k.done([loss, correct, g]);
  });
  ensureFusedKernel(BACKWARD, (k, {dy, g}) => {
    // dy: the loss's gradient, a scalar, or [S] (one per replicate) broadcast over its [n, classes].
    const stacked = g!.shape.length === 3;
    const n = g!.shape[g!.shape.length - 2]!;
    const scale = k.run(tf.RealDiv, {a: stacked ? k.reshaped(dy!, [g!.shape[0]!, 1, 1]) : dy!, b: k.constant([n], [])});
    return k.done(k.run(tf.Multiply, {a: g!, b: scale}));
  });
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: FORWARD,
      outputsToSave: [false, false, true],
      gradFunc: (dys, saved) => {
        const dy = (dys as tf.Tensor[])[0]!;
        const g = saved[0]!;
        return {logits: () => tf.engine().runKernel(BACKWARD, {dy, g}) as tf.Tensor};
      },
    });
    gradientRegistered = true;
  }
}

/**
 * Mean softmax cross-entropy of `logits` [n, classes] against integer labels [n], and the
 * number of rows whose arg-max is the label (int32 scalar, not differentiable).
 */
export function softmaxCrossEntropyWithAccuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): {loss: tf.Scalar; correct: tf.Scalar} {
  register();
  const [loss, correct] = tf.engine().runKernel(FORWARD, {logits, labels}) as tf.Tensor[];
  return {loss: loss as tf.Scalar, correct: correct as tf.Scalar};
}

/**
 * Per replicate of a stack: mean softmax cross-entropy [S] of logits [S, n, classes] against
 * labels [S, n], and the correct count [S] (int32); the same kernels as the unstacked op.
 */
export function stackedSoftmaxCrossEntropyWithAccuracy(logits: tf.Tensor3D, labels: tf.Tensor2D): {loss: tf.Tensor1D; correct: tf.Tensor1D} {
  register();
  const [loss, correct] = tf.engine().runKernel(FORWARD, {logits, labels}) as tf.Tensor[];
  return {loss: loss as tf.Tensor1D, correct: correct as tf.Tensor1D};
}
