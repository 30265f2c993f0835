// No normalization: y = z. A real identity, so `none` is one more norm, not a special case.

import type * as tf from '../tf.js';
import type {Norm} from './types.js';


export class NoNorm implements Norm {
  readonly name = 'none';
  readonly params = {};
  readonly state = {};
  readonly dropsDenseBias = false;
  kernel<T extends tf.Tensor>(stored: T): T {
    return stored;
  }
  apply<T extends tf.Tensor>(z: T): T {
    return z;
  }
  dispose(): void {}
}
