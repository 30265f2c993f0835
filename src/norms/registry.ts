// The factories: a norm for a dense or convolutional layer (any rank), or for a recurrent cell,
// from its resolved spec. What each norm is and which options it takes: catalog.ts.

import {UserError} from '../errors.js';
import type {NormSpec} from '../spec/experiment.js';
import type {NormName} from '../spec/names.js';
import {BatchNorm} from './batch.js';
import {RecurrentBatchNorm} from './batch-recurrent.js';
import {BnRnn} from './bn-rnn.js';
import {
  definition, normMisfit, resolveNorm,
  type BatchOptions, type BnRnnOptions, type CenteredStopgradOptions, type GroupOptions, type LayerOptions, type MeanOnlyOptions,
  type InstanceOptions, type RenormOptions, type RmsOptions, type WeightOptions,
} from './catalog.js';
import {CenteredStopgrad} from './centered-stopgrad.js';
import {GroupNorm} from './group.js';
import {InstanceNorm} from './instance.js';
import {LayerNorm} from './layer.js';
import {RecurrentLayerNorm} from './layer-recurrent.js';
import {MeanOnlyBatchNorm} from './mean-only.js';
import {NoNorm} from './none.js';
import {NoRecurrentNorm, type RecurrentNorm, type RecurrentNormInit} from './recurrent.js';
import {BatchRenorm} from './renorm.js';
import {RmsNorm} from './rms.js';
import type {Norm, NormInit} from './types.js';
import {WeightNorm} from './weight.js';


// Each factory gets its norm's options parsed by that norm's schema in the catalog (defaults
// filled in), so the casts below only name the type the schema produced.

/** On a dense or convolutional layer: [N, C] or [N, …spatial, C]. */
const LAYER_NORMS: Partial<Record<NormName, (init: NormInit, options: unknown) => Norm>> = {
  none: () => new NoNorm(),
  batch: (init, options) => new BatchNorm(init, options as BatchOptions),
  layer: (init, options) => new LayerNorm(init, options as LayerOptions),
  weight: (init, options) => new WeightNorm(init, options as WeightOptions),
  group: (init, options) => new GroupNorm(init, options as GroupOptions),
  rms: (init, options) => new RmsNorm(init, options as RmsOptions),
  renorm: (init, options) => new BatchRenorm(init, options as RenormOptions),
  'mean-only': (init, options) => new MeanOnlyBatchNorm(init, options as MeanOnlyOptions),
  'centered-stopgrad': (init, options) => new CenteredStopgrad(init, options as CenteredStopgradOptions),
  instance: (init, options) => new InstanceNorm(init, options as InstanceOptions),
};

/** Inside a recurrent cell. */
const CELL_NORMS: Partial<Record<NormName, (init: RecurrentNormInit, options: unknown) => RecurrentNorm>> = {
  none: () => new NoRecurrentNorm(),
  batch: (init, options) => new RecurrentBatchNorm(init, options as BatchOptions),
  layer: (init, options) => new RecurrentLayerNorm(init, options as LayerOptions),
  'bn-rnn': (init, options) => new BnRnn(init, options as BnRnnOptions),
};

/** The factory: a norm for a dense layer [N, C] or a convolution [N, H, W, C], by name or resolved spec. */
export function createNorm(spec: NormSpec | NormName, init: NormInit): Norm {
  const resolved = typeof spec === 'string' ? resolveNorm(spec) : spec;
  const create = LAYER_NORMS[resolved.name];
  if (!create) throw new UserError(normMisfit(resolved, 'mlp')!);
  if (init.kernel.rank === 2 && !definition(resolved.name).contexts.includes('dense')) throw new UserError(normMisfit(resolved, 'mlp')!);
  return create(init, definition(resolved.name).options.parse(resolved.options));
}

/** The factory of norms inside a recurrent cell. */
export function createRecurrentNorm(spec: NormSpec | NormName, init: RecurrentNormInit): RecurrentNorm {
  const resolved = typeof spec === 'string' ? resolveNorm(spec) : spec;
  const create = CELL_NORMS[resolved.name];
  if (!create) throw new UserError(normMisfit(resolved, 'lstm')!);
  return create(init, definition(resolved.name).options.parse(resolved.options));
}
