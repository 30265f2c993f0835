// Mean-only batch normalization (Salimans & Kingma 2016 §2.1), per unit over the batch:
//   training:    y = x − μ_B + β      (gradients through μ_B: ∂L/∂x = dy − mean_batch(dy))
//   evaluation:  y = x − μ_run + β
//   μ_run ← momentum · μ_run + (1 − momentum) · μ_B   (batch norm's convention, batch.ts)
// No division by the standard deviation: the paper pairs it with weight normalization, which
// fixes each unit's scale through g, while mean-only BN fixes its mean. μ_B cancels a dense bias before it, so the bias is dropped and β
// takes its place. Written as a transform of z alone, so it composes with a kernel
// reparameterisation (weight norm) without knowing about it.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {BatchStatisticsNorm, type ReportStatistics} from './batch-statistics.js';
import type {NormInit} from './types.js';
import type {MeanOnlyOptions} from './catalog.js';


/** The training op: x − mean over the batch (+ β). */
export function meanOnlyTrain(x: tf.Tensor2D, beta: tf.Tensor1D | undefined): {y: tf.Tensor2D; mean: tf.Tensor1D} {
  const mean = tf.mean(x, 0) as tf.Tensor1D;
  const centred: tf.Tensor2D = tf.sub(x, mean);
  return {y: beta ? tf.add(centred, beta) : centred, mean};
}

export class MeanOnlyBatchNorm extends BatchStatisticsNorm {
  readonly name = 'mean-only';
  readonly params: Record<string, tf.Variable> = {};
  readonly dropsDenseBias = true;
  private readonly beta?: tf.Variable<tf.Rank.R1>;

  constructor(
    init: NormInit,
    readonly options: MeanOnlyOptions,
  ) {
    super(init.units, false, options.momentum);
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
  }

  protected train(x: tf.Tensor2D, _moving: undefined, report: ReportStatistics): tf.Tensor2D {
    const {y, mean} = meanOnlyTrain(x, this.beta);
    report(mean);
    return y;
  }

  protected withStatistics(x: tf.Tensor2D, mean: tf.Tensor): tf.Tensor2D {
    const centred: tf.Tensor2D = tf.sub(x, mean);
    return this.beta ? tf.add(centred, this.beta) : centred;
  }

  /** Start the moving mean at a given value (weight norm's data init: the init batch's mean). */
  setMovingMean(mean: tf.Tensor1D): void {
    this.movingMean.assign(mean);
  }
}
