import type * as tf from '../tf.js';
import type {EvalStatistics} from '../spec/names.js';

/** How a forward pass runs: training (batch statistics) or evaluation. */
export interface ForwardContext {
  /** Batch statistics (and dropout, given a `step`); false at evaluation. */
  training: boolean;
  /** Update running statistics (BN moving averages); only meaningful when training. */
  updateStats: boolean;
  /**
   * The training step (1-based) this pass trains: a model with dropout draws its masks for it
   * (src/nn/dropout.ts). Left out — evaluation, probes, statistics-gathering passes — nothing is
   * dropped.
   */
  step?: number;
  /**
   * At evaluation, the statistics a norm with batch statistics (batch, mean-only, renorm,
   * centered-stopgrad) normalises with: its moving averages (`moving`, the default), the
   * population statistics given by `setPopulation`, or the evaluated batch's own (`batch`).
   * Norms without batch statistics ignore it.
   */
  statistics?: EvalStatistics;
  /**
   * A training-mode pass that gathers population statistics (Ioffe & Szegedy Alg. 2): each
   * norm with batch statistics reports the batch's mean and biased variance (undefined for a
   * norm that only centres) and the number of values per statistic (N·H·W on a convolution);
   * the tensors live only during the call.
   */
  collect?: (norm: Norm, mean: tf.Tensor1D, variance: tf.Tensor1D | undefined, count: number) => void;
}


/** Population statistics for evaluation: the mean and the unbiased variance (m/(m−1)·E[σ²_B]). */
export interface Population {
  mean: tf.Tensor1D;
  variance?: tf.Tensor1D;
}

/** What a norm needs to know about the layer it sits on. */
export interface NormInit {
  /** Output units of a dense layer, or channels of a convolution: the last axis, C. */
  units: number;
  /**
   * The layer's initial kernel, output axis last: [in, C] for a dense layer, [kh, kw, in, C]
   * for a convolution. Weight norm derives g from it.
   */
  kernel: tf.Tensor;
}

/** The layer a data-dependent initialisation works on: its stored kernel, bias and projection. */
export interface LayerForInit {
  kernel: tf.Variable;
  bias?: tf.Variable<tf.Rank.R1>;
  /** The layer's linear map of an input with a given kernel (x·W, or a convolution), bias excluded. */
  project(input: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
}

/**
 * Every normalization has this one shape, so swapping one for another is one word in YAML.
 * A norm sits on a dense or convolutional layer: it may reparameterise the kernel (weight norm)
 * and/or transform the pre-activation z = x·W (+ b) (batch, layer norm). `none` does neither.
 *
 * Any rank, channels last: z is [N, C] on a dense layer and [N, H, W, C] on a convolution. Each
 * norm takes its statistics over its own axes — batch family: every axis but C; layer and RMS:
 * every axis but N; group: the spatial axes and the channels of a group — and applies its
 * per-channel γ, β after. A kernel has its output axis last, and weight norm normalises each
 * output unit's filter over all the other axes.
 */
export interface Norm {
  readonly name: string;
  /** Trainable parameters, by short name (gamma, beta, g). */
  readonly params: Readonly<Record<string, tf.Variable>>;
  /** Non-trainable state (moving averages), by short name. */
  readonly state: Readonly<Record<string, tf.Variable>>;
  /** True when a dense bias before this norm would be cancelled or subsumed by it. */
  readonly dropsDenseBias: boolean;
  /** What the layer calls the kernel it stores: `kernel`, or `v` when the norm reparameterises it. */
  readonly storedKernel?: string;
  /** The effective kernel given the stored one (identity except for weight norm); output axis last. */
  kernel<T extends tf.Tensor>(stored: T): T;
  /** Normalise pre-activations z [N, …spatial, C]. */
  apply<T extends tf.Tensor>(z: T, ctx: ForwardContext): T;
  /**
   * Norms with batch statistics: the statistics `ctx.statistics: 'population'` uses from now on
   * (the norm keeps its own copies), or undefined to drop them.
   */
  setPopulation?(population: Population | undefined): void;
  /** True when the norm asks for `initFromData` before training. */
  readonly dataInit?: boolean;
  /**
   * Data-dependent initialisation (weight norm, S&K §2.2): given the layer's input on the
   * initialisation batch, rescale so that the pre-activations have mean 0 and variance 1 per
   * unit (channel) over that batch.
   */
  initFromData?(input: tf.Tensor, layer: LayerForInit): void;
  dispose(): void;
}
