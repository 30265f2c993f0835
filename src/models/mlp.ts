// Multi-layer perceptron: each hidden layer is  dense → norm → activation,  then a plain dense
// output layer giving logits. The norm sits after the linear map and before the nonlinearity
// (Ioffe & Szegedy 2015 §3.2); where it cancels or subsumes the dense bias, the bias is dropped.
// A norm's `placement: post` moves it after the nonlinearity, dense → activation → norm (the
// next layer sees normalized activations); the dense bias then stays, as φ stands between it
// and the norm. `model.dropout: p` drops units of each hidden layer's output (what the next
// layer sees) at training steps (src/nn/dropout.ts). `hidden: []` is logistic regression: the
// output layer alone.
//
// Every kernel is drawn from an Rng keyed by (seed, 'init', layer, 'kernel'), so networks that
// differ only in norm or activation start from identical weights for what they share; dropout
// masks from one keyed by (seed, 'dropout', step, layer), so such networks drop the same units.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {ACTIVATION_FNS} from '../nn/activations.js';
import {dense} from '../nn/dense.js';
import {dropout} from '../nn/dropout.js';
import {drawKernel} from '../nn/init.js';
import {normPlacement} from '../norms/catalog.js';
import {createNorm} from '../norms/registry.js';
import type {MlpSpec, NormSpec} from '../spec/experiment.js';
import type {Placement} from '../spec/names.js';
import type {ForwardContext, Norm} from '../norms/types.js';
import {Rng} from '../rng.js';
import type {BuildOptions, Model} from './types.js';

interface Layer {
  name: string;
  kernel: tf.Variable<tf.Rank.R2>;
  bias?: tf.Variable<tf.Rank.R1>;
  norm: Norm;
}

/** One hidden layer in a forward pass: z, the input of its nonlinearity, and h, its output (what the next layer sees). */
export interface LayerTrace {
  layer: string;
  z: tf.Tensor2D;
  h: tf.Tensor2D;
}

export class Mlp implements Model {
  readonly kind = 'mlp';
  readonly params = new Map<string, tf.Variable>();
  readonly state = new Map<string, tf.Variable>();
  private readonly hidden: Layer[] = [];
  private readonly output: Layer;
  private readonly activation: (x: tf.Tensor2D) => tf.Tensor2D;
  private readonly placement: Placement;
  private readonly dropout: number;

  constructor(readonly options: BuildOptions) {
    const {norm, seed} = options;
    const model = options.model as MlpSpec;
    this.activation = ACTIVATION_FNS[options.activation];
    this.placement = normPlacement(norm);
    this.dropout = model.dropout ?? 0;
    const init = {name: model.init, std: model.init_std};
    let fanIn = options.inputs;
    model.hidden.forEach((units, i) => {
      this.hidden.push(this.makeLayer(`hidden${i + 1}`, fanIn, units, norm, init, seed));
      fanIn = units;
    });
    this.output = this.makeLayer('output', fanIn, options.classes, {name: 'none', options: {}}, init, seed);
  }

  private makeLayer(
    name: string,
    fanIn: number,
    units: number,
    normSpec: NormSpec,
    init: Parameters<typeof drawKernel>[0],
    seed: number,
  ): Layer {
    const initial = drawKernel(init, fanIn, units, new Rng(seed, 'init', name, 'kernel'));
    const norm = createNorm(normSpec, {units, kernel: initial});
    const kernel = tf.variable(initial, true) as tf.Variable<tf.Rank.R2>;
    initial.dispose();
    // A reparameterised kernel (weight norm's direction v) is stored under the norm's name for it.
    this.params.set(`${name}/${norm.storedKernel ?? 'kernel'}`, kernel);
    let bias: tf.Variable<tf.Rank.R1> | undefined;
    if (!norm.dropsDenseBias || this.placement === 'post') {
      bias = variableOf(() => tf.zeros([units]) as tf.Tensor1D);
      this.params.set(`${name}/bias`, bias);
    }
    for (const [key, v] of Object.entries(norm.params)) this.params.set(`${name}/${norm.name}/${key}`, v);
    for (const [key, v] of Object.entries(norm.state)) this.state.set(`${name}/${norm.name}/${key}`, v);
    return {name, kernel, bias, norm};
  }

  /** The kernel actually applied by a layer (w = g·v/‖v‖ under weight norm). */
  effectiveKernel(layer: string): tf.Tensor2D {
    const l = [...this.hidden, this.output].find((x) => x.name === layer);
    if (!l) throw new Error(`no layer "${layer}"`);
    return l.norm.kernel(l.kernel);
  }

  /** True when a norm asks for data-dependent initialisation (weight norm's `init: data`). */
  get needsDataInit(): boolean {
    return this.hidden.some((l) => l.norm.dataInit === true);
  }

  /** Data-dependent initialisation of the norms that have one (weight norm's `init: data`), layer by layer. */
  initFromData(x: tf.Tensor2D): void {
    const ctx = {training: false, updateStats: false};
    let h = tf.keep(x.clone());
    for (const layer of this.hidden) {
      layer.norm.initFromData?.(h, {kernel: layer.kernel, bias: layer.bias, project: (input, kernel) => tf.matMul(input as tf.Tensor2D, kernel as tf.Tensor2D)});
      const next = tf.tidy(() => this.layerForward(layer, h, ctx).h);
      h.dispose();
      h = next;
    }
    h.dispose();
  }

  /**
   * One hidden layer: a = x·W (+ b), then z = norm(a), h = φ(z) (placement pre) or z = a,
   * h = norm(φ(a)) (post); at a training step with dropout, h ⊙ the step's mask.
   */
  private layerForward(layer: Layer, x: tf.Tensor2D, ctx: ForwardContext): {z: tf.Tensor2D; h: tf.Tensor2D} {
    const a = dense(x, layer.norm.kernel(layer.kernel), layer.bias);
    const z = this.placement === 'pre' ? layer.norm.apply(a, ctx) : a;
    const h = this.placement === 'pre' ? this.activation(z) : layer.norm.apply(this.activation(a), ctx);
    const drop = this.dropout > 0 && ctx.training && ctx.step !== undefined;
    return {z, h: drop ? dropout(h, this.dropout, this.options.seed, ctx.step!, layer.name) : h};
  }

  /** Every hidden layer's z (the input of its nonlinearity) and output h, in the mode `ctx` says. */
  trace(x: tf.Tensor2D, ctx: ForwardContext): LayerTrace[] {
    const out: LayerTrace[] = [];
    let h = x;
    for (const layer of this.hidden) {
      const next = this.layerForward(layer, h, ctx);
      out.push({layer: layer.name, ...next});
      h = next.h;
    }
    return out;
  }

  /** The input of each hidden nonlinearity in evaluation mode: the norm's output (pre), the dense layer's (post). */
  preActivations(x: tf.Tensor2D): Array<{layer: string; z: tf.Tensor2D}> {
    return this.trace(x, {training: false, updateStats: false}).map(({layer, z}) => ({layer, z}));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    let h = x;
    for (const layer of this.hidden) h = this.layerForward(layer, h, ctx).h;
    return dense(h, this.output.kernel, this.output.bias);
  }

  dispose(): void {
    for (const layer of [...this.hidden, this.output]) {
      layer.kernel.dispose();
      layer.bias?.dispose();
      layer.norm.dispose();
    }
  }
}
