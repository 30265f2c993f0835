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
import {variableOf} from '../nn/variables.js';
import {stopGradient} from './stop-gradient.js';
import {blendMovingAverages} from './normalise.js';
import {PopulationSlot} from './population.js';
import type {ForwardContext, Norm, NormInit, Population} from './types.js';
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

export class CenteredStopgrad implements Norm {
  readonly name = 'centered-stopgrad';
  readonly params = {};
  readonly state: Record<string, tf.Variable>;
  readonly dropsDenseBias = false;
  private readonly movingMean: tf.Variable<tf.Rank.R1>;
  private readonly movingVariance?: tf.Variable<tf.Rank.R1>;
  private readonly population = new PopulationSlot();

  constructor(
    init: NormInit,
    readonly options: CenteredStopgradOptions,
  ) {
    this.movingMean = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D, false);
    this.state = {moving_mean: this.movingMean};
    if (options.scale_stopgrad) {
      this.state.moving_variance = this.movingVariance = variableOf(() => tf.ones([init.units]) as tf.Tensor1D, false);
    }
  }

  kernel(stored: tf.Tensor2D): tf.Tensor2D {
    return stored;
  }

  apply(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    const {epsilon, momentum, scale_stopgrad} = this.options;
    if (!ctx.training) {
      if (ctx.statistics === 'batch') return centeredStopgradTrain(x, scale_stopgrad, epsilon).y;
      const {mean, variance} = ctx.statistics === 'population' ? this.population.get(this.name) : {mean: this.movingMean, variance: this.movingVariance};
      const centred: tf.Tensor2D = tf.sub(x, mean);
      return scale_stopgrad ? tf.div(centred, tf.sqrt(tf.add(variance!, epsilon))) : centred;
    }
    const {y, mean, variance} = centeredStopgradTrain(x, scale_stopgrad, epsilon);
    if (ctx.collect) ctx.collect(this, mean, scale_stopgrad ? variance : undefined);
    else if (ctx.updateStats) blendMovingAverages({mean: this.movingMean, variance: this.movingVariance}, momentum, mean, variance, x.shape[0]);
    return y;
  }

  setPopulation(population: Population | undefined): void {
    this.population.set(population);
  }

  dispose(): void {
    this.population.clear();
    for (const v of Object.values(this.state)) v.dispose();
  }
}
