// Batch renormalization (Ioffe 2017, Alg. 1), per unit over the batch of m examples:
//   σ_B = sqrt(σ²_B + ε),   σ = sqrt(σ²_run + ε)                  (σ²_B biased, as BN)
//   r = stop_gradient(clip(σ_B / σ, 1/r_max, r_max))
//   d = stop_gradient(clip((μ_B − μ_run) / σ, −d_max, d_max))
//   x̂ = (x − μ_B) / σ_B · r + d,   y = γ · x̂ + β
// Gradients flow through μ_B and σ_B, not through r and d. r and d use the moving averages as
// they were before this batch; then the averages are updated exactly as batch norm's
// (batch.ts: `momentum` is the Keras decay, 0.9 = PyTorch 0.1, and the variance is averaged
// unbiased, m/(m−1)·σ²_B). The paper averages σ rather than σ²; we keep BN's convention so that
// the two norms' evaluation statistics are the same quantity. Evaluation is batch norm's:
//   y = γ · (x − μ_run) / sqrt(σ²_run + ε) + β
// With r = 1 and d = 0 the training output is batch norm's, bit for bit.
//
// Warm-up (paper §4: r_max = 1, d_max = 0 for the first 5k steps, then relaxed to r_max = 3 by
// 40k and d_max = 5 by 25k steps, with a moving-average rate of 0.01): at training step t,
//   f = clip((t − warmup_start) / (warmup_end − warmup_start), 0, 1)
//   r_max(t) = 1 + (rmax − 1) · f,   d_max(t) = dmax · f
// One window for both, in our steps: 100 steps is 10 time constants of a 0.9 moving average
// (0.9¹⁰⁰ ≈ 3·10⁻⁵ of the initial 0 / 1 left), so the averages are worth correcting towards;
// the relaxation ends at 5× the start, as the paper's d_max does (its r_max at 8×).
// A norm does not see the trainer's step: it counts its own training forward passes that update
// statistics (`updateStats`, one per training step) in the state variable `step`, so t is the
// number of training steps taken before this one. Evaluation and probe passes do not count.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {BatchStatisticsNorm, type ReportStatistics} from './batch-statistics.js';
import {normalise, standardise} from './normalise.js';
import {stopGradient} from './stop-gradient.js';
import type {NormInit} from './types.js';
import type {RenormOptions} from './catalog.js';


type Limits = Pick<RenormOptions, 'rmax' | 'dmax' | 'warmup_start' | 'warmup_end'>;

/** r_max(t) and d_max(t) at training step t (0 for the first step), as scalars. */
export function renormLimits(step: tf.Scalar, o: Limits): {rmax: tf.Scalar; dmax: tf.Scalar} {
  const f = (o.warmup_end > o.warmup_start
    ? tf.clipByValue(tf.div(tf.sub(step, o.warmup_start), o.warmup_end - o.warmup_start), 0, 1)
    : tf.cast(tf.greaterEqual(step, o.warmup_start), 'float32')) as tf.Scalar;
  return {rmax: tf.add(tf.mul(f, o.rmax - 1), 1), dmax: tf.mul(f, o.dmax)};
}

/** The corrections r, d [units] from batch and moving statistics, without gradient. */
export function renormCorrections(
  batchMean: tf.Tensor1D,
  batchVariance: tf.Tensor1D,
  movingMean: tf.Tensor1D,
  movingVariance: tf.Tensor1D,
  rmax: tf.Scalar | number,
  dmax: tf.Scalar | number,
  epsilon: number,
): {r: tf.Tensor1D; d: tf.Tensor1D} {
  const sigma = tf.sqrt(tf.add(movingVariance, epsilon));
  const sigmaB = tf.sqrt(tf.add(batchVariance, epsilon));
  const clip = (v: tf.Tensor1D, lo: tf.Scalar | number, hi: tf.Scalar | number): tf.Tensor1D => tf.minimum(tf.maximum(v, lo), hi);
  const r = clip(tf.div(sigmaB, sigma), tf.div(1, rmax) as tf.Scalar, rmax);
  const d = clip(tf.div(tf.sub(batchMean, movingMean), sigma), tf.neg(dmax), dmax);
  return {r: stopGradient(r), d: stopGradient(d)};
}

