// No normalization: y = z. A real identity, so `none` is one more norm, not a special case.

import type * as tf from '../tf.js';
import type {z} from 'zod';
import {strict} from '../util/strict.js';
import type {Norm} from './types.js';

export const noneOptions = strict({});
export type NoneOptions = z.infer<typeof noneOptions>;

export class NoNorm implements Norm {
  readonly name = 'none';
  readonly params = {};
  readonly state = {};
  readonly dropsDenseBias = false;
  kernel(stored: tf.Tensor2D): tf.Tensor2D {
    return stored;
  }
  apply(z: tf.Tensor2D): tf.Tensor2D {
    return z;
  }
  dispose(): void {}
}
