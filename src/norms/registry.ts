// The one list of normalizations, the one factory. A Record over NORMS cannot forget one.

import {z} from 'zod';
import {UserError} from '../errors.js';
import {unknownName} from '../suggest.js';
import {BatchNorm, batchOptions} from './batch.js';
import {LayerNorm, layerOptions} from './layer.js';
import {NoNorm, noneOptions} from './none.js';
import {MODELS, RECURRENT_MODELS, type ModelKind} from '../config/schema.js';
import {RecurrentBatchNorm} from './batch-recurrent.js';
import {BnRnn, bnRnnOptions} from './bn-rnn.js';
import {CenteredStopgrad, centeredStopgradOptions} from './centered-stopgrad.js';
import {GroupNorm, groupOptions} from './group.js';
import {RecurrentLayerNorm} from './layer-recurrent.js';
import {MeanOnlyBatchNorm, meanOnlyOptions} from './mean-only.js';
import {NoRecurrentNorm, type RecurrentNorm, type RecurrentNormInit} from './recurrent.js';
import {BatchRenorm, renormOptions} from './renorm.js';
import {RmsNorm, rmsOptions} from './rms.js';
import type {Norm, NormInit} from './types.js';
import {WeightNorm, weightOptions} from './weight.js';

export const NORMS = ['none', 'batch', 'layer', 'weight', 'group', 'rms', 'renorm', 'mean-only', 'centered-stopgrad', 'bn-rnn'] as const;
export type NormName = (typeof NORMS)[number];

interface NormDefinition<O extends z.ZodObject> {
  /** One line for `normbench list norms`. */
  summary: string;
  /** Where the method comes from. */
  paper: string;
  options: O;
  /** On a dense layer (the MLP's hidden layers). */
  create?(init: NormInit, options: z.infer<O>): Norm;
  /** Inside a recurrent cell (LSTM, RNN). */
  createRecurrent?(init: RecurrentNormInit, options: z.infer<O>): RecurrentNorm;
  /** Options that make no sense for a model kind, in words (checked when the grid is expanded). */
  misfit?(options: z.infer<O>, model: ModelKind): string | undefined;
  /**
   * Options added after results existed, dropped from the resolved spec while at their
   * defaults, so that the run ids (a hash of the spec) of runs made before them stay the same.
   */
  laterOptions?: readonly string[];
  /**
   * Time per training step relative to no norm (784-100-100-100-10 MLP, batch 60, wasm:
   * `node scripts/profile-step.mjs --norms …`, 2026-11-22); 1 when not given. Only orders the
   * runs handed to worker processes, longest first (src/run/pool.ts): no result depends on it.
   */
  relativeCost?: number;
}

function define<O extends z.ZodObject>(def: NormDefinition<O>): NormDefinition<O> {
  return def;
}

export const NORM_REGISTRY = {
  none: define({
    summary: 'no normalization (identity)',
    paper: '—',
    options: noneOptions,
    create: () => new NoNorm(),
    createRecurrent: () => new NoRecurrentNorm(),
  }),
  batch: define({
    summary: 'batch statistics per unit in training, moving averages at evaluation; γ, β. In a recurrent cell: BN-LSTM, statistics per time step, γ init 0.1',
    paper: 'Ioffe & Szegedy 2015; recurrent: Cooijmans et al. 2016',
    options: batchOptions,
    create: (init, options) => new BatchNorm(init, options),
    createRecurrent: (init, options) => new RecurrentBatchNorm(init, options),
    misfit: (options, model) => (options.share_stats !== undefined && model === 'mlp' ? 'share_stats applies to recurrent models (lstm, rnn) only' : undefined),
    relativeCost: 1.12,
  }),
  layer: define({
    summary: 'statistics per example over the layer’s units; same at train and test; γ, β. In a recurrent cell: LN-LSTM',
    paper: 'Ba, Kiros & Hinton 2016',
    options: layerOptions,
    create: (init, options) => new LayerNorm(init, options),
    createRecurrent: (init, options) => new RecurrentLayerNorm(init, options),
    relativeCost: 1.05,
  }),
  weight: define({
    summary: 'kernel reparameterised per unit as w = g·v/‖v‖',
    paper: 'Salimans & Kingma 2016',
    options: weightOptions,
    create: (init, options) => new WeightNorm(init, options),
    laterOptions: ['init', 'mean_only', 'momentum'],
    relativeCost: 1.4,
  }),
  group: define({
    summary: 'per example over groups of a layer’s units (groups must divide the width); same at train and test; γ, β per unit. groups=1 is layer norm',
    paper: 'Wu & He 2018',
    options: groupOptions,
    create: (init, options) => new GroupNorm(init, options),
    relativeCost: 1.21,
  }),
  rms: define({
    summary: 'per example, divide by the root mean square of the units, no centring (the dense bias stays); gain γ, β optional',
    paper: 'Zhang & Sennrich 2019',
    options: rmsOptions,
    create: (init, options) => new RmsNorm(init, options),
    relativeCost: 1.23,
  }),
  renorm: define({
    summary: 'batch norm corrected towards the moving averages by r, d (no gradient through them), their bounds widened from plain BN over a warm-up; γ, β; counts its own training steps',
    paper: 'Ioffe 2017',
    options: renormOptions,
    create: (init, options) => new BatchRenorm(init, options),
    relativeCost: 1.97,
  }),
  'mean-only': define({
    summary: 'subtract the batch mean per unit (moving mean at evaluation), no division; β replaces the dense bias. The half of BN that pairs with weight norm',
    paper: 'Salimans & Kingma 2016 §2.1',
    options: meanOnlyOptions,
    create: (init, options) => new MeanOnlyBatchNorm(init, options),
    relativeCost: 1.12,
  }),
  'centered-stopgrad': define({
    summary: 'counter-example: centre by the batch mean with no gradient through it; the dense bias stays, and grows without changing the output; no γ, β',
    paper: 'Ioffe & Szegedy 2015 §2',
    options: centeredStopgradOptions,
    create: (init, options) => new CenteredStopgrad(init, options),
    relativeCost: 1.21,
  }),
  'bn-rnn': define({
    summary: 'BN on the input-to-hidden term of a recurrent cell only; statistics per frame or pooled over the sequence',
    paper: 'Laurent et al. 2015',
    options: bnRnnOptions,
    createRecurrent: (init, options) => new BnRnn(init, options),
    relativeCost: 1.12, // not measured on its own: taken as batch norm's
  }),
} satisfies Record<NormName, NormDefinition<z.ZodObject>>;

