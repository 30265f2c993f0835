// Standardized inputs (`dataset.standardize: true`): each input feature j is shifted and scaled
// by its statistics over the training split,
//   x'_j = (x_j − μ_j) / s_j,   μ_j = mean_train(x_j),   s_j = sqrt(mean_train((x_j − μ_j)²))  (÷ n, not n − 1),
// and s_j = 1 where that std is 0: a constant feature (a blank border pixel of Fashion-MNIST) is
// only shifted, to 0 on every training example, as by scikit-learn's StandardScaler. A feature
// that is nearly constant keeps its small std, as there.
//
// 1. The statistics come from the training examples the run trains on — after the validation
//    hold-out and train_limit — never from the validation or test split.
// 2. A sequence's feature is one of its `inputs` values per step, pooled over the steps: one μ, s
//    per input, the same at every step, as a recurrent model's shared W_x reads it; so it applies
//    as well to test sequences longer than the training ones (adding's eval_length).
// 3. The same map is applied to the training, validation and test splits: computed in float64,
//    rounded to float32 once.

import type {Dataset, Split} from './types.js';

/** Per-feature statistics of a training split. */
export interface FeatureStats {
  mean: Float64Array;
  /** The divisor: the std, or 1 where the std is 0. */
  scale: Float64Array;
  /** Training examples the statistics come from. */
  n: number;
  /** Features with std 0 (scale 1). */
  constant: number;
}

/** Step 1 (and 2 with `features` = values per step): the mean and std of each feature of a split. */
export function featureStats(split: Split, features: number): FeatureStats {
  const mean = new Float64Array(features);
  const scale = new Float64Array(features);
  const count = split.n * (split.width / features);
  for (let k = 0; k < split.n * split.width; k++) mean[k % features]! += split.x[k]!;
  for (let j = 0; j < features; j++) mean[j]! /= count;
  for (let k = 0; k < split.n * split.width; k++) scale[k % features]! += (split.x[k]! - mean[k % features]!) ** 2;
  let constant = 0;
  for (let j = 0; j < features; j++) {
    const std = Math.sqrt(scale[j]! / count);
    if (std === 0) constant++;
    scale[j] = std === 0 ? 1 : std;
  }
  return {mean, scale, n: split.n, constant};
}

/** Step 3: a split with every feature shifted and scaled (a new array; the split is left as it is). */
export function applyStats(split: Split, stats: FeatureStats): Split {
  const features = stats.mean.length;
  const x = new Float32Array(split.n * split.width);
  for (let k = 0; k < x.length; k++) x[k] = (split.x[k]! - stats.mean[k % features]!) / stats.scale[k % features]!;
  return {...split, x};
}

/** A data set with standardized inputs, its source saying from what. */
export function standardized(data: Dataset): Dataset {
  const features = data.inputs ?? data.train.width;
  const stats = featureStats(data.train, features);
  const over = data.inputs ? `each of the ${features} inputs of a step, pooled over the steps,` : `each of the ${features} input features`;
  const constant = stats.constant ? `; ${stats.constant} constant (std 0), only shifted` : '';
  return {
    ...data,
    train: applyStats(data.train, stats),
    ...(data.validation && {validation: applyStats(data.validation, stats)}),
    test: applyStats(data.test, stats),
    source: `${data.source} · standardized: ${over} by its mean and std over the ${stats.n} training examples trained on (not validation or test)${constant}`,
  };
}
