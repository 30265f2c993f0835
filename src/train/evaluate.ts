// Evaluation of a model on a split, and the losses the trainer and the probes differentiate.
// In evaluation mode the norms use their evaluation statistics (moving averages, unless
// `statistics` asks for the population's or each batch's own: src/train/eval-modes.ts).

import * as tf from '../tf.js';
import type {Split, Task} from '../data/types.js';
import type {Model} from '../models/types.js';
import {targetTensor} from '../nn/loss.js';
import type {EvalStatistics} from '../spec/names.js';
import type {EvalResult} from '../spec/records.js';

const EVAL_CHUNK = 1000;

/** Per-example losses [B] of outputs against targets. */
function exampleLosses(output: tf.Tensor2D, y: tf.Tensor, task: Task, classes: number): tf.Tensor1D {
  if (task === 'regression') return tf.reshape(tf.square(tf.sub(output, y)), [-1]) as tf.Tensor1D;
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, classes), output, undefined, undefined, tf.Reduction.NONE) as tf.Tensor1D;
}

/** The mean training loss of a batch (the scalar differentiated). */
export function batchLoss(output: tf.Tensor2D, y: tf.Tensor, task: Task, classes: number): tf.Scalar {
  if (task === 'regression') return tf.losses.meanSquaredError(y, output) as tf.Scalar;
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, classes), output) as tf.Scalar;
}

const correctCount = (output: tf.Tensor2D, y: tf.Tensor) => tf.sum(tf.cast(tf.equal(tf.argMax(output, 1), y), 'int32')) as tf.Scalar;

/** How `evaluate` runs the model: which normalization statistics, and in chunks of how many. */
export interface EvalOptions {
  statistics?: EvalStatistics;
  /**
   * Examples per forward pass (default 1000). With `statistics: 'batch'` this is the batch whose
   * statistics normalise it: the chunks are consecutive, and a last chunk of one example joins
   * the one before (a single example has no batch variance).
   */
  chunk?: number;
}

/** Mean loss (and accuracy, for classes) on a split, in evaluation mode, in chunks. */
export function evaluate(model: Model, split: Split, task: Task, classes: number, options: EvalOptions = {}): EvalResult {
  let lossSum = 0;
  let correct = 0;
  const w = split.width;
  const chunk = options.chunk ?? EVAL_CHUNK;
  const ctx = {training: false, updateStats: false, statistics: options.statistics};
  for (let start = 0, end = 0; start < split.n; start = end) {
    end = Math.min(split.n, start + chunk);
    if (options.statistics === 'batch' && split.n - end === 1) end = split.n;
    const [l, c] = tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(start * w, end * w), [end - start, w]);
      const y = targetTensor(split.y.subarray(start, end), task);
      const output = model.forward(x, ctx);
      return [tf.sum(exampleLosses(output, y, task, classes)), task === 'classification' ? correctCount(output, y) : tf.scalar(0)];
    });
    lossSum += l!.dataSync()[0]!;
    correct += c!.dataSync()[0]!;
    l!.dispose();
    c!.dispose();
  }
  return {loss: lossSum / split.n, accuracy: task === 'classification' ? correct / split.n : undefined};
}

