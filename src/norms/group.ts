// Group normalization (Wu & He 2018, eq. 1–3), on a dense layer's H units. Per example, the
// units split into G contiguous groups of C = H/G (unit j is in group ⌊j/C⌋), and each group
// is standardised on its own:
//   μ_g = (1/C) Σ_{j∈g} a_j,   σ²_g = (1/C) Σ_{j∈g} (a_j − μ_g)²   (biased)
//   y_j = γ_j · (a_j − μ_g) / sqrt(σ²_g + ε) + β_j                 (γ, β per unit, not per group)
// The same at training and evaluation; no running statistics. G = 1 is layer normalization.
// On a convolution's [N, H, W, C] a group is a set of C/G consecutive channels at every position:
// its statistics are per example over H·W × the group's channels (Wu & He eq. 1, PyTorch's
// GroupNorm on NCHW), not over consecutive values of the flattened tensor.
// This is torch.nn.GroupNorm(G, H) on a [B, H] input, whose dim 1 PyTorch takes as channels.
// With `center`, β subsumes the dense bias, which is dropped (as layer norm).
//
// The default G = 4 departs from the paper's 32 on purpose: 32 suits convolutional layers of
// 64–2048 channels, and G must divide every hidden width. Our MLPs are 100 (784-100-100-100-10),
// 32 (smoke) and 16 units wide: 32 does not divide 100 or 16, and cuts 32 units into groups of
// one, whose standardised value is always 0 (a dead layer, refused below). 4 divides all three.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {UserError} from '../errors.js';
import {affine, normalise, standardise} from './normalise.js';
import type {Norm, NormInit} from './types.js';
import type {GroupOptions} from './catalog.js';


/** The op by autodiff through tf.moments over [B, G, C]: the reference for the layer's op. */
export function groupNorm(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  groups: number,
  epsilon: number,
): tf.Tensor2D {
  const [b, h] = x.shape;
  const grouped = tf.reshape(x, [b, groups, h / groups]);
  const {mean, variance} = tf.moments(grouped, 2, true);
  const xhat = tf.reshape(normalise(grouped, mean, variance, undefined, undefined, epsilon), [b, h]) as tf.Tensor2D;
  return affine(xhat, gamma, beta);
}

export class GroupNorm implements Norm {
  readonly name = 'group';
  readonly params: Record<string, tf.Variable> = {};
  readonly state = {};
  readonly dropsDenseBias: boolean;
  private readonly gamma?: tf.Variable<tf.Rank.R1>;
  private readonly beta?: tf.Variable<tf.Rank.R1>;

  constructor(
    init: NormInit,
    readonly options: GroupOptions,
  ) {
    const {units} = init;
    const {groups} = options;
    if (units % groups !== 0) {
      throw new UserError(`norm "group": groups=${groups} does not divide a layer of ${units} units; choose groups among the divisors of ${units} (${divisors(units).join(', ')})`);
    }
    if (units === groups) {
      throw new UserError(`norm "group": groups=${groups} on a layer of ${units} units gives groups of one unit, whose standardised value is always 0; choose fewer groups (${divisors(units).join(', ')})`);
    }
    if (options.scale) this.params.gamma = this.gamma = variableOf(() => tf.ones([units]) as tf.Tensor1D);
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([units]) as tf.Tensor1D);
    this.dropsDenseBias = options.center;
  }

  kernel<T extends tf.Tensor>(stored: T): T {
    return stored;
  }

  /**
   * Each (example, group) as a row, standardised by the fused op (axis 1), then γ, β per unit.
   * [N, C] → rows [N·G, C/G]; [N, …spatial, C] → [N, P, G, C/G] with the group axis brought
   * next to N, → rows [N·G, P·C/G], and back.
   */
  apply<T extends tf.Tensor>(x: T): T {
    const {groups, epsilon} = this.options;
    const n = x.shape[0]!;
    const channels = x.shape[x.rank - 1]!;
    const size = channels / groups;
    let xhat: tf.Tensor;
    if (x.rank === 2) {
      const rows = tf.reshape(x, [n * groups, size]) as tf.Tensor2D;
      xhat = tf.reshape(standardise(rows, undefined, undefined, epsilon, 1), x.shape);
    } else {
      const positions = x.size / (n * channels);
      const grouped = tf.transpose(tf.reshape(x, [n, positions, groups, size]), [0, 2, 1, 3]);
      const rows = standardise(tf.reshape(grouped, [n * groups, positions * size]), undefined, undefined, epsilon, 1);
      xhat = tf.reshape(tf.transpose(tf.reshape(rows, [n, groups, positions, size]), [0, 2, 1, 3]), x.shape);
    }
    return affine(xhat, this.gamma, this.beta) as T;
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}

/** The group counts that leave at least 2 units a group. */
function divisors(n: number): number[] {
  return Array.from({length: n}, (_, i) => i + 1).filter((g) => n % g === 0 && g < n);
}