/**
 * The training-mode op written as the paper's equations, autodiff through tf.moments with r and
 * d stopped: the reference that the layer (batch norm's fused op with γ·r, β + γ·d) is tested against.
 */
export function batchRenormTrain(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  movingMean: tf.Tensor1D,
  movingVariance: tf.Tensor1D,
  rmax: number,
  dmax: number,
  epsilon: number,
): tf.Tensor2D {
  const {mean, variance} = tf.moments(x, 0);
  const {r, d} = renormCorrections(mean as tf.Tensor1D, variance as tf.Tensor1D, movingMean, movingVariance, rmax, dmax, epsilon);
  let y: tf.Tensor2D = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), r), d);
  if (gamma) y = tf.mul(y, gamma);
  if (beta) y = tf.add(y, beta);
  return y;
}

export class BatchRenorm extends BatchStatisticsNorm {
  readonly name = 'renorm';
  readonly params: Record<string, tf.Variable> = {};
  readonly dropsDenseBias = true;
  private readonly gamma?: tf.Variable<tf.Rank.R1>;
  private readonly beta?: tf.Variable<tf.Rank.R1>;
  private readonly step: tf.Variable<tf.Rank.R0>;

  constructor(
    init: NormInit,
    readonly options: RenormOptions,
  ) {
    super(init.units, true, options.momentum);
    if (options.scale) this.params.gamma = this.gamma = variableOf(() => tf.ones([init.units]) as tf.Tensor1D);
    if (options.center) this.params.beta = this.beta = variableOf(() => tf.zeros([init.units]) as tf.Tensor1D);
    this.step = variableOf(() => tf.scalar(0), false);
    this.state.step = this.step;
  }

  /**
   * Training: y = (γ·r)·x̂_B + (β + γ·d) with x̂_B batch norm's standardised x, so batch norm's
   * fused op and its closed-form gradient serve unchanged (r, d are constants to it).
   */
  protected train(x: tf.Tensor2D, _moving: undefined, report: ReportStatistics): tf.Tensor2D {
    const {epsilon} = this.options;
    // 1. r, d from this batch's statistics against the moving averages before this batch.
    const {mean, variance} = tf.moments(stopGradient(x), 0);
    const {rmax, dmax} = renormLimits(this.step, this.options);
    const {r, d} = renormCorrections(mean as tf.Tensor1D, variance as tf.Tensor1D, this.movingMean, this.movingVariance!, rmax, dmax, epsilon);
    // 2. Fold them into the affine transform: γ' = γ·r, β' = β + γ·d.
    const gammaR = this.gamma ? tf.mul(this.gamma, r) : r;
    const gammaD = this.gamma ? tf.mul(this.gamma, d) : d;
    const betaD = this.beta ? tf.add(this.beta, gammaD) : gammaD;
    // 3. Standardise; the caller updates the moving averages as batch norm's, then counts the step.
    return standardise(x, gammaR as tf.Tensor1D, betaD as tf.Tensor1D, epsilon, 0, report);
  }

  protected override afterUpdate(): void {
    tf.tidy(() => this.step.assign(tf.add(this.step, 1)));
  }

  /** Evaluated on its own statistics, the batch is standardised as by plain batch norm (r = 1, d = 0). */
  protected override batchEvaluation(x: tf.Tensor2D): tf.Tensor2D {
    return standardise(x, this.gamma, this.beta, this.options.epsilon, 0);
  }

  protected withStatistics(x: tf.Tensor2D, mean: tf.Tensor, variance: tf.Tensor | undefined): tf.Tensor2D {
    return normalise(x, mean, variance!, this.gamma, this.beta, this.options.epsilon);
  }
}