/** A norm's time per training step relative to no norm (a scheduling hint, see NormDefinition). */
export function normRelativeCost(name: NormName): number {
  return (NORM_REGISTRY[name] as NormDefinition<z.ZodObject>).relativeCost ?? 1;
}

/** The models a norm is built for. */
export function normModels(name: NormName): ModelKind[] {
  const def = NORM_REGISTRY[name] as NormDefinition<z.ZodObject>;
  return MODELS.filter((kind) => (RECURRENT_MODELS.includes(kind) ? def.createRecurrent : def.create) !== undefined);
}

/**
 * Why a norm cannot sit in a model, in words with what would work instead; undefined when it can.
 */
export function normMisfit(spec: NormSpec, model: ModelKind): string | undefined {
  const models = normModels(spec.name);
  if (!models.includes(model)) {
    const alternatives = NORMS.filter((n) => normModels(n).includes(model));
    return `norm "${spec.name}" is not built for model ${model} (it supports: ${models.join(', ')}); for ${model} use: ${alternatives.join(', ')}`;
  }
  const def = NORM_REGISTRY[spec.name] as NormDefinition<z.ZodObject>;
  return def.misfit?.(spec.options, model);
}

/** A norm with its options fully resolved (defaults filled in). */
export interface NormSpec {
  name: NormName;
  options: Record<string, unknown>;
}

export function isNormName(name: string): name is NormName {
  return (NORMS as readonly string[]).includes(name);
}

export type NormParse =
  | {ok: true; spec: NormSpec}
  | {ok: false; unknownName: string}
  | {ok: false; issues: z.core.$ZodIssue[]}
  | {ok: false; message: string};

/** Check a name and raw options; on success the options have their defaults filled in. */
export function parseNorm(name: string, rawOptions: Record<string, unknown> = {}): NormParse {
  if (!isNormName(name)) return {ok: false, unknownName: unknownName('norm', name, NORMS)};
  const given = Object.keys(rawOptions);
  if (given.length > 0 && Object.keys(NORM_REGISTRY[name].options.shape).length === 0) {
    return {ok: false, message: `norm "${name}" takes no options (got ${given.map((k) => `"${k}"`).join(', ')})`};
  }
  const def = NORM_REGISTRY[name] as NormDefinition<z.ZodObject>;
  const parsed = def.options.safeParse(rawOptions);
  if (!parsed.success) return {ok: false, issues: parsed.error.issues};
  const options = {...(parsed.data as Record<string, unknown>)};
  if (def.laterOptions) {
    const defaults = def.options.parse({}) as Record<string, unknown>;
    for (const key of def.laterOptions) if (options[key] === defaults[key]) delete options[key];
  }
  return {ok: true, spec: {name, options}};
}

/** Resolve a name and raw options into a NormSpec, filling defaults; throws on bad ones. */
export function resolveNorm(name: string, rawOptions: Record<string, unknown> = {}): NormSpec {
  const result = parseNorm(name, rawOptions);
  if (result.ok) return result.spec;
  if ('unknownName' in result) throw new UserError(result.unknownName);
  if ('message' in result) throw new UserError(result.message);
  const issue = result.issues[0]!;
  const where = issue.path.length ? ` (${issue.path.join('.')})` : '';
  throw new UserError(`norm "${name}": ${issue.message}${where}`);
}

/**
 * A readable label: the name, plus every option that differs from its default,
 * e.g. `batch`, `batch(center=false,scale=false)`, `batch(momentum=0.99)`.
 */
export function normLabel(spec: NormSpec): string {
  const defaults = NORM_REGISTRY[spec.name].options.parse({}) as Record<string, unknown>;
  const changed = Object.keys(spec.options)
    .sort()
    .filter((key) => spec.options[key] !== defaults[key])
    .map((key) => `${key}=${String(spec.options[key])}`);
  return changed.length > 0 ? `${spec.name}(${changed.join(',')})` : spec.name;
}

/** The factory: a norm for a dense layer, by name or resolved spec. */
export function createNorm(spec: NormSpec | NormName, init: NormInit): Norm {
  const resolved = typeof spec === 'string' ? resolveNorm(spec) : spec;
  const def = NORM_REGISTRY[resolved.name] as NormDefinition<z.ZodObject>;
  if (!def.create) throw new UserError(normMisfit(resolved, 'mlp')!);
  return def.create(init, def.options.parse(resolved.options));
}

/** The factory of norms inside a recurrent cell. */
export function createRecurrentNorm(spec: NormSpec | NormName, init: RecurrentNormInit): RecurrentNorm {
  const resolved = typeof spec === 'string' ? resolveNorm(spec) : spec;
  const def = NORM_REGISTRY[resolved.name] as NormDefinition<z.ZodObject>;
  if (!def.createRecurrent) throw new UserError(normMisfit(resolved, 'lstm')!);
  return def.createRecurrent(init, def.options.parse(resolved.options));
}
