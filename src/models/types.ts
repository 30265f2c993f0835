import type {ModelSpec} from '../config/schema.js';
import type {ActivationName} from '../nn/activations.js';
import type {NormSpec} from '../norms/registry.js';
import type {ForwardContext} from '../norms/types.js';
import type * as tf from '../tf.js';

/** Everything a model builder needs: architecture, norm, activation, seed and the data's shape. */
export interface BuildOptions {
  model: ModelSpec;
  norm: NormSpec;
  activation: ActivationName;
  seed: number;
  /** Input features and output classes. */
  inputs: number;
  classes: number;
}

/** A classifier over flat feature vectors. The trainer sees only this. */
export interface Model {
  readonly kind: string;
  /** Trainable variables by qualified name, e.g. `hidden1/kernel`, `hidden1/batch/gamma`. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Non-trainable state (moving averages) by qualified name. */
  readonly state: ReadonlyMap<string, tf.Variable>;
  /** Logits [batch, classes]. */
  forward(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
  dispose(): void;
}

/** Number of scalars in the trainable parameters. */
export function parameterCount(model: Model): number {
  let n = 0;
  for (const v of model.params.values()) n += v.size;
  return n;
}
