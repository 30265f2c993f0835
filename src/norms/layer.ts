// Layer normalization (Ba, Kiros & Hinton 2016, eq. 4), per example over its H units:
//   μ = (1/H) Σ a_i,   σ² = (1/H) Σ (a_i − μ)²
//   y = γ ⊙ (a − μ) / sqrt(σ² + ε) + β
// The same computation at training and evaluation; no running statistics. On a convolution's
// [N, H, W, C] the statistics are per example over all of H·W·C and γ, β are per channel (the
// convention of Wu & He 2018's comparison, and of GroupNorm with one group).
// With `center`, β subsumes the dense bias, which is dropped.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {affine, normalise, standardise} from './normalise.js';
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

  kernel<T extends tf.Tensor>(stored: T): T {
    return stored;
  }

  /**
   * Each example a row of [N, …·C], standardised by the fused op (axis 1); then γ, β per channel,
   * broadcast over the positions. (Not γ, β tiled to the row's length inside the fused op: tfjs
   * differentiates tf.tile of a vector as one slice and one add per copy, ~1 600 engine ops a
   * step for a 28×28 map, which made layer norm on a convnet 10× slower than batch norm.)
   */
  apply<T extends tf.Tensor>(x: T): T {
    const {epsilon} = this.options;
    if (x.rank === 2) return standardise(x as unknown as tf.Tensor2D, this.gamma, this.beta, epsilon, 1) as unknown as T;
    const xhat = tf.reshape(standardise(tf.reshape(x, [x.shape[0]!, -1]), undefined, undefined, epsilon, 1), x.shape) as T;
    return affine(xhat, this.gamma, this.beta);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}
