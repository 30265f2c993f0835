// Instance normalization (Ulyanov, Vedaldi & Lempitsky 2016, eq. 2), on a convolution's
// [N, H, W, C]: per example and per channel, over the H·W positions,
//   μ_nc = (1/HW) Σ_{h,w} a_nhwc,   σ²_nc = (1/HW) Σ_{h,w} (a_nhwc − μ_nc)²   (biased)
//   y_nhwc = γ_c · (a_nhwc − μ_nc) / sqrt(σ²_nc + ε) + β_c
// The same at training and evaluation; no running statistics (torch.nn.InstanceNorm2d with
// affine=True, track_running_stats=False). It is group norm with one channel a group (Wu & He
// 2018, Fig. 2). On a dense layer [N, C] each statistic would be over one value, whose
// standardised value is always 0: the norm sits on convolutions only (catalog: contexts).
// With `center`, β subsumes the convolution's bias, which is dropped.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {affine, standardise} from './normalise.js';
import type {InstanceOptions} from './catalog.js';
import type {Norm, NormInit} from './types.js';

export class InstanceNorm implements Norm {
  readonly name = 'instance';
  readonly params: Record<string, tf.Variable> = {};
  readonly state = {};
  readonly dropsDenseBias: boolean;
  private readonly gamma?: tf.Variable<tf.Rank.R1>;
  private readonly beta?: tf.Variable<tf.Rank.R1>;

  constructor(
    init: NormInit,
    readonly options: InstanceOptions,
  ) {
    if (options.scale) this.params.gamma = this.gamma = variableOf(() => tf.ones([init.units]) as tf.Tensor1D);
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
    this.dropsDenseBias = options.center;
  }

  kernel<T extends tf.Tensor>(stored: T): T {
    return stored;
  }

  /**
   * Each (example, channel) as a row: [N, P, C] → [N, C, P] → rows [N·C, P], standardised by the
   * fused op (axis 1), and back; then γ, β per channel.
   */
  apply<T extends tf.Tensor>(x: T): T {
    if (x.rank < 3) throw new Error(`instance norm takes [N, …spatial, C], got a rank-${x.rank} tensor`);
    const n = x.shape[0]!;
    const channels = x.shape[x.rank - 1]!;
    const positions = x.size / (n * channels);
    const rows = tf.reshape(tf.transpose(tf.reshape(x, [n, positions, channels]), [0, 2, 1]), [n * channels, positions]) as tf.Tensor2D;
    const xhat = standardise(rows, undefined, undefined, this.options.epsilon, 1);
    return affine(tf.reshape(tf.transpose(tf.reshape(xhat, [n, channels, positions]), [0, 2, 1]), x.shape) as T, this.gamma, this.beta);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}
