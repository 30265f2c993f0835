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

function register(): void {
  ensureFusedKernel(FORWARD, (k, {logits, labels}) => {
    const [n, classes] = logits!.shape as [number, number];
    // logSumExp(logits, [1], keepDims) as tfjs computes it.
    const max = k.run(tf.Max, {x: logits!}, {reductionIndices: [1], keepDims: true});
    const shifted = k.run(tf.Sub, {a: logits!, b: max});
    const exps = k.run(tf.Exp, {x: shifted});
    const sums = k.run(tf.Sum, {x: exps}, {axis: [1], keepDims: false});
    const logs = k.run(tf.Log, {x: sums});
    const lse = k.run(tf.Add, {a: k.reshaped(max, [n]), b: logs});
    const logResult = k.run(tf.Sub, {a: logits!, b: k.reshaped(lse, [n, 1])});
    // oneHot is int32 (the wasm kernel makes int32 whatever the dtype asked), cast as tfjs does.
    const onehotInt = k.run(tf.OneHot, {indices: labels!}, {dtype: 'int32', depth: classes, onValue: 1, offValue: 0});
    const onehot = k.run(tf.Cast, {x: onehotInt}, {dtype: 'float32'});
    const cost = k.run(tf.Neg, {x: k.run(tf.Multiply, {a: logResult, b: onehot})});
    const perExample = k.run(tf.Sum, {x: cost}, {axis: [1], keepDims: false});
    const total = k.run(tf.Sum, {x: perExample}, {axis: null, keepDims: false});
    const loss = k.run(tf.RealDiv, {a: total, b: k.constant([n], [])});
    // What the gradient needs: exp(ℓ) − onehot.
    const g = k.run(tf.Sub, {a: k.run(tf.Exp, {x: logResult}), b: onehot});
    // Correct predictions.
    const hits = k.run(tf.Equal, {a: k.run(tf.ArgMax, {x: logits!}, {axis: 1}), b: labels!});
    const correct = k.run(tf.Sum, {x: k.run(tf.Cast, {x: hits}, {dtype: 'int32'})}, {axis: null, keepDims: false});
    return k.done([loss, correct, g]);
  });
  ensureFusedKernel(BACKWARD, (k, {dy, g}) => {
    const n = g!.shape[0]!;
    const scale = k.run(tf.RealDiv, {a: dy!, b: k.constant([n], [])});
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
