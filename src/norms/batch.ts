// Batch normalization (Ioffe & Szegedy 2015, Alg. 1 and 2).
//
// Training, per unit over the batch of m examples, with gradients through μ_B and σ²_B:
//   x̂ = (x − μ_B) / sqrt(σ²_B + ε),   σ²_B = (1/m) Σ (x − μ_B)²   (biased)
//   y = γ · x̂ + β
// Evaluation uses moving averages instead of batch statistics:
//   y = γ · (x − μ_run) / sqrt(σ²_run + ε) + β
//   μ_run ← momentum · μ_run + (1 − momentum) · μ_B
//   σ²_run ← momentum · σ²_run + (1 − momentum) · m/(m−1) · σ²_B   (unbiased, Alg. 2 / PyTorch)
// `momentum` is the decay of the moving average (Keras/tfjs convention): 0.9 here equals
// PyTorch's momentum=0.1. A dense bias before BN is cancelled by μ_B, so it is always dropped.
// On a convolution's [N, H, W, C] the statistics are per channel over N·H·W (batch-statistics.ts).

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {BatchStatisticsNorm, type ReportStatistics} from './batch-statistics.js';
import {normalise, standardise, type MovingAverages} from './normalise.js';
import type {NormInit} from './types.js';
import type {BatchOptions} from './catalog.js';


export interface BatchNormResult {
  y: tf.Tensor2D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * The training-mode op by autodiff through tf.moments: the reference that the layer's fused
 * op (`standardise`, axis 0) is tested against.
 */
export function batchNormTrain(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  epsilon: number,
): BatchNormResult {
  const {mean, variance} = tf.moments(x, 0);
  const y = normalise(x, mean, variance, gamma, beta, epsilon);
  return {y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D};
}

export class BatchNorm extends BatchStatisticsNorm {
  readonly name = 'batch';
  readonly params: Record<string, tf.Variable> = {};
  readonly dropsDenseBias = true;
  private readonly gamma?: tf.Variable<tf.Rank.R1>;
  private readonly beta?: tf.Variable<tf.Rank.R1>;

  constructor(
    init: NormInit,
    readonly options: BatchOptions,
  ) {
    super(init.units, true, options.momentum);
    if (options.scale) this.params.gamma = this.gamma = variableOf(() => tf.fill([init.units], options.gamma_init ?? 1) as tf.Tensor1D);
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
  }

  protected override readonly fusedMovingAverages = true;

  /** The fused op: statistics, x̂, γ·x̂ + β and (when given) the moving averages in one node. */
  protected train(x: tf.Tensor2D, moving: MovingAverages | undefined, report: ReportStatistics): tf.Tensor2D {
    return standardise(x, this.gamma, this.beta, this.options.epsilon, 0, report, moving);
  }

  protected withStatistics(x: tf.Tensor2D, mean: tf.Tensor, variance: tf.Tensor | undefined): tf.Tensor2D {
    return normalise(x, mean, variance!, this.gamma, this.beta, this.options.epsilon);
  }
}
