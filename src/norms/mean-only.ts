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
import {blendMovingAverages} from './normalise.js';
import {PopulationSlot} from './population.js';
import type {ForwardContext, Norm, NormInit, Population} from './types.js';
import type {MeanOnlyOptions} from './catalog.js';


/** The training op: x − mean over the batch (+ β). */
export function meanOnlyTrain(x: tf.Tensor2D, beta: tf.Tensor1D | undefined): {y: tf.Tensor2D; mean: tf.Tensor1D} {
  const mean = tf.mean(x, 0) as tf.Tensor1D;
  const centred: tf.Tensor2D = tf.sub(x, mean);
  return {y: beta ? tf.add(centred, beta) : centred, mean};
}

export class MeanOnlyBatchNorm implements Norm {
  readonly name = 'mean-only';
  readonly params: Record<string, tf.Variable> = {};
  readonly state: Record<string, tf.Variable>;
  readonly dropsDenseBias = true;
  private readonly beta?: tf.Variable<tf.Rank.R1>;
  private readonly movingMean: tf.Variable<tf.Rank.R1>;
  private readonly population = new PopulationSlot();

  constructor(
    init: NormInit,
    readonly options: MeanOnlyOptions,
  ) {
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
    this.movingMean = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D, false);
    this.state = {moving_mean: this.movingMean};
  }

  kernel(stored: tf.Tensor2D): tf.Tensor2D {
    return stored;
  }

  apply(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    if (!ctx.training) {
      if (ctx.statistics === 'batch') return meanOnlyTrain(x, this.beta).y;
      const mean = ctx.statistics === 'population' ? this.population.get(this.name).mean : this.movingMean;
      const centred: tf.Tensor2D = tf.sub(x, mean);
      return this.beta ? tf.add(centred, this.beta) : centred;
    }
    const {y, mean} = meanOnlyTrain(x, this.beta);
    if (ctx.collect) ctx.collect(this, mean, undefined);
    else if (ctx.updateStats) blendMovingAverages({mean: this.movingMean}, this.options.momentum, mean);
    return y;
  }

  /** Start the moving mean at a given value (weight norm's data init: the init batch's mean). */
  setMovingMean(mean: tf.Tensor1D): void {
    this.movingMean.assign(mean);
  }

  setPopulation(population: Population | undefined): void {
    this.population.set(population);
  }

  dispose(): void {
    this.population.clear();
    for (const v of [...Object.values(this.params), ...Object.values(this.state)]) v.dispose();
  }
}
