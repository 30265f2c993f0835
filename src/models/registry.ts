// Models by kind, one builder each (what each is: catalog.ts).

import type {ModelKind} from '../spec/names.js';
import {Cnn} from './cnn.js';
import {Mlp} from './mlp.js';
import {RecurrentModel} from './rnn.js';
import type {BuildOptions, Model} from './types.js';

export const MODEL_REGISTRY: Record<ModelKind, (options: BuildOptions) => Model> = {
  mlp: (options) => new Mlp(options),
  lstm: (options) => new RecurrentModel(options),
  rnn: (options) => new RecurrentModel(options),
  cnn: (options) => new Cnn(options),
};

export function buildModel(options: BuildOptions): Model {
  return MODEL_REGISTRY[options.model.kind](options);
}

