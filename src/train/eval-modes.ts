// The trained network evaluated with each kind of normalization statistics (BN paper §3.1,
// Alg. 2), on the same final weights:
//   ema         the moving averages kept during training (what every evaluation point uses);
//   population  statistics recomputed after training over the training set: the training
//               network (batch statistics in every layer) runs over the training set in
//               consecutive batches of the training batch size m (a last, smaller batch is
//               left out), and each norm's E[x] is the mean of its batch means and
//               Var[x] = m/(m−1) · the mean of its (biased) batch variances;
//   batch       each test batch normalised by its own statistics, in consecutive batches of m.
// Norms without batch statistics ignore the mode, so all three give the same numbers.

import * as tf from '../tf.js';
import type {EvalMode} from '../spec/names.js';
import type {Dataset} from '../data/types.js';
import type {Model} from '../models/types.js';
import type {Norm} from '../norms/types.js';
import {evaluate} from './evaluate.js';
import type {EvalResult} from '../spec/records.js';

interface Sums {
  batches: number;
  /** Values per statistic in one batch (m: the batch, or N·H·W on a convolution). */
  count: number;
  mean: Float64Array;
  variance?: Float64Array;
}

/**
 * Ioffe & Szegedy Alg. 2, steps 8–11: the population statistics of every norm with batch
 * statistics, gathered without touching any variable. The caller owns the returned tensors.
 */
export function populationStatistics(model: Model, data: Dataset, batch: number): Map<Norm, {mean: tf.Tensor1D; variance?: tf.Tensor1D}> {
  const sums = new Map<Norm, Sums>();
  const collect = (norm: Norm, mean: tf.Tensor1D, variance: tf.Tensor1D | undefined, count: number) => {
    const m = mean.dataSync();
    const v = variance?.dataSync();
    let s = sums.get(norm);
    if (!s) sums.set(norm, (s = {batches: 0, count, mean: new Float64Array(m.length), variance: v ? new Float64Array(v.length) : undefined}));
    s.batches++;
    for (let i = 0; i < m.length; i++) s.mean[i]! += m[i]!;
    if (v && s.variance) for (let i = 0; i < v.length; i++) s.variance[i]! += v[i]!;
  };
  const {train} = data;
  const w = train.width;
  const ctx = {training: true, updateStats: false, collect};
  for (let start = 0; start + batch <= train.n; start += batch) {
    tf.tidy(() => {
      model.forward(tf.tensor2d(train.x.subarray(start * w, (start + batch) * w), [batch, w]), ctx);
    });
  }
  const out = new Map<Norm, {mean: tf.Tensor1D; variance?: tf.Tensor1D}>();
  for (const [norm, s] of sums) {
    out.set(norm, {
      mean: tf.tensor1d(Float32Array.from(s.mean, (x) => x / s.batches)),
      variance: s.variance ? tf.tensor1d(Float32Array.from(s.variance, (x) => (x / s.batches) * (s.count / (s.count - 1)))) : undefined,
    });
  }
  return out;
}

/** Whether any norm of the model reports batch statistics (one training-mode pass, nothing updated). */
function usesBatchStatistics(model: Model, data: Dataset, batch: number): boolean {
  let found = false;
  const n = Math.min(batch, data.train.n);
  tf.tidy(() => {
    model.forward(tf.tensor2d(data.train.x.subarray(0, n * data.train.width), [n, data.train.width]), {training: true, updateStats: false, collect: () => (found = true)});
  });
  return found;
}

/** The test metrics of the final weights under each mode; `ema` is the last evaluation point's. */
export function evaluateModes(model: Model, data: Dataset, modes: readonly EvalMode[], batch: number, ema: EvalResult): Partial<Record<EvalMode, EvalResult>> {
  const out: Partial<Record<EvalMode, EvalResult>> = {};
  // No norm with batch statistics: every mode is the same network, so the same numbers.
  if (!usesBatchStatistics(model, data, batch)) return Object.fromEntries(modes.map((mode) => [mode, ema]));
  for (const mode of modes) {
    if (mode === 'ema') out.ema = ema;
    else if (mode === 'batch') out.batch = evaluate(model, data.test, data.task, data.classes, {statistics: 'batch', chunk: batch});
    else {
      const population = populationStatistics(model, data, batch);
      try {
        for (const [norm, stats] of population) norm.setPopulation?.(stats);
        out.population = evaluate(model, data.test, data.task, data.classes, {statistics: 'population'});
      } finally {
        for (const [norm, stats] of population) {
          norm.setPopulation?.(undefined);
          stats.mean.dispose();
          stats.variance?.dispose();
        }
      }
    }
  }
  return out;
}
