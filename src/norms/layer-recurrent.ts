// Layer-normalized LSTM (Ba, Kiros & Hinton 2016, §3.1 and eq. 20–22), and the same on a tanh RNN:
//   (f, i, o, g) = LN(W_h h_{t−1}; γ_h) + LN(W_x x_t; γ_x) + b
//   c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g)
//   h_t = σ(o) ⊙ tanh(LN(c_t; γ_c, β_c))
// LN standardises each example over all G·H values of a projection (over the H units of c),
// the same at training and evaluation; gains and shifts are shared over time. The paper gives
// each projection a shift too; with b beside them they are one bias, so b alone carries it.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import type {LayerOptions} from './catalog.js';
import {standardise} from './normalise.js';
import type {RecurrencePlan} from '../nn/recurrence.js';
import {NO_STEP_NORM, type RecurrentNorm, type RecurrentNormInit} from './recurrent.js';

export class RecurrentLayerNorm implements RecurrentNorm {
  readonly name = 'layer';
  readonly params: Record<string, tf.Variable> = {};
  readonly state = {};
  private readonly gammaX?: tf.Variable<tf.Rank.R1>;
  private readonly gammaH?: tf.Variable<tf.Rank.R1>;
  private readonly gammaC?: tf.Variable<tf.Rank.R1>;
  private readonly betaC?: tf.Variable<tf.Rank.R1>;
  private readonly hasCell: boolean;

  constructor(init: RecurrentNormInit, readonly options: LayerOptions) {
    const width = init.units * init.gates;
    const ones = (n: number) => variableOf(() => tf.ones([n]) as tf.Tensor1D);
    this.hasCell = init.cell;
    if (options.scale) {
      this.params.gamma_x = this.gammaX = ones(width);
      this.params.gamma_h = this.gammaH = ones(width);
      if (init.cell) this.params.gamma_c = this.gammaC = ones(init.units);
    }
    if (options.center && init.cell) this.params.beta_c = this.betaC = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
  }

  inputs(zx: tf.Tensor3D): tf.Tensor3D {
    const [b, steps, units] = zx.shape;
    const flat = standardise(tf.reshape(zx, [b * steps, units]), this.gammaX, undefined, this.options.epsilon, 1);
    return tf.reshape(flat, [b, steps, units]);
  }

  recurrent(zh: tf.Tensor2D): tf.Tensor2D {
    return standardise(zh, this.gammaH, undefined, this.options.epsilon, 1);
  }

  cell(c: tf.Tensor2D): tf.Tensor2D {
    return this.hasCell ? standardise(c, this.gammaC, this.betaC, this.options.epsilon, 1) : c;
  }

  endSequence(): void {}

  plan(): RecurrencePlan {
    const epsilon = this.options.epsilon;
    return {
      h: {statistics: 'example', gamma: this.gammaH, epsilon},
      c: this.hasCell ? {statistics: 'example', gamma: this.gammaC, beta: this.betaC, epsilon} : NO_STEP_NORM,
    };
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}
