// Optimizers from tfjs-core, by name, plus clipping by global norm.

import * as tf from '../tf.js';
import type {OptimizerName} from '../spec/names.js';
import type {TrainSpec} from '../spec/experiment.js';

export function createOptimizer(spec: TrainSpec): tf.Optimizer {
  const builders: Record<OptimizerName, () => tf.Optimizer> = {
    sgd: () => tf.train.sgd(spec.lr),
    momentum: () => tf.train.momentum(spec.lr, spec.momentum),
    adam: () => tf.train.adam(spec.lr, spec.beta1, spec.beta2, spec.epsilon),
    rmsprop: () => tf.train.rmsprop(spec.lr, spec.decay, spec.momentum, spec.epsilon),
  };
  return builders[spec.optimizer]();
}

/** Scale all gradients by min(1, clip / ‖g‖₂) where ‖g‖₂ is over every gradient together. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, clip: number): tf.NamedTensorMap {
  const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
  const norm = tf.sqrt(tf.addN(squares));
  const scale = tf.div(clip, tf.maximum(norm, clip));
  const out: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, scale);
  return out;
}
