// The one list of normalizations, the one factory. A Record over NORMS cannot forget one.

import {z} from 'zod';
import {UserError} from '../errors.js';
import {unknownName} from '../suggest.js';
import {BatchNorm, batchOptions} from './batch.js';
import {LayerNorm, layerOptions} from './layer.js';
import {NoNorm, noneOptions} from './none.js';
import type {Norm, NormInit} from './types.js';
import {WeightNorm, weightOptions} from './weight.js';

export const NORMS = ['none', 'batch', 'layer', 'weight'] as const;
export type NormName = (typeof NORMS)[number];

interface NormDefinition<O extends z.ZodObject> {
  /** One line for `normbench list norms`. */
  summary: string;
  /** Where the method comes from. */
  paper: string;
  options: O;
  create(init: NormInit, options: z.infer<O>): Norm;
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
  }),
  batch: define({
    summary: 'batch statistics per unit in training, moving averages at evaluation; γ, β',
    paper: 'Ioffe & Szegedy 2015',
    options: batchOptions,
    create: (init, options) => new BatchNorm(init, options),
  }),
  layer: define({
    summary: 'statistics per example over the layer’s units; same at train and test; γ, β',
    paper: 'Ba, Kiros & Hinton 2016',
    options: layerOptions,
    create: (init, options) => new LayerNorm(init, options),
  }),
  weight: define({
    summary: 'kernel reparameterised per unit as w = g·v/‖v‖',
    paper: 'Salimans & Kingma 2016',
    options: weightOptions,
    create: (init, options) => new WeightNorm(init, options),
  }),
} satisfies Record<NormName, NormDefinition<z.ZodObject>>;

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
  const parsed = NORM_REGISTRY[name].options.safeParse(rawOptions);
  if (!parsed.success) return {ok: false, issues: parsed.error.issues};
  return {ok: true, spec: {name, options: parsed.data as Record<string, unknown>}};
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
  return def.create(init, def.options.parse(resolved.options));
}
