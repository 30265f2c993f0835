// What every norm with batch statistics shares (batch, mean-only, renorm, centered-stopgrad):
// statistics per channel over every axis but the last, moving averages, population statistics
// and the choice among them at evaluation. A subclass writes only its own arithmetic; this
// class decides which statistics a pass uses and what it reports, so a new batch-statistics
// norm cannot forget to report them to a population pass (`ctx.collect`) or to update its
// moving averages.
//
// Any rank, channels last: x [N, …spatial, C] is standardised as the rows of [N·…spatial, C]
// (per channel over N·H·W for a convolution, Ioffe & Szegedy §3.2), so a dense layer [N, C] is
// the case with no spatial axes and runs exactly the 2-D arithmetic. The moving variance is
// made unbiased with the number of values per statistic, m = N·H·W (as PyTorch's BatchNorm2d).
//
// Per pass:
//   training, updating:     y = train(x); μ_run, σ²_run ← blend with (μ_B, m/(m−1)·σ²_B)
//   training, collecting:   y = train(x); ctx.collect(μ_B, σ²_B, m), nothing updated
//   evaluation, `moving`:   y = withStatistics(x, μ_run, σ²_run)
//   evaluation, `population`: y = withStatistics(x, E[μ_B], m/(m−1)·E[σ²_B]) (set by setPopulation)
//   evaluation, `batch`:    y = batchEvaluation(x), the batch's own statistics, nothing updated

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {blendMovingAverages, type MovingAverages} from './normalise.js';
import {PopulationSlot} from './population.js';
import type {ForwardContext, Norm, Population} from './types.js';

/**
 * How a training pass reports the batch statistics it used, once, while they exist (inside a
 * fused op they are gone when it returns): the mean and the biased variance (undefined for a
 * norm that only centres).
 */
export type ReportStatistics = (mean: tf.Tensor1D, variance?: tf.Tensor1D) => void;

/** x [N, …, C] as rows [N·…, C], f applied, and the result in x's shape. */
export function onRows<T extends tf.Tensor>(x: T, f: (rows: tf.Tensor2D) => tf.Tensor2D): T {
  if (x.rank === 2) return f(x as unknown as tf.Tensor2D) as unknown as T;
  const channels = x.shape[x.rank - 1]!;
  return tf.reshape(f(tf.reshape(x, [-1, channels])), x.shape) as T;
}

export abstract class BatchStatisticsNorm implements Norm {
  abstract readonly name: string;
  abstract readonly params: Record<string, tf.Variable>;
  readonly state: Record<string, tf.Variable>;
  abstract readonly dropsDenseBias: boolean;
  protected readonly movingMean: tf.Variable<tf.Rank.R1>;
  protected readonly movingVariance?: tf.Variable<tf.Rank.R1>;
  private readonly population = new PopulationSlot();

  /** `variance`: whether the norm keeps a moving variance (a norm that only centres does not). */
  constructor(channels: number, variance: boolean, protected readonly momentum: number) {
    this.movingMean = variableOf(() => tf.zeros([channels]) as tf.Tensor1D, false);
    this.state = {moving_mean: this.movingMean};
    if (variance) this.state.moving_variance = this.movingVariance = variableOf(() => tf.ones([channels]) as tf.Tensor1D, false);
  }

  /**
   * The training-mode op on rows [m, C], with gradients through the batch statistics, which it
   * passes to `report`. `moving` is given to a norm with `fusedMovingAverages` when the pass
   * updates statistics: the op updates them itself.
   */
  protected abstract train(x: tf.Tensor2D, moving: MovingAverages | undefined, report: ReportStatistics): tf.Tensor2D;

  /** True when `train` updates the moving averages inside its op (batch norm's fused op). */
  protected readonly fusedMovingAverages: boolean = false;

  /** Evaluation with given statistics (the moving averages or the population's). */
  protected abstract withStatistics(x: tf.Tensor2D, mean: tf.Tensor, variance: tf.Tensor | undefined): tf.Tensor2D;

  /** Evaluation with the batch's own statistics; the training op, nothing updated, by default. */
  protected batchEvaluation(x: tf.Tensor2D): tf.Tensor2D {
    return this.train(x, undefined, () => {});
  }

  /** After a training pass that updated statistics (renorm counts its steps). */
  protected afterUpdate(): void {}

  kernel<T extends tf.Tensor>(stored: T): T {
    return stored;
  }

  apply<T extends tf.Tensor>(z: T, ctx: ForwardContext): T {
    return onRows(z, (x) => {
      if (!ctx.training) {
        const statistics = ctx.statistics ?? 'moving';
        if (statistics === 'batch') return this.batchEvaluation(x);
        const {mean, variance} = statistics === 'population' ? this.population.get(this.name) : {mean: this.movingMean, variance: this.movingVariance};
        return this.withStatistics(x, mean, variance);
      }
      const update = ctx.updateStats && !ctx.collect;
      const moving = update && this.fusedMovingAverages ? {mean: this.movingMean, variance: this.movingVariance!, momentum: this.momentum} : undefined;
      const m = x.shape[0];
      let reported = false;
      const y = this.train(x, moving, (mean, variance) => {
        reported = true;
        if (ctx.collect) ctx.collect(this, mean, this.movingVariance ? variance : undefined, m);
        else if (update && !moving) blendMovingAverages({mean: this.movingMean, variance: this.movingVariance}, this.momentum, mean, variance, m);
      });
      if (!reported) throw new Error(`norm ${this.name}: a training pass reported no batch statistics`);
      if (update) this.afterUpdate();
      return y;
    });
  }

  setPopulation(population: Population | undefined): void {
    this.population.set(population);
  }

  dispose(): void {
    this.population.clear();
    for (const v of [...Object.values(this.params), ...Object.values(this.state)]) v.dispose();
  }
}
