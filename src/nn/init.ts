// Weight initialisers. Values are drawn in JavaScript from an Rng keyed by what the parameter
// is (seed, layer, parameter name), so shared parameters are identical across variants and
// across backends.

import * as tf from '../tf.js';
import {Rng} from '../rng.js';

import type {InitializerName, RecurrentInitializerName} from '../spec/names.js';

export interface InitSpec {
  name: InitializerName;
  /** Standard deviation for `normal`. */
  std: number;
}

/** Draw a [fanIn, fanOut] kernel. */
export function drawKernel(init: InitSpec, fanIn: number, fanOut: number, rng: Rng): tf.Tensor2D {
  return tf.tensor2d(drawValues(init, fanIn * fanOut, fanIn, fanOut, rng), [fanIn, fanOut]);
}

/**
 * Draw a convolution filter [k, k, in, out]. Its fans are those of the matrix it multiplies by
 * (as Keras and PyTorch count them): fan-in k·k·in, the values one output sums; fan-out k·k·out.
 */
export function drawFilter(init: InitSpec, k: number, inputs: number, outputs: number, rng: Rng): tf.Tensor4D {
  return tf.tensor4d(drawValues(init, k * k * inputs * outputs, k * k * inputs, k * k * outputs, rng), [k, k, inputs, outputs]);
}

/** `count` values of an initialiser for a kernel with these fans, in the Rng's order. */
function drawValues(init: InitSpec, count: number, fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const values = new Float32Array(count);
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
  return values;
}

function fillNormal(values: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() * std;
}

/**
 * A random orthogonal n × n matrix (Saxe, McClelland & Ganguli 2014): the Q of the QR
 * decomposition of a Gaussian matrix, by modified Gram–Schmidt in float64, with the signs fixed
 * so that the draw is uniform over orthogonal matrices (Mezzadri 2007). Row-major.
 */
export function orthogonal(n: number, rng: Rng): Float64Array {
  const a = Float64Array.from({length: n * n}, () => rng.normal());
  const q = new Float64Array(n * n);
  // Columns of A, orthonormalised one after another; q[:, j] = a_j minus its projections, normalised.
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = a[i * n + j]!;
    let rjj = 0;
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i * n + k]! * v[i]!;
      for (let i = 0; i < n; i++) v[i] = v[i]! - dot * q[i * n + k]!;
    }
    for (let i = 0; i < n; i++) rjj += v[i]! * v[i]!;
    rjj = Math.sqrt(rjj);
    // Modified Gram–Schmidt's R has a positive diagonal, so Q is already sign-normalised.
    for (let i = 0; i < n; i++) q[i * n + j] = v[i]! / rjj;
  }
  return q;
}

/**
 * Draw a recurrent kernel W_h [H, G·H]: one H × H block per gate, each orthogonal (its own
 * draw), the identity (Le, Jaitly & Hinton 2015), or drawn like any kernel.
 */
export function drawRecurrentKernel(name: RecurrentInitializerName, std: number, units: number, gates: number, key: (gate: number) => Rng): tf.Tensor2D {
  if (name !== 'orthogonal' && name !== 'identity') {
    const blocks = Array.from({length: gates}, (_, g) => drawKernel({name, std}, units, units, key(g)));
    const w = tf.concat(blocks, 1) as tf.Tensor2D;
    for (const b of blocks) b.dispose();
    return w;
  }
  const width = units * gates;
  const values = new Float32Array(units * width);
  for (let g = 0; g < gates; g++) {
    const block = name === 'orthogonal' ? orthogonal(units, key(g)) : undefined;
    for (let i = 0; i < units; i++) {
      for (let j = 0; j < units; j++) values[i * width + g * units + j] = block ? block[i * units + j]! : i === j ? 1 : 0;
    }
  }
  return tf.tensor2d(values, [units, width]);
}
