// What each model is, and how big, from its spec alone (no tensors): for `normbench list`, for
// ordering work and for picking a backend, never for a result. The builders are in registry.ts.

import type {CnnSpec, ModelSpec} from '../spec/experiment.js';
import type {ImageShape} from '../spec/datasets.js';
import type {ModelKind} from '../spec/names.js';

export const MODEL_CATALOG: Record<ModelKind, {summary: string}> = {
  mlp: {summary: 'multi-layer perceptron: [dense → norm → activation (→ dropout)] × hidden, then dense logits; a norm with placement: post goes after the activation; hidden [] is logistic regression'},
  lstm: {summary: 'LSTM (gates i, f, g, o) × layers over a sequence, then a dense classifier or regressor on the last h'},
  rnn: {summary: 'tanh RNN × layers over a sequence, then a dense classifier or regressor on the last h'},
  cnn: {summary: 'convnet on images (channels last): [conv k×k → norm → activation (→ max/avg pooling)] × channels, then global average pooling (head gap) or flatten, [dense → norm → activation] × hidden, dense logits'},
};

/** One conv block's feature maps: after the convolution (what its norm sees) and after the pooling. */
export interface BlockShape {
  conv: ImageShape;
  pooled: ImageShape;
}

/**
 * The feature maps of a convnet on images of `image`'s shape, block by block, and the width of
 * its head's output; `error` names the first block whose map is empty (a filter wider than a
 * `valid` input, a pooling window wider than the map).
 */
export function cnnShapes(model: CnnSpec, image: ImageShape): {blocks: BlockShape[]; headWidth: number; error?: string} {
  const blocks: BlockShape[] = [];
  let [h, w] = image;
  for (let b = 0; b < model.channels.length; b++) {
    const k = model.kernel[b]!;
    const s = model.stride[b]!;
    const c = model.channels[b]!;
    const out = (size: number) => (model.padding[b] === 'same' ? Math.ceil(size / s) : Math.ceil((size - k + 1) / s));
    const conv: ImageShape = [out(h), out(w), c];
    if (conv[0] < 1 || conv[1] < 1) {
      return {blocks, headWidth: 0, error: `conv block ${b + 1}'s ${k}×${k} filter with padding valid does not fit its ${h}×${w} input: use padding same, a smaller kernel, or less pooling before it`};
    }
    const p = model.pool[b] === 'none' ? 1 : model.pool_size;
    const pooled: ImageShape = [Math.floor(conv[0] / p), Math.floor(conv[1] / p), c];
    if (pooled[0] < 1 || pooled[1] < 1) {
      return {blocks, headWidth: 0, error: `conv block ${b + 1}'s ${p}×${p} pooling does not fit its ${conv[0]}×${conv[1]} map: pool none there, a smaller pool_size, or less downsampling before it`};
    }
    blocks.push({conv, pooled});
    [h, w] = pooled;
  }
  const last = blocks[blocks.length - 1]!.pooled;
  return {blocks, headWidth: model.head === 'gap' ? last[2] : last[0] * last[1] * last[2]};
}

/**
 * A rough size of a model's hidden computation: the sum of its hidden widths (a convnet's channels
 * among them), times 4 for an LSTM's gates, times its layers when recurrent.
 */
export function modelUnits(model: ModelSpec): number {
  if (model.kind === 'mlp') return model.hidden.reduce((sum, units) => sum + units, 0);
  if (model.kind === 'cnn') return [...model.channels, ...model.hidden].reduce((sum, units) => sum + units, 0);
  return model.hidden * (model.kind === 'lstm' ? 4 : 1) * model.layers;
}

/**
 * The multiply-adds of a convnet's convolutions for one example's forward pass,
 * Σ_blocks H_out·W_out·k²·C_in·C_out (the backward pass does twice as many); 0 for other models.
 * With the batch size, what `--backend auto` decides convnets by.
 */
export function convMacs(model: ModelSpec, image: ImageShape | undefined): number {
  if (model.kind !== 'cnn' || !image) return 0;
  const {blocks} = cnnShapes(model, image);
  let inputs = image[2];
  let macs = 0;
  blocks.forEach(({conv}, b) => {
    const k = model.kernel[b]!;
    macs += conv[0] * conv[1] * k * k * inputs * conv[2];
    inputs = conv[2];
  });
  return macs;
}

/** The widest hidden layer of a model, in units (what `--backend auto` decides dense and recurrent models by). */
export function modelWidth(model: ModelSpec): number {
  if (model.kind === 'cnn') return Math.max(0, ...model.channels, ...model.hidden);
  return model.kind === 'mlp' ? Math.max(0, ...model.hidden) : model.hidden;
}
