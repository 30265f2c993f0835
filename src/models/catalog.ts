// What each model is, and how big, from its spec alone (no tensors): for `normbench list`, for
// ordering work and for picking a backend, never for a result. The builders are in registry.ts.

import type {ModelSpec} from '../spec/experiment.js';
import type {ModelKind} from '../spec/names.js';

export const MODEL_CATALOG: Record<ModelKind, {summary: string}> = {
  mlp: {summary: 'multi-layer perceptron: [dense → norm → activation (→ dropout)] × hidden, then dense logits; a norm with placement: post goes after the activation; hidden [] is logistic regression'},
  lstm: {summary: 'LSTM (gates i, f, g, o) × layers over a sequence, then a dense classifier or regressor on the last h'},
  rnn: {summary: 'tanh RNN × layers over a sequence, then a dense classifier or regressor on the last h'},
};

/**
 * A rough size of a model's hidden computation: the sum of its hidden widths, times 4 for an
 * LSTM's gates, times its layers when recurrent.
 */
export function modelUnits(model: ModelSpec): number {
  if (model.kind === 'mlp') return model.hidden.reduce((sum, units) => sum + units, 0);
  return model.hidden * (model.kind === 'lstm' ? 4 : 1) * model.layers;
}

/** The widest hidden layer of a model, in units (what `--backend auto` decides by). */
export function modelWidth(model: ModelSpec): number {
  return model.kind === 'mlp' ? Math.max(0, ...model.hidden) : model.hidden;
}
