// Weight normalization (Salimans & Kingma 2016, eq. 2), per output unit j:
//   w_j = g_j · v_j / ‖v_j‖
// so ‖w_j‖ = g_j whatever the direction v_j. The stored kernel is v with the output axis last,
// [in, units] on a dense layer or [kh, kw, in, units] on a convolution, and the norm is taken
// over every other axis (PyTorch `weight_norm(Linear | Conv2d, dim=0)` on its [out, …] weight).
// g is initialised to ‖v_j‖, so at initialisation w equals the plain dense layer's kernel and
// a WN network starts from exactly the same function as its un-normalised twin.
// Gradients follow by autodiff: ∇g = ∇w·v/‖v‖, ∇v = (g/‖v‖)(I − ww′/‖w‖²)∇w.
//
// Options:
// - `init: data` (S&K §2.2): before training, on one batch, with t = x·v/‖v‖ per unit,
//   g ← 1/σ[t] and b ← −μ[t]/σ[t] (biased σ over the batch), layer by layer in order, so every
//   hidden pre-activation starts with mean 0 and variance 1 on that batch.
// - `mean_only: true` (S&K §2.1): weight norm followed by mean-only batch norm (mean-only.ts):
//   y = w·x − μ_B[w·x] + β, the moving mean at evaluation. The dense bias is dropped (μ_B
//   cancels it) and β takes its place; with `init: data` β starts at 0, the batch mean being
//   removed anyway, and the moving mean starts at the init batch's mean.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {MeanOnlyBatchNorm} from './mean-only.js';
import type {ForwardContext, LayerForInit, Norm, NormInit, Population} from './types.js';
import {weightOptions, type WeightOptions} from './catalog.js';


/** Every axis of a kernel but the last (its output units). */
function inputAxes(v: tf.Tensor): number | number[] {
  return v.rank === 2 ? 0 : Array.from({length: v.rank - 1}, (_, i) => i);
}

/** The op: w = g · v / ‖v‖ with the norm of each output unit's weights, over all but the last axis. */
export function weightNormKernel<T extends tf.Tensor>(v: T, g: tf.Tensor1D): T {
  const norm = tf.sqrt(tf.sum(tf.square(v), inputAxes(v)));
  return tf.mul(v, tf.div(g, norm)) as T;
}

export class WeightNorm implements Norm {
  readonly name = 'weight';
  readonly params: Record<string, tf.Variable>;
  readonly state: Record<string, tf.Variable> = {};
  readonly dropsDenseBias: boolean;
  readonly dataInit: boolean;
  readonly storedKernel = 'v';
  private readonly g: tf.Variable<tf.Rank.R1>;
  private readonly meanOnly?: MeanOnlyBatchNorm;

  constructor(init: NormInit, readonly options: WeightOptions = weightOptions.parse({})) {
    this.g = variableOf(() => tf.sqrt(tf.sum(tf.square(init.kernel), inputAxes(init.kernel))) as tf.Tensor1D);
    this.params = {g: this.g};
    this.dropsDenseBias = options.mean_only;
    this.dataInit = options.init === 'data';
    if (options.mean_only) {
      this.meanOnly = new MeanOnlyBatchNorm(init, {momentum: options.momentum, center: true});
      Object.assign(this.params, this.meanOnly.params);
      Object.assign(this.state, this.meanOnly.state);
    }
  }

  kernel<T extends tf.Tensor>(stored: T): T {
    return weightNormKernel(stored, this.g);
  }

  apply<T extends tf.Tensor>(z: T, ctx: ForwardContext): T {
    return this.meanOnly ? this.meanOnly.apply(z, ctx) : z;
  }

  setPopulation(population: Population | undefined): void {
    this.meanOnly?.setPopulation(population);
  }

  /**
   * S&K §2.2 on the layer's input: g ← 1/σ[t], b ← −μ[t]/σ[t], with t = the layer's projection
   * of the input by v/‖v‖ and its statistics per unit over every axis but the last.
   */
  initFromData(input: tf.Tensor, layer: LayerForInit): void {
    if (this.options.init !== 'data') return;
    const {bias} = layer;
    tf.tidy(() => {
      const t = layer.project(input, weightNormKernel(layer.kernel, tf.onesLike(this.g)));
      const {mean, variance} = tf.moments(t, t.rank === 2 ? 0 : Array.from({length: t.rank - 1}, (_, i) => i));
      // A unit constant over the batch (σ = 0) keeps its scale: g = 1 rather than infinity.
      const sigma = tf.where(tf.greater(variance, 0), tf.sqrt(variance), tf.onesLike(variance));
      this.g.assign(tf.div(1, sigma) as tf.Tensor1D);
      if (bias) bias.assign(tf.neg(tf.div(mean, sigma)) as tf.Tensor1D);
      // Mean-only BN removes the batch mean itself; its moving mean starts at this batch's, so
      // evaluation before the first step sees the same standardised layer.
      this.meanOnly?.setMovingMean(tf.div(mean, sigma) as tf.Tensor1D);
    });
  }

  dispose(): void {
    this.g.dispose();
    this.meanOnly?.dispose();
  }
}
