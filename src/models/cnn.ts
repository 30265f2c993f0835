// A convnet on images, channels last. Each conv block is
//   a = conv_k×k(x, W) (+ b)  →  z = norm(a)  →  h = φ(z)  →  max or average pooling (or none)
// with the norm between the convolution and the nonlinearity, as Ioffe & Szegedy §3.2 put it on
// convolutions (statistics per channel over N·H·W for batch norm; each norm's own axes otherwise,
// src/norms/types.ts). Then the head turns the last map [H, W, C] into a vector, by the mean over
// positions per channel (`gap`) or all of it (`flatten`); then dense hidden layers
// (dense → norm → φ, as the MLP's) and a plain dense output layer giving logits. Where a norm
// cancels or subsumes the bias, the bias is dropped (as in the MLP).
//
// The model takes the flat examples the trainer gives [N, H·W·C] and reads them as images of the
// data set's shape (BuildOptions.image). The convolution is src/nn/conv.ts (im2col and one matrix
// product on wasm and cpu, with its registered gradient); max pooling is src/nn/pool.ts (wasm's
// own max-pool gradient is wrong on negative values).
//
// Every filter and kernel is drawn from an Rng keyed by (seed, 'init', layer, 'kernel'), the
// layers named conv1, conv2, …, hidden1, …, output, so networks that differ only in norm or
// activation start from identical weights for what they share.

import * as tf from '../tf.js';
import {ACTIVATION_FNS} from '../nn/activations.js';
import {conv2d} from '../nn/conv.js';
import {dense} from '../nn/dense.js';
import {maxPool} from '../nn/pool.js';
import {drawFilter, drawKernel, type InitSpec} from '../nn/init.js';
import {variableOf} from '../nn/variables.js';
import {createNorm} from '../norms/registry.js';
import type {ForwardContext, Norm} from '../norms/types.js';
import type {ImageShape} from '../spec/datasets.js';
import type {CnnSpec, NormSpec} from '../spec/experiment.js';
import type {PaddingName, PoolName} from '../spec/names.js';
import {Rng} from '../rng.js';
import {UserError} from '../errors.js';
import {cnnShapes} from './catalog.js';
import type {BuildOptions, Model} from './types.js';

interface Layer {
  name: string;
  kernel: tf.Variable;
  bias?: tf.Variable<tf.Rank.R1>;
  norm: Norm;
}

interface Block extends Layer {
  stride: number;
  padding: PaddingName;
  pool: PoolName;
}

/** Examples in the activation probes' batch: a conv block's maps hold H·W values per channel and example. */
const PROBE_EXAMPLES = 200;

export class Cnn implements Model {
  readonly kind = 'cnn';
  readonly params = new Map<string, tf.Variable>();
  readonly state = new Map<string, tf.Variable>();
  readonly probeExamples = PROBE_EXAMPLES;
  private readonly blocks: Block[] = [];
  private readonly hidden: Layer[] = [];
  private readonly output: Layer;
  private readonly activation: (x: tf.Tensor) => tf.Tensor;
  private readonly image: ImageShape;
  private readonly spec: CnnSpec;

  constructor(readonly options: BuildOptions) {
    const {norm, seed} = options;
    this.spec = options.model as CnnSpec;
    if (!options.image) throw new UserError('model cnn reads images, and this data set has none (image data sets: fashion-mnist-mini, fashion-mnist)');
    this.image = options.image;
    const shapes = cnnShapes(this.spec, this.image);
    if (shapes.error) throw new UserError(shapes.error);
    this.activation = ACTIVATION_FNS[options.activation] as unknown as (x: tf.Tensor) => tf.Tensor;
    const init = {name: this.spec.init, std: this.spec.init_std};
    let inputs = this.image[2];
    this.spec.channels.forEach((channels, b) => {
      const k = this.spec.kernel[b]!;
      const name = `conv${b + 1}`;
      const layer = this.makeLayer(name, drawFilter(init, k, inputs, channels, new Rng(seed, 'init', name, 'kernel')), channels, norm);
      this.blocks.push({...layer, stride: this.spec.stride[b]!, padding: this.spec.padding[b]!, pool: this.spec.pool[b]!});
      inputs = channels;
    });
    let fanIn = shapes.headWidth;
    this.spec.hidden.forEach((units, i) => {
      this.hidden.push(this.denseLayer(`hidden${i + 1}`, fanIn, units, norm, init, seed));
      fanIn = units;
    });
    this.output = this.denseLayer('output', fanIn, options.classes, {name: 'none', options: {}}, init, seed);
  }

  private denseLayer(name: string, fanIn: number, units: number, norm: NormSpec, init: InitSpec, seed: number): Layer {
    return this.makeLayer(name, drawKernel(init, fanIn, units, new Rng(seed, 'init', name, 'kernel')), units, norm);
  }

