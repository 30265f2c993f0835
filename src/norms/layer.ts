// Layer normalization (Ba, Kiros & Hinton 2016, eq. 4), per example over its H units:
//   μ = (1/H) Σ a_i,   σ² = (1/H) Σ (a_i − μ)²
//   y = γ ⊙ (a − μ) / sqrt(σ² + ε) + β
// The same computation at training and evaluation; no running statistics.
// With `center`, β subsumes the dense bias, which is dropped.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {normalise, standardise} from './normalise.js';
import type {Norm, NormInit} from './types.js';
import type {LayerOptions} from './catalog.js';


/** The op by autodiff through tf.moments: the reference for the layer's fused op. */
export function layerNorm(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  epsilon: number,
): tf.Tensor2D {
  const {mean, variance} = tf.moments(x, 1, true);
  return normalise(x, mean, variance, gamma, beta, epsilon);
}

export class LayerNorm implements Norm {
  readonly name = 'layer';
  readonly params: Record<string, tf.Variable> = {};
  readonly state = {};
  readonly dropsDenseBias: boolean;
  private readonly gamma?: tf.Variable<tf.Rank.R1>;
  private readonly beta?: tf.Variable<tf.Rank.R1>;

  constructor(
    init: NormInit,
    readonly options: LayerOptions,
  ) {
    if (options.scale) this.params.gamma = this.gamma = variableOf(() => tf.ones([init.units]) as tf.Tensor1D);
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
    this.dropsDenseBias = options.center;
  }

  kernel(stored: tf.Tensor2D): tf.Tensor2D {
    return stored;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return standardise(x, this.gamma, this.beta, this.options.epsilon, 1);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}
