// The factories: a norm for a dense or convolutional layer (any rank), or for a recurrent cell,
// from its resolved spec. What each norm is and which options it takes: catalog.ts.

import {UserError} from '../errors.js';
import type {NormSpec} from '../spec/experiment.js';
import type {NormName} from '../spec/names.js';
import {BatchNorm} from './batch.js';
import {RecurrentBatchNorm} from './batch-recurrent.js';
import {BnRnn} from './bn-rnn.js';
import {definition, normMisfit, resolveNorm} from './catalog.js';
import {CenteredStopgrad} from './centered-stopgrad.js';
import {GroupNorm} from './group.js';
import {LayerNorm} from './layer.js';
import {RecurrentLayerNorm} from './layer-recurrent.js';
import {MeanOnlyBatchNorm} from './mean-only.js';
import {NoNorm} from './none.js';
import {NoRecurrentNorm, type RecurrentNorm, type RecurrentNormInit} from './recurrent.js';
import {BatchRenorm} from './renorm.js';
import {RmsNorm} from './rms.js';
import type {Norm, NormInit} from './types.js';
import {WeightNorm} from './weight.js';


// Options arrive parsed (defaults filled in) by the catalog's schema for that norm.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Options = any;

/** On a dense or convolutional layer: [N, C] or [N, …spatial, C]. */
const LAYER_NORMS: Partial<Record<NormName, (init: NormInit, options: Options) => Norm>> = {
  none: () => new NoNorm(),
  batch: (init, options) => new BatchNorm(init, options),
  layer: (init, options) => new LayerNorm(init, options),
  weight: (init, options) => new WeightNorm(init, options),
  group: (init, options) => new GroupNorm(init, options),
  rms: (init, options) => new RmsNorm(init, options),
  renorm: (init, options) => new BatchRenorm(init, options),
  'mean-only': (init, options) => new MeanOnlyBatchNorm(init, options),
  'centered-stopgrad': (init, options) => new CenteredStopgrad(init, options),
};

/** Inside a recurrent cell. */
const CELL_NORMS: Partial<Record<NormName, (init: RecurrentNormInit, options: Options) => RecurrentNorm>> = {
  none: () => new NoRecurrentNorm(),
  batch: (init, options) => new RecurrentBatchNorm(init, options),
  layer: (init, options) => new RecurrentLayerNorm(init, options),
  'bn-rnn': (init, options) => new BnRnn(init, options),
};

/** The factory: a norm for a dense layer [N, C] or a convolution [N, H, W, C], by name or resolved spec. */
export function createNorm(spec: NormSpec | NormName, init: NormInit): Norm {
  const resolved = typeof spec === 'string' ? resolveNorm(spec) : spec;
  const create = LAYER_NORMS[resolved.name];
  if (!create) throw new UserError(normMisfit(resolved, 'mlp')!);
  return create(init, definition(resolved.name).options.parse(resolved.options));
}

/** The factory of norms inside a recurrent cell. */
export function createRecurrentNorm(spec: NormSpec | NormName, init: RecurrentNormInit): RecurrentNorm {
  const resolved = typeof spec === 'string' ? resolveNorm(spec) : spec;
  const create = CELL_NORMS[resolved.name];
  if (!create) throw new UserError(normMisfit(resolved, 'lstm')!);
  return create(init, definition(resolved.name).options.parse(resolved.options));
}
