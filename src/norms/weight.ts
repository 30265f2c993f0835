// Weight normalization (Salimans & Kingma 2016, eq. 2), per output unit j:
//   w_j = g_j · v_j / ‖v_j‖
// so ‖w_j‖ = g_j whatever the direction v_j. The stored kernel is v [in, units]; the norm is
// taken over the input axis (PyTorch `weight_norm(Linear, dim=0)` on its [out, in] weight).
// g is initialised to ‖v_j‖, so at initialisation w equals the plain dense layer's kernel and
// a WN network starts from exactly the same function as its un-normalised twin.
// Gradients follow by autodiff: ∇g = ∇w·v/‖v‖, ∇v = (g/‖v‖)(I − ww′/‖w‖²)∇w.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import type {z} from 'zod';
import {strict} from '../util/strict.js';
import type {Norm, NormInit} from './types.js';

export const weightOptions = strict({});
export type WeightOptions = z.infer<typeof weightOptions>;

/** The op: w = g · v / ‖v‖ with the norm over axis 0 (inputs) of v [in, units]. */
export function weightNormKernel(v: tf.Tensor2D, g: tf.Tensor1D): tf.Tensor2D {
  const norm = tf.sqrt(tf.sum(tf.square(v), 0));
  return tf.mul(v, tf.div(g, norm)) as tf.Tensor2D;
}

export class WeightNorm implements Norm {
  readonly name = 'weight';
  readonly params: Record<string, tf.Variable>;
  readonly state = {};
  readonly dropsDenseBias = false;
  private readonly g: tf.Variable<tf.Rank.R1>;

  constructor(init: NormInit, readonly options: WeightOptions = {}) {
    this.g = variableOf(() => tf.sqrt(tf.sum(tf.square(init.kernel), 0)) as tf.Tensor1D);
    this.params = {g: this.g};
  }

  kernel(stored: tf.Tensor2D): tf.Tensor2D {
    return weightNormKernel(stored, this.g);
  }

  apply(z: tf.Tensor2D): tf.Tensor2D {
    return z;
  }

  dispose(): void {
    this.g.dispose();
  }
}
