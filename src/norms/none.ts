// No normalization: y = z. A real identity, so `none` is one more norm, not a special case.

import type * as tf from '../tf.js';
import type {Norm} from './types.js';
import type {NoneOptions} from './catalog.js';


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
