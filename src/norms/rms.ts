// Root mean square layer normalization (Zhang & Sennrich 2019, eq. 4), per example over its
// H units, without centring:
//   RMS(a) = sqrt((1/H) Σ a_i² + ε),   y = g ⊙ a / RMS(a)   (+ β with `center`)
// The same at training and evaluation; no running statistics. ε sits inside the square root as
// in T5, LLaMA and torch.nn.RMSNorm (the authors' code adds it to RMS(a) outside). The gradient
// is by autodiff: with â = a/RMS(a), ∂L/∂a = (1/RMS(a)) · (dâ − â · (1/H) Σ_i dâ_i â_i).
//
// RMSNorm does not subtract the mean, so a dense bias before it is not cancelled (it shifts
// every a_i and so changes both the direction and RMS(a)): the bias is kept. β is off by
// default as in the authors' reference code ("RMSNorm doesn't enforce re-centering
// invariance"); `center: true` adds it, for comparing like with like against layer norm.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import type {Norm, NormInit} from './types.js';
import type {RmsOptions} from './catalog.js';


/**
 * The op: y = g ⊙ a / sqrt(mean(a²) + ε) + β per example of a [N, …, C], the mean over every
 * axis but N; g, β per channel, optional.
 */
export function rmsNorm<T extends tf.Tensor>(a: T, gain: tf.Tensor1D | undefined, beta: tf.Tensor1D | undefined, epsilon: number): T {
  const axes = a.rank === 2 ? 1 : Array.from({length: a.rank - 1}, (_, i) => i + 1);
  let y: T = tf.mul(a, tf.rsqrt(tf.add(tf.mean(tf.square(a), axes, true), epsilon)));
  if (gain) y = tf.mul(y, gain);
  if (beta) y = tf.add(y, beta);
  return y;
}

export class RmsNorm implements Norm {
  readonly name = 'rms';
  readonly params: Record<string, tf.Variable> = {};
  readonly state = {};
  readonly dropsDenseBias = false;
  private readonly gamma?: tf.Variable<tf.Rank.R1>;
  private readonly beta?: tf.Variable<tf.Rank.R1>;

  constructor(
    init: NormInit,
    readonly options: RmsOptions,
  ) {
    if (options.scale) this.params.gamma = this.gamma = variableOf(() => tf.ones([init.units]) as tf.Tensor1D);
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
  }

  kernel<T extends tf.Tensor>(stored: T): T {
    return stored;
  }

  apply<T extends tf.Tensor>(a: T): T {
    return rmsNorm(a, this.gamma, this.beta, this.options.epsilon);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}