  /** A layer around its initial kernel (disposed here): the norm, the stored kernel, the bias unless the norm drops it. */
  private makeLayer(name: string, initial: tf.Tensor, units: number, normSpec: NormSpec): Layer {
    const norm = createNorm(normSpec, {units, kernel: initial});
    const kernel = tf.variable(initial, true);
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

  /** True when a norm asks for data-dependent initialisation (weight norm's `init: data`). */
  get needsDataInit(): boolean {
    return this.blocks.some((l) => l.norm.dataInit === true);
  }

  /** The convolution of a block, bias excluded. */
  private convolve(block: Block, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor4D {
    return conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, block.stride, block.padding);
  }

  /** One conv block: z = norm(conv(x) (+ b)), h = pool(φ(z)). */
  private blockForward(block: Block, x: tf.Tensor, ctx: ForwardContext): {z: tf.Tensor; h: tf.Tensor} {
    let a: tf.Tensor = this.convolve(block, x, block.norm.kernel(block.kernel));
    if (block.bias) a = tf.add(a, block.bias);
    const z = block.norm.apply(a, ctx);
    let h = this.activation(z);
    if (block.pool !== 'none') {
      const size = this.spec.pool_size;
      h = block.pool === 'max' ? maxPool(h as tf.Tensor4D, size) : tf.avgPool(h as tf.Tensor4D, size, size, 'valid');
    }
    return {z, h};
  }

  /** One dense hidden layer after the head: z = norm(h·W (+ b)), φ(z). */
  private denseForward(layer: Layer, x: tf.Tensor, ctx: ForwardContext): {z: tf.Tensor; h: tf.Tensor} {
    const z = layer.norm.apply(dense(x as tf.Tensor2D, layer.norm.kernel(layer.kernel) as tf.Tensor2D, layer.bias), ctx);
    return {z, h: this.activation(z)};
  }

  /** The last map as a vector: the mean over positions per channel, or every value. */
  private head(h: tf.Tensor): tf.Tensor2D {
    return (this.spec.head === 'gap' ? tf.mean(h, [1, 2]) : tf.reshape(h, [h.shape[0]!, -1])) as tf.Tensor2D;
  }

  private images(x: tf.Tensor2D): tf.Tensor4D {
    return tf.reshape(x, [x.shape[0], ...this.image]);
  }

  /**
   * Data-dependent initialisation (weight norm's `init: data`), layer by layer: each conv block's
   * and dense layer's norm on its input given by the layers before it, already initialised.
   */
  initFromData(x: tf.Tensor2D): void {
    const ctx = {training: false, updateStats: false};
    let h: tf.Tensor = tf.keep(this.images(x));
    const step = (next: () => tf.Tensor) => {
      const out = tf.tidy(next);
      h.dispose();
      h = out;
    };
    for (const block of this.blocks) {
      block.norm.initFromData?.(h, {kernel: block.kernel, bias: block.bias, project: (input, kernel) => this.convolve(block, input, kernel)});
      step(() => this.blockForward(block, h, ctx).h);
    }
    step(() => this.head(h));
    for (const layer of this.hidden) {
      layer.norm.initFromData?.(h, {kernel: layer.kernel, bias: layer.bias, project: (input, kernel) => tf.matMul(input as tf.Tensor2D, kernel as tf.Tensor2D)});
      step(() => this.denseForward(layer, h, ctx).h);
    }
    h.dispose();
  }

  /** The input of each nonlinearity in evaluation mode: [N, H, W, C] per conv block, [N, units] per dense hidden layer. */
  preActivations(x: tf.Tensor2D): Array<{layer: string; z: tf.Tensor}> {
    const ctx = {training: false, updateStats: false};
    const out: Array<{layer: string; z: tf.Tensor}> = [];
    let h: tf.Tensor = this.images(x);
    for (const block of this.blocks) {
      const next = this.blockForward(block, h, ctx);
      out.push({layer: block.name, z: next.z});
      h = next.h;
    }
    h = this.head(h);
    for (const layer of this.hidden) {
      const next = this.denseForward(layer, h, ctx);
      out.push({layer: layer.name, z: next.z});
      h = next.h;
    }
    return out;
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    let h: tf.Tensor = this.images(x);
    for (const block of this.blocks) h = this.blockForward(block, h, ctx).h;
    h = this.head(h);
    for (const layer of this.hidden) h = this.denseForward(layer, h, ctx).h;
    return dense(h as tf.Tensor2D, this.output.kernel as tf.Tensor2D, this.output.bias);
  }

  dispose(): void {
    for (const layer of [...this.blocks, ...this.hidden, this.output]) {
      layer.kernel.dispose();
      layer.bias?.dispose();
      layer.norm.dispose();
    }
  }
}
