// Mean softmax cross-entropy and correct-prediction count of every replicate of a stack, as one
// fused op: src/nn/loss.ts with a leading replicate axis. For logits z [S, B, C], labels y [S, B]:
//   m = max_j z,  lse = m + log Σ_j exp(z − m),  ℓ = z − lse,  loss_s = (Σ_i Σ_j −ℓ·onehot) / B
//   correct_s = Σ_i [argmax_j z_sij = y_si]
//   ∂loss_s/∂z_s = (dy_s / B) · (exp(ℓ_s) − onehot_s)
// The same kernels in the same order as the unstacked op, so each replicate's loss, count and
// gradient are its unstacked ones bit for bit.

import * as tf from '../tf.js';
import {ensureFusedKernel} from '../nn/fused.js';

const FORWARD = 'NormbenchStackedSoftmaxXentAccuracy';
const BACKWARD = 'NormbenchStackedSoftmaxXentAccuracyGrad';
let gradientRegistered = false;

function register(): void {
  ensureFusedKernel(FORWARD, (k, {logits, labels}) => {
    const [stack, n, classes] = logits!.shape as [number, number, number];
    const max = k.run(tf.Max, {x: logits!}, {reductionIndices: [2], keepDims: true});
    const shifted = k.run(tf.Sub, {a: logits!, b: max});
    const sums = k.run(tf.Sum, {x: k.run(tf.Exp, {x: shifted})}, {axis: [2], keepDims: false});
    const lse = k.run(tf.Add, {a: k.reshaped(max, [stack, n]), b: k.run(tf.Log, {x: sums})});
    const logResult = k.run(tf.Sub, {a: logits!, b: k.reshaped(lse, [stack, n, 1])});
    const onehotInt = k.run(tf.OneHot, {indices: labels!}, {dtype: 'int32', depth: classes, onValue: 1, offValue: 0});
    const onehot = k.run(tf.Cast, {x: onehotInt}, {dtype: 'float32'});
    const cost = k.run(tf.Neg, {x: k.run(tf.Multiply, {a: logResult, b: onehot})});
    const perExample = k.run(tf.Sum, {x: cost}, {axis: [2], keepDims: false});
    const total = k.run(tf.Sum, {x: perExample}, {axis: [1], keepDims: false});
    const loss = k.run(tf.RealDiv, {a: total, b: k.constant([n], [])});
    const g = k.run(tf.Sub, {a: k.run(tf.Exp, {x: logResult}), b: onehot});
    const hits = k.run(tf.Equal, {a: k.run(tf.ArgMax, {x: logits!}, {axis: 2}), b: labels!});
    const correct = k.run(tf.Sum, {x: k.run(tf.Cast, {x: hits}, {dtype: 'int32'})}, {axis: [1], keepDims: false});
    return k.done([loss, correct, g]);
  });
  ensureFusedKernel(BACKWARD, (k, {dy, g}) => {
    const [stack, n] = g!.shape as [number, number];
    const scale = k.run(tf.RealDiv, {a: k.reshaped(dy!, [stack, 1, 1]), b: k.constant([n], [])});
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

/** Per replicate: mean softmax cross-entropy [S] of logits [S, B, C] against labels [S, B], and the correct count [S] (int32). */
export function stackedSoftmaxCrossEntropyWithAccuracy(logits: tf.Tensor3D, labels: tf.Tensor2D): {loss: tf.Tensor1D; correct: tf.Tensor1D} {
  register();
  const [loss, correct] = tf.engine().runKernel(FORWARD, {logits, labels}) as tf.Tensor[];
  return {loss: loss as tf.Tensor1D, correct: correct as tf.Tensor1D};
}
