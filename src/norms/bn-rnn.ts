// Batch-normalized RNN (Laurent, Pereyra, Brakel, Zhang & Bengio 2015, eq. 5), BN on the
// input-to-hidden term only:
//   h_t = φ(W_h h_{t−1} + BN(W_x x_t; γ_x) + b)          (tanh RNN; on an LSTM, the same z_t feeds the gates)
// The recurrent term is left alone (normalising it "did not help", §4). Statistics:
//   - `frame`: per time step over the batch ("frame-wise", as Cooijmans et al. per step);
//   - `sequence`: pooled over the batch and every time step ("sequence-wise", §3.2).
// γ starts at 1 (the paper uses plain BN); b carries the shift.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import type {RecurrencePlan} from '../nn/recurrence.js';
import {NO_STEP_NORM, StepBatchNorm, type RecurrentNorm, type RecurrentNormInit} from './recurrent.js';
import type {ForwardContext} from './types.js';
import type {BnRnnOptions} from './catalog.js';


export class BnRnn implements RecurrentNorm {
  readonly name = 'bn-rnn';
  readonly params: Record<string, tf.Variable>;
  readonly state: Record<string, tf.Variable>;
  private readonly x: StepBatchNorm;
  private readonly gammaX: tf.Variable<tf.Rank.R1>;

  constructor(init: RecurrentNormInit, readonly options: BnRnnOptions) {
    const width = init.units * init.gates;
    this.x = new StepBatchNorm(width, init.steps, options.stats === 'frame' ? 'per-step' : 'pooled', options.momentum, options.epsilon);
    this.gammaX = variableOf(() => tf.fill([width], options.gamma_init) as tf.Tensor1D);
    this.params = {gamma_x: this.gammaX};
    this.state = {x_mean: this.x.mean, x_variance: this.x.variance};
  }

  inputs(zx: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    return this.x.all(zx, this.gammaX, undefined, ctx);
  }

  recurrent(zh: tf.Tensor2D): tf.Tensor2D {
    return zh;
  }

  cell(c: tf.Tensor2D): tf.Tensor2D {
    return c;
  }

  endSequence(): void {
    this.x.commit();
  }

  plan(): RecurrencePlan {
    return {h: NO_STEP_NORM, c: NO_STEP_NORM};
  }

  dispose(): void {
    this.gammaX.dispose();
    this.x.dispose();
  }
}
