import type {ModelSpec, NormSpec} from '../spec/experiment.js';
import type {ImageShape} from '../spec/datasets.js';
import type {ActivationName} from '../spec/names.js';
import type {ForwardContext} from '../norms/types.js';
import type * as tf from '../tf.js';

/** Everything a model builder needs: architecture, norm, activation, seed and the data's shape. */
export interface BuildOptions {
  model: ModelSpec;
  norm: NormSpec;
  activation: ActivationName;
  seed: number;
  /** Values per example (the input width of a feed-forward model). */
  inputs: number;
  /** Outputs: the number of classes, or 1 for regression. */
  classes: number;
  /** For a convnet: each example's image shape [H, W, C] (its `inputs` values, channels last). */
  image?: ImageShape;
  /** For recurrent models: values per time step, and the steps of the training sequences. */
  sequence?: {inputs: number; steps: number};
}

/** A model over flat examples [batch, width] (a sequence is read from its width). The trainer sees only this. */
export interface Model {
  readonly kind: string;
  /** Trainable variables by qualified name, e.g. `hidden1/kernel`, `hidden1/batch/gamma`. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Non-trainable state (moving averages) by qualified name. */
  readonly state: ReadonlyMap<string, tf.Variable>;
  /** Outputs [batch, classes]: logits, or the regression estimate. */
  forward(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
  /**
   * Recurrent models: ‖∂L/∂h_t‖ (over the batch and units) at every step t of the last layer,
   * in training mode without updating any statistics, for the loss the caller gives.
   */
  gradientFlow?(x: tf.Tensor2D, loss: (output: tf.Tensor2D) => tf.Scalar): number[];
  /**
   * Feed-forward models: the input to each hidden layer's nonlinearity (the norm's output, or with
   * placement post the dense layer's), in evaluation mode: [N, units], or [N, H, W, C] on a conv
   * block (its units are the channels, the last axis).
   */
  preActivations?(x: tf.Tensor2D): Array<{layer: string; z: tf.Tensor}>;
  /** Examples in the activation probes' fixed batch, when fewer than the probes' default (a convnet's maps are large). */
  readonly probeExamples?: number;
  /** A norm asks for data-dependent initialisation before training (`initFromData`, on one batch). */
  readonly needsDataInit?: boolean;
  initFromData?(x: tf.Tensor2D): void;
  dispose(): void;
}

/** Number of scalars in the trainable parameters. */
export function parameterCount(model: Model): number {
  let n = 0;
  for (const v of model.params.values()) n += v.size;
  return n;
}
