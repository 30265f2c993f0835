// Models by kind, one builder each.

import type {ModelKind, ModelSpec} from '../config/schema.js';
import type {ActivationName} from '../nn/activations.js';
import type {NormSpec} from '../norms/registry.js';
import {Mlp} from './mlp.js';
import type {Model} from './types.js';

export interface BuildOptions {
  model: ModelSpec;
  norm: NormSpec;
  activation: ActivationName;
  seed: number;
  inputs: number;
  classes: number;
}

export const MODEL_REGISTRY: Record<ModelKind, {summary: string; build(options: BuildOptions): Model}> = {
  mlp: {
    summary: 'multi-layer perceptron: [dense → norm → activation] × hidden, then dense logits',
    build: (options) => new Mlp(options),
  },
};

export function buildModel(options: BuildOptions): Model {
  return MODEL_REGISTRY[options.model.kind].build(options);
}
