import type * as tf from '../tf.js';
import type {EvalStatistics} from '../spec/names.js';

/** How a forward pass runs: training (batch statistics) or evaluation. */
export interface ForwardContext {
  /** Batch statistics and dropout-like behaviour; false at evaluation. */
  training: boolean;
  /** Update running statistics (BN moving averages); only meaningful when training. */
  updateStats: boolean;
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
   * norm that only centres); the tensors live only during the call.
   */
  collect?: (norm: Norm, mean: tf.Tensor1D, variance: tf.Tensor1D | undefined) => void;
}


/** Population statistics for evaluation: the mean and the unbiased variance (m/(m−1)·E[σ²_B]). */
export interface Population {
  mean: tf.Tensor1D;
  variance?: tf.Tensor1D;
}

/** What a norm needs to know about the dense layer it sits on. */
export interface NormInit {
  /** Output units of the dense layer (the normalised dimension). */
  units: number;
  /** The dense layer's initial kernel [in, units]; weight norm derives g from it. */
  kernel: tf.Tensor2D;
}

/**
 * Every normalization has this one shape, so swapping one for another is one word in YAML.
 * A norm sits on a dense layer: it may reparameterise the kernel (weight norm) and/or
 * transform the pre-activation z = x·W (+ b) (batch, layer norm). `none` does neither.
 */
export interface Norm {
  readonly name: string;
  /** Trainable parameters, by short name (gamma, beta, g). */
  readonly params: Readonly<Record<string, tf.Variable>>;
  /** Non-trainable state (moving averages), by short name. */
  readonly state: Readonly<Record<string, tf.Variable>>;
  /** True when a dense bias before this norm would be cancelled or subsumed by it. */
  readonly dropsDenseBias: boolean;
  /** The effective kernel given the stored one (identity except for weight norm). */
  kernel(stored: tf.Tensor2D): tf.Tensor2D;
  /** Normalise pre-activations z [batch, units]. */
  apply(z: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
  /**
   * Norms with batch statistics: the statistics `ctx.statistics: 'population'` uses from now on
   * (the norm keeps its own copies), or undefined to drop them.
   */
  setPopulation?(population: Population | undefined): void;
  /** True when the norm asks for `initFromData` before training. */
  readonly dataInit?: boolean;
  /**
   * Data-dependent initialisation (weight norm, S&K §2.2): given the layer's input on the
   * initialisation batch and its dense bias, rescale so that the pre-activations have mean 0 and
   * variance 1 per unit over that batch.
   */
  initFromData?(input: tf.Tensor2D, kernel: tf.Variable<tf.Rank.R2>, bias: tf.Variable<tf.Rank.R1> | undefined): void;
  dispose(): void;
}
