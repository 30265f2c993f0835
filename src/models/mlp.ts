// Multi-layer perceptron: each hidden layer is  dense → norm → activation,  then a plain dense
// output layer giving logits. The norm sits after the linear map and before the nonlinearity
// (Ioffe & Szegedy 2015 §3.2); where it cancels or subsumes the dense bias, the bias is dropped.
//
// Every kernel is drawn from an Rng keyed by (seed, 'init', layer, 'kernel'), so networks that
// differ only in norm or activation start from identical weights for what they share.

import * as tf from '../tf.js';
import {variableOf} from '../nn/variables.js';
import {ACTIVATION_FNS} from '../nn/activations.js';
import {dense} from '../nn/dense.js';
import {drawKernel} from '../nn/init.js';
import {createNorm} from '../norms/registry.js';
import type {ModelSpec, NormSpec} from '../spec/experiment.js';
import type {ForwardContext, Norm} from '../norms/types.js';
import {Rng} from '../rng.js';
import type {BuildOptions, Model} from './types.js';

interface Layer {
  name: string;
  kernel: tf.Variable<tf.Rank.R2>;
  bias?: tf.Variable<tf.Rank.R1>;
  norm: Norm;
}

export class Mlp implements Model {
  readonly kind = 'mlp';
  readonly params = new Map<string, tf.Variable>();
  readonly state = new Map<string, tf.Variable>();
  private readonly hidden: Layer[] = [];
  private readonly output: Layer;
  private readonly activation: (x: tf.Tensor2D) => tf.Tensor2D;

  constructor(readonly options: BuildOptions) {
    const {norm, seed} = options;
    const model = options.model as Extract<ModelSpec, {kind: 'mlp'}>;
    this.activation = ACTIVATION_FNS[options.activation];
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
    if (!norm.dropsDenseBias) {
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
      const next = tf.tidy(() => this.activation(layer.norm.apply(dense(h, layer.norm.kernel(layer.kernel), layer.bias), ctx)));
      h.dispose();
      h = next;
    }
    h.dispose();
  }

  preActivations(x: tf.Tensor2D): Array<{layer: string; z: tf.Tensor2D}> {
    const ctx = {training: false, updateStats: false};
    const out: Array<{layer: string; z: tf.Tensor2D}> = [];
    let h = x;
    for (const layer of this.hidden) {
      const z = layer.norm.apply(dense(h, layer.norm.kernel(layer.kernel), layer.bias), ctx);
      out.push({layer: layer.name, z});
      h = this.activation(z);
    }
    return out;
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    let h = x;
    for (const layer of this.hidden) {
      const z = dense(h, layer.norm.kernel(layer.kernel), layer.bias);
      h = this.activation(layer.norm.apply(z, ctx));
    }
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
