import type * as tf from '../tf.js';

/** How a forward pass runs: training (batch statistics) or evaluation. */
export interface ForwardContext {
  /** Batch statistics and dropout-like behaviour; false at evaluation. */
  training: boolean;
  /** Update running statistics (BN moving averages); only meaningful when training. */
  updateStats: boolean;
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
  dispose(): void;
}
