// Centring that the gradient step ignores: Ioffe & Szegedy 2015 §2's counter-example, not a
// method to use. Per unit over the batch, with the dense bias b kept (x = u + b):
//   training:    x̂ = x − stop_gradient(μ_B)
//                x̂ = (x − stop_gradient(μ_B)) / stop_gradient(sqrt(σ²_B + ε))   with `scale_stopgrad`
// The forward pass cancels b exactly (μ_B contains it), but ∂x̂/∂b = 1 (or 1/σ_B): b receives
// ∂ℓ/∂x̂ summed over the batch, its update changes neither x̂ nor the loss, so the same gradient
// comes again and b grows without bound while the loss stays put. With batch norm proper the
// gradient through μ_B cancels that term and the bias gets exactly 0 (so BN drops it).
// No γ, β: the example has none, and a β would offer the optimiser a second way to shift.
// The paper's example has no evaluation; we evaluate as batch norm does, with moving averages
// updated by its convention (batch.ts; the variance only with `scale_stopgrad`):
//   evaluation:  x̂ = x − μ_run   or   (x − μ_run) / sqrt(σ²_run + ε)
// The moving mean lags b, so evaluation outputs follow b's growth with that lag.

import * as tf from '../tf.js';
import {stopGradient} from './stop-gradient.js';
import {BatchStatisticsNorm, type ReportStatistics} from './batch-statistics.js';
import type {NormInit} from './types.js';
import type {CenteredStopgradOptions} from './catalog.js';


/** The training op, and the batch statistics it used (biased variance). */
export function centeredStopgradTrain(
  x: tf.Tensor2D,
  scale: boolean,
  epsilon: number,
): {y: tf.Tensor2D; mean: tf.Tensor1D; variance: tf.Tensor1D} {
  const moments = tf.moments(x, 0);
  const mean = stopGradient(moments.mean as tf.Tensor1D);
  const variance = stopGradient(moments.variance as tf.Tensor1D);
  const centred: tf.Tensor2D = tf.sub(x, mean);
  const y = scale ? (tf.div(centred, tf.sqrt(tf.add(variance, epsilon))) as tf.Tensor2D) : centred;
  return {y, mean, variance};
}

export class CenteredStopgrad extends BatchStatisticsNorm {
  readonly name = 'centered-stopgrad';
  readonly params = {};
  readonly dropsDenseBias = false;

  constructor(
    init: NormInit,
    readonly options: CenteredStopgradOptions,
  ) {
    super(init.units, options.scale_stopgrad, options.momentum);
  }

  protected train(x: tf.Tensor2D, _moving: undefined, report: ReportStatistics): tf.Tensor2D {
    const {y, mean, variance} = centeredStopgradTrain(x, this.options.scale_stopgrad, this.options.epsilon);
    report(mean, variance);
    return y;
  }

  protected withStatistics(x: tf.Tensor2D, mean: tf.Tensor, variance: tf.Tensor | undefined): tf.Tensor2D {
    const centred: tf.Tensor2D = tf.sub(x, mean);
    return this.options.scale_stopgrad ? tf.div(centred, tf.sqrt(tf.add(variance!, this.options.epsilon))) : centred;
  }
}
