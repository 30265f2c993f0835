// Models by kind, one builder each.

import type {ModelKind, ModelSpec} from '../config/schema.js';
import {Mlp} from './mlp.js';
import {RecurrentModel} from './rnn.js';
import type {BuildOptions, Model} from './types.js';

export const MODEL_REGISTRY: Record<ModelKind, {summary: string; build(options: BuildOptions): Model}> = {
  mlp: {
    summary: 'multi-layer perceptron: [dense → norm → activation] × hidden, then dense logits',
    build: (options) => new Mlp(options),
  },
  lstm: {
    summary: 'LSTM (gates i, f, g, o) × layers over a sequence, then a dense classifier or regressor on the last h',
    build: (options) => new RecurrentModel(options),
  },
  rnn: {
    summary: 'tanh RNN × layers over a sequence, then a dense classifier or regressor on the last h',
    build: (options) => new RecurrentModel(options),
  },
};

export function buildModel(options: BuildOptions): Model {
  return MODEL_REGISTRY[options.model.kind].build(options);
}

/**
 * A rough size of a model's hidden computation, for ordering work (not for any result): the sum
 * of its hidden widths, times 4 for an LSTM's gates, times its layers when recurrent.
 */
export function modelUnits(model: ModelSpec): number {
  if (model.kind === 'mlp') return model.hidden.reduce((sum, units) => sum + units, 0);
  return model.hidden * (model.kind === 'lstm' ? 4 : 1) * model.layers;
}

/** The widest hidden layer of a model, in units (what `--backend auto` decides by). */
export function modelWidth(model: ModelSpec): number {
  return model.kind === 'mlp' ? Math.max(0, ...model.hidden) : model.hidden;
}
