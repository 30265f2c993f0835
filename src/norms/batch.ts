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

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {normalise, standardise} from './normalise.js';
import {PopulationSlot} from './population.js';
import type {ForwardContext, Norm, NormInit, Population} from './types.js';
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

export class BatchNorm implements Norm {
  readonly name = 'batch';
  readonly params: Record<string, tf.Variable> = {};
  readonly state: Record<string, tf.Variable>;
  readonly dropsDenseBias = true;
  private readonly gamma?: tf.Variable<tf.Rank.R1>;
  private readonly beta?: tf.Variable<tf.Rank.R1>;
  private readonly movingMean: tf.Variable<tf.Rank.R1>;
  private readonly movingVariance: tf.Variable<tf.Rank.R1>;
  private readonly population = new PopulationSlot();

  constructor(
    init: NormInit,
    readonly options: BatchOptions,
  ) {
    if (options.scale) this.params.gamma = this.gamma = variableOf(() => tf.fill([init.units], options.gamma_init ?? 1) as tf.Tensor1D);
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
    this.movingMean = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D, false);
    this.movingVariance = variableOf(() => tf.ones([init.units]) as tf.Tensor1D, false);
    this.state = {moving_mean: this.movingMean, moving_variance: this.movingVariance};
  }

  kernel(stored: tf.Tensor2D): tf.Tensor2D {
    return stored;
  }

  apply(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    const {epsilon, momentum} = this.options;
    if (!ctx.training) {
      if (ctx.statistics === 'batch') return standardise(x, this.gamma, this.beta, epsilon, 0);
      if (ctx.statistics === 'population') {
        const {mean, variance} = this.population.get(this.name);
        return normalise(x, mean, variance!, this.gamma, this.beta, epsilon);
      }
      return normalise(x, this.movingMean, this.movingVariance, this.gamma, this.beta, epsilon);
    }
    const collect = ctx.collect;
    if (collect) return standardise(x, this.gamma, this.beta, epsilon, 0, (m, v) => collect(this, m, v));
    // The moving averages (unbiased σ²_B, m/(m−1)) are updated inside the fused op.
    const moving = ctx.updateStats ? {mean: this.movingMean, variance: this.movingVariance, momentum} : undefined;
    return standardise(x, this.gamma, this.beta, epsilon, 0, undefined, moving);
  }

  setPopulation(population: Population | undefined): void {
    this.population.set(population);
  }

  dispose(): void {
    this.population.clear();
    for (const v of [...Object.values(this.params), ...Object.values(this.state)]) v.dispose();
  }
}
