// Recurrent models over a sequence, then a dense classifier (or regressor) on the last hidden
// state of the last layer:
//   LSTM (Hochreiter & Schmidhuber 1997), gates in PyTorch's order i, f, g, o:
//     z_t = N_x(x_t·W_x) + N_h(h_{t−1}·W_h) + b
//     c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g),   h_t = σ(o) ⊙ tanh(N_c(c_t))
//   RNN (Elman 1990): h_t = φ(N_x(x_t·W_x) + N_h(h_{t−1}·W_h) + b), φ = the activation (tanh by
//   default; relu with an identity recurrent kernel is Le et al.'s IRNN)
// where N_x, N_h, N_c are the three hooks of the norm (src/norms/recurrent.ts): identity without
// one; LN-LSTM (Ba et al. 2016), BN-LSTM (Cooijmans et al. 2016), BN-RNN (Laurent et al. 2015).
//
// The input projections of all T steps are one matmul, [B·T, D]·W_x, normalised before the
// recurrence. Gradients flow through time by autodiff; the cell is this one function, so a
// fused, hand-differentiated step can replace it without touching anything else.
//
// Every kernel is drawn from an Rng keyed by (seed, 'init', layer, parameter[, gate]), so networks
// that differ only in norm start from identical weights for what they share. The forget gate's
// bias starts at `forget_bias`; h₀ is 0, plus Gaussian noise of std `h0_noise` at training steps
// (drawn from its own seeded generator, so the trajectory is the same for every norm).

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import type {RecurrentModelSpec} from '../spec/experiment.js';
import {ACTIVATION_FNS} from '../nn/activations.js';
import {dense, matMul} from '../nn/dense.js';
import {drawKernel, drawRecurrentKernel} from '../nn/init.js';
import {recurrence, stepOf} from '../nn/recurrence.js';
import {createRecurrentNorm} from '../norms/registry.js';
import type {RecurrentNorm} from '../norms/recurrent.js';
import type {ForwardContext} from '../norms/types.js';
import {Rng} from '../rng.js';
import type {BuildOptions, Model} from './types.js';

/** One recurrent layer: its kernels, bias and norm. */
export interface RecurrentLayer {
  kind: 'lstm' | 'rnn';
  /** Hidden units H. */
  units: number;
  kernelX: tf.Tensor2D;
  kernelH: tf.Tensor2D;
  bias: tf.Tensor1D;
  norm: RecurrentNorm;
  /** φ of an RNN (tanh unless set); an LSTM's nonlinearities are fixed. */
  activation?: (z: tf.Tensor2D) => tf.Tensor2D;
}

interface Layer extends RecurrentLayer {
  name: string;
}

/**
 * One layer over a whole sequence [B, T, D], from h₀ (and c₀ = 0): the hidden state of every
 * step, and the last cell state (LSTM). `offsets[t]`, when given, is added to h_t (gradient probes).
 */
export function runLayer(layer: RecurrentLayer, seq: tf.Tensor3D, h0: tf.Tensor2D, ctx: ForwardContext, offsets?: tf.Tensor2D[]): {hs: tf.Tensor2D[]; c?: tf.Tensor2D} {
  const [b, steps, d] = seq.shape;
  const gates = layer.kind === 'lstm' ? 4 : 1;
  const width = layer.units * gates;
  const zx = layer.norm.inputs(tf.reshape(matMul(tf.reshape(seq, [b * steps, d]), layer.kernelX), [b, steps, width]), ctx);
  let h = h0;
  let c: tf.Tensor2D | undefined = layer.kind === 'lstm' ? tf.zeros([b, layer.units]) : undefined;
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < steps; t++) {
    const z = tf.add(tf.add(stepOf(zx, t), layer.norm.recurrent(matMul(h, layer.kernelH), t, ctx)), layer.bias) as tf.Tensor2D;
    if (c) {
      const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
      h = tf.mul(tf.sigmoid(o), tf.tanh(layer.norm.cell(c, t, ctx))) as tf.Tensor2D;
    } else {
      h = layer.activation ? layer.activation(z) : tf.tanh(z);
    }
    if (offsets) h = tf.add(h, offsets[t]!) as tf.Tensor2D;
    hs.push(h);
  }
  if (ctx.training && ctx.updateStats) layer.norm.endSequence(ctx);
  return {hs, c};
}

export class RecurrentModel implements Model {
  readonly kind: 'lstm' | 'rnn';
  readonly params = new Map<string, tf.Variable>();
  readonly state = new Map<string, tf.Variable>();
  private readonly layers: Layer[] = [];
  private readonly outKernel: tf.Variable<tf.Rank.R2>;
  private readonly outBias: tf.Variable<tf.Rank.R1>;
  private readonly gates: number;
  private readonly units: number;
  private readonly inputs: number;
  private readonly noise?: {std: number; rng: Rng};

