// Weight initialisers. Values are drawn in JavaScript from an Rng keyed by what the parameter
// is (seed, layer, parameter name), so shared parameters are identical across variants and
// across backends.

import * as tf from '../tf.js';
import {Rng} from '../rng.js';

export const INITIALIZERS = ['glorot_uniform', 'glorot_normal', 'he_normal', 'normal'] as const;
export type InitializerName = (typeof INITIALIZERS)[number];

export interface InitSpec {
  name: InitializerName;
  /** Standard deviation for `normal`. */
  std: number;
}

/** Draw a [fanIn, fanOut] kernel. */
export function drawKernel(init: InitSpec, fanIn: number, fanOut: number, rng: Rng): tf.Tensor2D {
  const values = new Float32Array(fanIn * fanOut);
  switch (init.name) {
    case 'glorot_uniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < values.length; i++) values[i] = (2 * rng.uniform() - 1) * limit;
      break;
    }
    case 'glorot_normal':
      fillNormal(values, Math.sqrt(2 / (fanIn + fanOut)), rng);
      break;
    case 'he_normal':
      fillNormal(values, Math.sqrt(2 / fanIn), rng);
      break;
    case 'normal':
      fillNormal(values, init.std, rng);
      break;
  }
  return tf.tensor2d(values, [fanIn, fanOut]);
}

function fillNormal(values: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() * std;
}
