// Recurrent batch normalization, BN-LSTM (Cooijmans, Ballas, Laurent, Gülçehre & Courville 2016,
// eq. 6–8), and the same on a tanh RNN:
//   (f̃, ĩ, õ, g̃) = BN_t(W_h h_{t−1}; γ_h, 0) + BN_t(W_x x_t; γ_x, 0) + b
//   c_t = σ(f̃) ⊙ c_{t−1} + σ(ĩ) ⊙ tanh(g̃)
//   h_t = σ(õ) ⊙ tanh(BN_t(c_t; γ_c, β_c))
// BN_t standardises each unit over the batch with the statistics of step t (separate per time
// step; §3), with gradients through them. The two projections have no shift of their own (b
// carries it). At evaluation, step t uses the moving averages of step t, and a step beyond the
// longest training sequence those of its last step. γ starts at `gamma_init`, 0.1 by default:
// γ = 1 saturates tanh and kills the gradient flowing back through time (§4, Fig. 1).
// `share_stats`: one moving average per BN, the mean over time steps — the ablation of
// "averaging statistics over time" (training still uses each step's own batch statistics,
// which is all a causal recurrence allows).

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import type {RecurrencePlan} from '../nn/recurrence.js';
import {NO_STEP_NORM, StepBatchNorm, type RecurrentNorm, type RecurrentNormInit} from './recurrent.js';
import type {BatchOptions} from './catalog.js';
import type {ForwardContext} from './types.js';

/** γ of a recurrent BN starts here unless `gamma_init` says otherwise (Cooijmans et al.). */
export const RECURRENT_GAMMA_INIT = 0.1;

export class RecurrentBatchNorm implements RecurrentNorm {
  readonly name = 'batch';
  readonly params: Record<string, tf.Variable> = {};
  readonly state: Record<string, tf.Variable> = {};
  private readonly x: StepBatchNorm;
  private readonly h: StepBatchNorm;
  private readonly c?: StepBatchNorm;
  private readonly gammaX?: tf.Variable<tf.Rank.R1>;
  private readonly gammaH?: tf.Variable<tf.Rank.R1>;
  private readonly gammaC?: tf.Variable<tf.Rank.R1>;
  private readonly betaC?: tf.Variable<tf.Rank.R1>;

  constructor(init: RecurrentNormInit, readonly options: BatchOptions) {
    const {momentum, epsilon} = options;
    const mode = options.share_stats ? 'shared' : 'per-step';
    const width = init.units * init.gates;
    const gamma = (n: number) => variableOf(() => tf.fill([n], options.gamma_init ?? RECURRENT_GAMMA_INIT) as tf.Tensor1D);
    this.x = new StepBatchNorm(width, init.steps, mode, momentum, epsilon);
    this.h = new StepBatchNorm(width, init.steps, mode, momentum, epsilon);
    if (options.scale) {
      this.params.gamma_x = this.gammaX = gamma(width);
      this.params.gamma_h = this.gammaH = gamma(width);
    }
    Object.assign(this.state, {x_mean: this.x.mean, x_variance: this.x.variance, h_mean: this.h.mean, h_variance: this.h.variance});
    if (init.cell) {
      this.c = new StepBatchNorm(init.units, init.steps, mode, momentum, epsilon);
      if (options.scale) this.params.gamma_c = this.gammaC = gamma(init.units);
      if (options.center) this.params.beta_c = this.betaC = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
      Object.assign(this.state, {c_mean: this.c.mean, c_variance: this.c.variance});
    }
  }

  inputs(zx: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    return this.x.all(zx, this.gammaX, undefined, ctx);
  }

  recurrent(zh: tf.Tensor2D, t: number, ctx: ForwardContext): tf.Tensor2D {
    return this.h.step(zh, t, this.gammaH, undefined, ctx);
  }

  cell(c: tf.Tensor2D, t: number, ctx: ForwardContext): tf.Tensor2D {
    return this.c ? this.c.step(c, t, this.gammaC, this.betaC, ctx) : c;
  }

  plan(ctx: ForwardContext, steps: number): RecurrencePlan {
    return {
      h: this.h.stepNorm(this.gammaH, undefined, ctx, steps),
      c: this.c ? this.c.stepNorm(this.gammaC, this.betaC, ctx, steps) : NO_STEP_NORM,
    };
  }

  endSequence(): void {
    this.x.commit();
    this.h.commit();
    this.c?.commit();
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    this.x.dispose();
    this.h.dispose();
    this.c?.dispose();
  }
}
