// The contract of a normalization inside a recurrent cell, and the per-time-step batch
// statistics that recurrent BN (Cooijmans et al. 2016) and BN-RNN (Laurent et al. 2015) share.
//
// A recurrent cell at step t computes z_t = x_t·W_x + h_{t−1}·W_h + b (then the gates). A norm
// may normalise three things, and every norm has the same three methods, so a cell is written
// once for all of them:
//   1. `inputs`: the input projections x_t·W_x of every step at once, [B, T, G·H]. They do not
//      depend on h, so they are computed (and normalised) before the recurrence, in one op;
//   2. `recurrent`: the recurrent projection h_{t−1}·W_h at step t, [B, G·H];
//   3. `cell`: the LSTM cell c_t before the output tanh, [B, H].
// Identity is the default for each; the norm keeps its own per-step state (moving averages)
// and commits what a training pass measured in `endSequence`.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {blendMovingAverages, normalise, standardise} from './normalise.js';
import type {RecurrencePlan, StepNorm} from '../nn/recurrence.js';
import type {ForwardContext} from './types.js';

/** What a recurrent norm needs to know about the cell it sits in. */
export interface RecurrentNormInit {
  /** Hidden units H. */
  units: number;
  /** Blocks of the projections: 4 for an LSTM (i, f, g, o), 1 for a tanh RNN. */
  gates: number;
  /** Steps of the training sequences: the number of per-step statistics kept. */
  steps: number;
  /** Whether the cell has a cell state c (LSTM) to normalise. */
  cell: boolean;
}

export interface RecurrentNorm {
  readonly name: string;
  /** Trainable parameters, by short name (gamma_x, gamma_h, gamma_c, beta_c). */
  readonly params: Readonly<Record<string, tf.Variable>>;
  /** Non-trainable state (per-step moving averages), by short name. */
  readonly state: Readonly<Record<string, tf.Variable>>;
  /** Normalise the input projections of all steps, zx [B, T, G·H]. */
  inputs(zx: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D;
  /** Normalise the recurrent projection at step t (0-based), zh [B, G·H]. */
  recurrent(zh: tf.Tensor2D, t: number, ctx: ForwardContext): tf.Tensor2D;
  /** Normalise the cell state at step t before the output tanh, c [B, H]. */
  cell(c: tf.Tensor2D, t: number, ctx: ForwardContext): tf.Tensor2D;
  /** After a forward pass: fold the statistics it measured into the moving averages. */
  endSequence(ctx: ForwardContext): void;
  /**
   * The recurrent projection's and the cell's normalization as a plan for the fused recurrence
   * (src/nn/recurrence.ts), for a sequence of `steps`. Equivalent to `recurrent` and `cell`.
   */
  plan(ctx: ForwardContext, steps: number): RecurrencePlan;
  dispose(): void;
}

/** No normalization of a step's recurrent projection or cell. */
export const NO_STEP_NORM: StepNorm = {statistics: 'none', epsilon: 0};

/** No normalization: each method is the identity. */
export class NoRecurrentNorm implements RecurrentNorm {
  readonly name = 'none';
  readonly params = {};
  readonly state = {};
  inputs(zx: tf.Tensor3D): tf.Tensor3D {
    return zx;
  }
  recurrent(zh: tf.Tensor2D): tf.Tensor2D {
    return zh;
  }
  cell(c: tf.Tensor2D): tf.Tensor2D {
    return c;
  }
  endSequence(): void {}
  plan(): RecurrencePlan {
    return {h: NO_STEP_NORM, c: NO_STEP_NORM};
  }
  dispose(): void {}
}

/** How the statistics of one recurrent BN are kept. */
export type StatsMode =
  /** Batch statistics per time step in training; a moving average per step for evaluation. */
  | 'per-step'
  /** Batch statistics pooled over batch × time in training, and one moving average (BN-RNN "sequence"). */
  | 'pooled'
  /** Batch statistics per step in training; one moving average for all steps, their mean (the "shared statistics" ablation). */
  | 'shared';

/**
 * Batch normalization of one quantity of a recurrent cell (the input projection, the recurrent
 * projection or the cell), with statistics kept per time step or pooled over time.
 *
 * Training: standardise with the batch statistics (biased variance, gradients through them) of
 * each step, or of all steps pooled. Evaluation: the moving averages of step t, or — past the
 * longest training sequence — of its last step (Cooijmans et al. §3: the statistics settle over
 * time, so step T_max stands for every later one). Moving averages follow the Keras convention,
 * m ← momentum·m + (1 − momentum)·batch, with the variance made unbiased (m/(m − 1)).
 */
export class StepBatchNorm {
  readonly mean: tf.Variable<tf.Rank.R2>;
  readonly variance: tf.Variable<tf.Rank.R2>;
  /** Statistics measured in the current training pass, per step: [mean, unbiased variance]. */
  private pending: Array<{t: number; mean: tf.Tensor1D; variance: tf.Tensor1D}> = [];

  constructor(
    readonly units: number,
    readonly steps: number,
    readonly mode: StatsMode,
    readonly momentum: number,
    readonly epsilon: number,
  ) {
    const rows = mode === 'per-step' ? steps : 1;
    this.mean = variableOf(() => tf.zeros([rows, units]) as tf.Tensor2D, false);
    this.variance = variableOf(() => tf.ones([rows, units]) as tf.Tensor2D, false);
  }