  constructor(readonly options: BuildOptions) {
    const model = options.model as RecurrentModelSpec;
    if (!options.sequence) throw new Error(`model ${model.kind} needs a sequence data set`);
    const {seed} = options;
    this.kind = model.kind;
    this.gates = model.kind === 'lstm' ? 4 : 1;
    this.units = model.hidden;
    this.inputs = options.sequence.inputs;
    if (model.h0_noise > 0) this.noise = {std: model.h0_noise, rng: new Rng(seed, 'h0-noise')};
    const init = {name: model.init, std: model.init_std};
    let fanIn = this.inputs;
    for (let l = 1; l <= model.layers; l++) {
      const name = `${model.kind}${l}`;
      const width = this.units * this.gates;
      const variable = <R extends tf.Rank>(key: string, make: () => tf.Tensor<R>) => {
        const v = variableOf(make);
        this.params.set(`${name}/${key}`, v);
        return v;
      };
      const kernelX = variable('kernel_x', () => drawKernel(init, fanIn, width, new Rng(seed, 'init', name, 'kernel_x')));
      const kernelH = variable('kernel_h', () => drawRecurrentKernel(model.recurrent_init, model.init_std, this.units, this.gates, (g) => new Rng(seed, 'init', name, 'kernel_h', g)));
      const bias = new Float32Array(width);
      if (model.kind === 'lstm') bias.fill(model.forget_bias, this.units, 2 * this.units);
      const norm = createRecurrentNorm(options.norm, {units: this.units, gates: this.gates, steps: options.sequence.steps, cell: model.kind === 'lstm'});
      for (const [key, v] of Object.entries(norm.params)) this.params.set(`${name}/${norm.name}/${key}`, v);
      for (const [key, v] of Object.entries(norm.state)) this.state.set(`${name}/${norm.name}/${key}`, v);
      const activation = model.kind === 'rnn' ? ACTIVATION_FNS[options.activation] : undefined;
      this.layers.push({name, kind: model.kind, units: this.units, kernelX, kernelH, bias: variable('bias', () => tf.tensor1d(bias)), norm, activation});
      fanIn = this.units;
    }
    this.outKernel = variableOf(() => drawKernel(init, this.units, options.classes, new Rng(seed, 'init', 'output', 'kernel')));
    this.outBias = variableOf(() => tf.zeros([options.classes]) as tf.Tensor1D);
    this.params.set('output/kernel', this.outKernel);
    this.params.set('output/bias', this.outBias);
  }

  /**
   * The initial hidden state: zeros, plus noise in training mode when `h0_noise` is set — from
   * the training stream at training steps, from `probe` (a stream of its own) for a probe, so
   * that probing never moves the training stream.
   */
  private h0(batch: number, ctx: ForwardContext, probe?: Rng): tf.Tensor2D {
    const rng = ctx.updateStats ? this.noise?.rng : probe;
    if (!this.noise || !ctx.training || !rng) return tf.zeros([batch, this.units]);
    const values = new Float32Array(batch * this.units);
    for (let i = 0; i < values.length; i++) values[i] = rng.normal() * this.noise.std;
    return tf.tensor2d(values, [batch, this.units]);
  }

  /**
   * The last layer's last hidden state. Training and evaluation take the fused recurrence; a
   * gradient probe (offsets on h_t) takes runLayer, which autodiff differentiates.
   */
  private run(x: tf.Tensor2D, ctx: ForwardContext, offsets?: tf.Tensor2D[], probe?: Rng): tf.Tensor2D {
    const [b, width] = x.shape;
    if (width % this.inputs !== 0) throw new Error(`an example of ${width} values is not a sequence of ${this.inputs}-value steps`);
    const steps = width / this.inputs;
    let seq = tf.reshape(x, [b, steps, this.inputs]) as tf.Tensor3D;
    this.layers.forEach((layer, l) => {
      const h0 = this.h0(b, ctx, probe);
      if (offsets) {
        const {hs} = runLayer(layer, seq, h0, ctx, l === this.layers.length - 1 ? offsets : undefined);
        seq = tf.stack(hs, 1) as tf.Tensor3D;
        return;
      }
      const zx = layer.norm.inputs(tf.reshape(matMul(tf.reshape(seq, [b * steps, seq.shape[2]]), layer.kernelX), [b, steps, this.units * this.gates]), ctx);
      seq = recurrence({kind: layer.kind, units: this.units, activation: this.options.activation, zx, kernelH: layer.kernelH, bias: layer.bias, h0, plan: layer.norm.plan(ctx, steps)});
      if (ctx.training && ctx.updateStats) layer.norm.endSequence(ctx);
    });
    const last = stepOf(seq, steps - 1);
    return dense(last, this.outKernel, this.outBias);
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    return this.run(x, ctx);
  }

  gradientFlow(x: tf.Tensor2D, loss: (output: tf.Tensor2D) => tf.Scalar): number[] {
    const steps = x.shape[1] / this.inputs;
    return tf.tidy(() => {
      // ∂L/∂h_t is the gradient of L with respect to a zero offset added to h_t.
      const offsets = Array.from({length: steps}, () => tf.zeros([x.shape[0], this.units]) as tf.Tensor2D);
      // The same h₀ noise at every probe (a fixed batch, a fixed draw): only the weights change.
      const probe = new Rng(this.options.seed, 'h0-noise', 'probe');
      const grads = tf.grads((...o: tf.Tensor[]) => loss(this.run(x, {training: true, updateStats: false}, o as tf.Tensor2D[], probe)))(offsets);
      return Array.from(tf.stack(grads.map((g) => tf.norm(g))).dataSync());
    });
  }

  dispose(): void {
    for (const layer of this.layers) {
      for (const v of [layer.kernelX, layer.kernelH, layer.bias]) v.dispose();
      layer.norm.dispose();
    }
    this.outKernel.dispose();
    this.outBias.dispose();
  }
}
