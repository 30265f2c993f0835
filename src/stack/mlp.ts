// S replicates of one MLP trained as one stacked model: every activation is [S, B, U], every
// parameter and moving average is its S replicates' values stacked on a leading axis (kernels
// [S, in, out], per-unit vectors [S, 1, U]). Each hidden layer is, per replicate,
//   z_s = x_s·W_s (+ b_s),   h_s = act(norm(z_s))   (the norm's placement pre)
//                          or h_s = norm(act(z_s))   (post),   then h_s ⊙ m_s with dropout,
// with the products one 2-D matMul per replicate (src/stack/matmul.ts) and everything else one
// op for the whole stack. Replicate s's dropout mask m_s is its unstacked run's, drawn from its
// own seed (src/nn/dropout.ts), the S masks stacked into one [S, B, U] tensor.
//
// The stack is built from S ordinary `Mlp`s (the replicas), one per seed: their constructors
// draw the initial kernels (Rng(seed, 'init', layer, 'kernel')) and norm parameters, which are
// stacked as they are. `sync(s)` copies replicate s back into its replica, so evaluation,
// probes and anything else that takes a `Model` run on the replica with the unstacked code.
// Training-mode forward passes only. Which norms it can compute is not a list of names: a norm's
// catalog entry says whether and how it can be stacked (`stacked`: no normalization, or
// standardisation over the batch or over each example's units), read from its options.

import * as tf from '../tf.js';
import type {MlpSpec} from '../spec/experiment.js';
import {ACTIVATION_FNS} from '../nn/activations.js';
import {dropoutMask} from '../nn/dropout.js';
import {type NormName, NORMS, type Placement} from '../spec/names.js';
import {normPlacement, stackedNorm, type StackedNorm} from '../norms/catalog.js';
import type {Mlp} from '../models/mlp.js';
import {stackedMatMul} from './matmul.js';
import {stackedStandardise} from './standardise.js';

/** The norms a stack can train (at their default options): those whose catalog entry says how. */
export const STACKED_NORMS: readonly NormName[] = NORMS.filter((name) => stackedNorm({name, options: {}}) !== undefined);

/** One variable holding the replicas' values stacked: [in, out] → [S, in, out], [U] → [S, 1, U]. */
function stackVariable(parts: tf.Variable[], trainable: boolean): tf.Variable {
  return tf.tidy(() => tf.variable(tf.stack(parts.map((p) => (p.rank === 1 ? tf.reshape(p, [1, -1]) : p))), trainable));
}

export class StackedMlp {
  /** Stacked trainable variables, named as the replicas' own. */
  readonly params = new Map<string, tf.Variable>();
  /** Stacked moving averages, named as the replicas' own. */
  readonly state = new Map<string, tf.Variable>();
  readonly size: number;
  private readonly layers: string[];
  private readonly norm: NormName;
  private readonly form: StackedNorm;
  private readonly activation: (x: tf.Tensor) => tf.Tensor;
  private readonly placement: Placement;
  private readonly dropout: number;
  private readonly seeds: number[];

  constructor(readonly replicas: Mlp[]) {
    const options = replicas[0]!.options;
    this.size = replicas.length;
    this.norm = options.norm.name;
    if (this.size < 2) throw new Error(`a stack has at least 2 replicates, got ${this.size}`);
    const form = stackedNorm(options.norm);
    if (!form) throw new Error(`norm ${this.norm} cannot be stacked`);
    this.form = form;
    const model = options.model as MlpSpec;
    this.layers = model.hidden.map((_, i) => `hidden${i + 1}`);
    this.placement = normPlacement(options.norm);
    this.dropout = model.dropout ?? 0;
    this.seeds = replicas.map((r) => r.options.seed);
    this.activation = ACTIVATION_FNS[options.activation] as unknown as (x: tf.Tensor) => tf.Tensor;
    for (const name of replicas[0]!.params.keys()) this.params.set(name, stackVariable(replicas.map((r) => r.params.get(name)!), true));
    for (const name of replicas[0]!.state.keys()) this.state.set(name, stackVariable(replicas.map((r) => r.state.get(name)!), false));
  }

  /** Logits [S, B, classes] of inputs x [S, B, in] at training step `step` (moving averages updated). */
  forward(x: tf.Tensor3D, step: number): tf.Tensor3D {
    let h = x;
    for (const layer of this.layers) {
      const a = this.dense(h, layer);
      h = (this.placement === 'pre' ? this.activation(this.normalise(a, layer)) : this.normalise(this.activation(a) as tf.Tensor3D, layer)) as tf.Tensor3D;
      if (this.dropout > 0) h = tf.mul(h, this.masks(step, layer, h.shape[1], h.shape[2]));
    }
    return this.dense(h, 'output');
  }

  /** Each replicate's dropout mask of a layer at a step, stacked [S, B, U]. */
  private masks(step: number, layer: string, rows: number, units: number): tf.Tensor3D {
    const all = new Float32Array(this.size * rows * units);
    this.seeds.forEach((seed, s) => all.set(dropoutMask(seed, step, layer, rows, units, this.dropout), s * rows * units));
    return tf.tensor3d(all, [this.size, rows, units]);
  }

  private dense(x: tf.Tensor3D, layer: string): tf.Tensor3D {
    const y = stackedMatMul(x, this.params.get(`${layer}/kernel`) as tf.Tensor3D);
    const bias = this.params.get(`${layer}/bias`);
    return bias ? (tf.add(y, bias) as tf.Tensor3D) : y;
  }

  private normalise(z: tf.Tensor3D, layer: string): tf.Tensor3D {
    const form = this.form;
    if (form.statistics === 'none') return z;
    const units: [number, number, number] = [this.size, 1, z.shape[2]];
    // The replicas name a norm's variables `<layer>/<norm>/<short name>` (src/models/mlp.ts).
    const prefix = `${layer}/${this.norm}`;
    const gamma = (this.params.get(`${prefix}/gamma`) ?? tf.ones(units)) as tf.Tensor3D;
    const beta = (this.params.get(`${prefix}/beta`) ?? tf.zeros(units)) as tf.Tensor3D;
    if (form.statistics === 'example') return stackedStandardise(z, gamma, beta, form.epsilon, 2);
    const moving = {mean: this.state.get(`${prefix}/moving_mean`)!, variance: this.state.get(`${prefix}/moving_variance`)!, momentum: form.momentum};
    return stackedStandardise(z, gamma, beta, form.epsilon, 1, moving);
  }

  /** Copy replicate s's parameters and moving averages into its replica. */
  sync(s: number): void {
    const replica = this.replicas[s]!;
    const copy = (stacked: tf.Variable, target: tf.Variable) =>
      tf.tidy(() => {
        const begin = stacked.shape.map((_, i) => (i === 0 ? s : 0));
        const size = stacked.shape.map((d, i) => (i === 0 ? 1 : d));
        target.assign(tf.reshape(tf.slice(stacked, begin, size), target.shape));
      });
    for (const [name, v] of this.params) copy(v, replica.params.get(name)!);
    for (const [name, v] of this.state) copy(v, replica.state.get(name)!);
  }

  /** Frees the stacked variables (the replicas are the caller's). */
  dispose(): void {
    for (const v of [...this.params.values(), ...this.state.values()]) v.dispose();
  }
}