  /** The row of the moving averages used at evaluation for step t. */
  row(t: number): number {
    return this.mode === 'per-step' ? Math.min(t, this.steps - 1) : 0;
  }

  /** Keep a training batch's statistics of step t (m examples) until `commit`. */
  record(t: number, m: number, mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    const unbiased = m > 1 ? tf.mul(variance, m / (m - 1)) : variance;
    this.pending.push({t, mean: tf.keep(mean), variance: tf.keep(unbiased as tf.Tensor1D)});
  }

  /** One step's norm for the fused recurrence: batch statistics in training, these statistics at evaluation. */
  stepNorm(gamma: tf.Tensor1D | undefined, beta: tf.Tensor1D | undefined, ctx: ForwardContext, steps: number): StepNorm {
    if (!ctx.training) {
      const rows = tf.tensor1d(Array.from({length: steps}, (_, t) => this.row(t)), 'int32');
      return {statistics: 'batch', gamma, beta, epsilon: this.epsilon, fixed: {mean: tf.gather(this.mean, rows), variance: tf.gather(this.variance, rows)}};
    }
    const onStats = ctx.updateStats ? (t: number, mean: tf.Tensor1D, variance: tf.Tensor1D, m: number) => this.record(t, m, mean, variance) : undefined;
    return {statistics: 'batch', gamma, beta, epsilon: this.epsilon, onStats};
  }

  /** Normalise z [B, units] at step t. */
  step(z: tf.Tensor2D, t: number, gamma: tf.Tensor1D | undefined, beta: tf.Tensor1D | undefined, ctx: ForwardContext): tf.Tensor2D {
    if (!ctx.training) {
      const r = this.row(t);
      return normalise(z, tf.slice(this.mean, [r, 0], [1, -1]), tf.slice(this.variance, [r, 0], [1, -1]), gamma, beta, this.epsilon);
    }
    const onStats = ctx.updateStats ? (mean: tf.Tensor1D, variance: tf.Tensor1D) => this.record(t, z.shape[0], mean, variance) : undefined;
    return standardise(z, gamma, beta, this.epsilon, 0, onStats);
  }

  /** Normalise z [B, T, units], every step at once (per step, or pooled over time). */
  all(z: tf.Tensor3D, gamma: tf.Tensor1D | undefined, beta: tf.Tensor1D | undefined, ctx: ForwardContext): tf.Tensor3D {
    const [b, steps, units] = z.shape;
    if (!ctx.training) {
      const rows = tf.tensor1d(Array.from({length: steps}, (_, t) => this.row(t)), 'int32');
      const mean = tf.gather(this.mean, rows);
      const variance = tf.gather(this.variance, rows);
      return normalise(z, mean, variance, gamma, beta, this.epsilon);
    }
    if (this.mode === 'pooled') {
      const onStats = ctx.updateStats ? (mean: tf.Tensor1D, variance: tf.Tensor1D) => this.record(0, b * steps, mean, variance) : undefined;
      return tf.reshape(standardise(tf.reshape(z, [b * steps, units]), gamma, beta, this.epsilon, 0, onStats), [b, steps, units]);
    }
    // Per step: [B, T·units] standardised over the batch gives one statistic per (t, unit); γ and
    // β are shared by the steps, so they are tiled over them.
    const tile = (p: tf.Tensor1D | undefined) => (p ? (tf.tile(p, [steps]) as tf.Tensor1D) : undefined);
    const onStats = ctx.updateStats
      ? (mean: tf.Tensor1D, variance: tf.Tensor1D) => {
        const means = tf.split(tf.reshape(mean, [steps, units]), steps, 0);
        const variances = tf.split(tf.reshape(variance, [steps, units]), steps, 0);
        means.forEach((m, t) => this.record(t, b, tf.reshape(m, [units]), tf.reshape(variances[t]!, [units])));
      }
      : undefined;
    return tf.reshape(standardise(tf.reshape(z, [b, steps * units]), tile(gamma), tile(beta), this.epsilon, 0, onStats), [b, steps, units]);
  }

  /** Fold the statistics of the last training pass into the moving averages. */
  commit(): void {
    if (this.pending.length === 0) return;
    tf.tidy(() => {
      const byStep = [...this.pending].sort((a, b) => a.t - b.t);
      let mean: tf.Tensor2D = tf.stack(byStep.map((p) => p.mean)) as tf.Tensor2D;
      let variance: tf.Tensor2D = tf.stack(byStep.map((p) => p.variance)) as tf.Tensor2D;
      if (this.mode === 'shared') {
        mean = tf.mean(mean, 0, true);
        variance = tf.mean(variance, 0, true);
      }
      if (mean.shape[0] !== this.mean.shape[0]) {
        throw new Error(`a training sequence of ${mean.shape[0]} steps, but statistics are kept for ${this.mean.shape[0]}`);
      }
      blendMovingAverages({mean: this.mean, variance: this.variance}, this.momentum, mean, variance);
    });
    for (const p of this.pending) {
      p.mean.dispose();
      p.variance.dispose();
    }
    this.pending = [];
  }

  dispose(): void {
    for (const p of this.pending) {
      p.mean.dispose();
      p.variance.dispose();
    }
    this.mean.dispose();
    this.variance.dispose();
  }
}
