// What each normalization is, without its implementation: its options (with defaults and what
// each means), the paper, the layer contexts it supports, and the label of a configured norm.
// Config validation and `normbench list` read this file alone, so they never load tfjs; the
// factories that build the norms from it are in registry.ts, the implementations one file each.

import {z} from 'zod';
import {UserError} from '../errors.js';
import type {NormSpec} from '../spec/experiment.js';
import {MODEL_CONTEXT, MODELS, NORMS, PLACEMENTS, type LayerContext, type ModelKind, type NormName, type Placement} from '../spec/names.js';
import {unknownName} from '../suggest.js';
import {strict} from '../util/strict.js';

/**
 * How a stacked model computes a norm for all its replicates at once: no normalization, or
 * standardisation with statistics over the batch (with moving averages) or over each example's
 * units, then γ, β.
 */
export type StackedNorm =
  | {statistics: 'none'}
  | {statistics: 'batch'; epsilon: number; momentum: number}
  | {statistics: 'example'; epsilon: number};

// ─── Options of each norm ───────────────────────────────────────────────────────────────────

// Shared by every norm that transforms a dense layer's output (not weight norm, which acts on the
// kernel, nor none). A later option: left out of the resolved spec at its default (parseNorm).
// The model places the norm; the norm's own code never reads it (its options type leaves it out).
const placement = {
  /**
   * Where the norm sits in an MLP's hidden layer: `pre` dense → norm → φ, the norm normalising z,
   * the input of the nonlinearity (Ioffe & Szegedy §3.2); `post` dense → φ → norm, so that the
   * next layer sees normalized activations. With `post` the dense bias stays (φ stands between it
   * and the norm, so no norm cancels it). MLP only.
   */
  placement: z.enum(PLACEMENTS).default('pre'),
};

// none (none.ts)
export const noneOptions = strict({});
export type NoneOptions = z.infer<typeof noneOptions>;

// batch (batch.ts)
export const batchOptions = strict({
  /** Decay of the moving averages used at evaluation (0.9 = PyTorch momentum 0.1). */
  momentum: z.number().min(0).max(1).default(0.9),
  /** Added to the variance before the square root. */
  epsilon: z.number().positive().default(1e-5),
  /** Learn a shift β (initialised to 0). */
  center: z.boolean().default(true),
  /** Learn a scale γ. */
  scale: z.boolean().default(true),
  /** Initial γ: default 1 on a dense layer, 0.1 in a recurrent cell (Cooijmans et al. 2016). */
  gamma_init: z.number().optional(),
  /** Recurrent models only: one moving average for all time steps instead of one per step. */
  share_stats: z.boolean().optional(),
  ...placement,
});
export type BatchOptions = Omit<z.infer<typeof batchOptions>, 'placement'>;

// layer (layer.ts)
export const layerOptions = strict({
  /** Added to the variance before the square root. */
  epsilon: z.number().positive().default(1e-5),
  /** Learn a shift β (initialised to 0). */
  center: z.boolean().default(true),
  /** Learn a gain γ (initialised to 1). */
  scale: z.boolean().default(true),
  ...placement,
});
export type LayerOptions = Omit<z.infer<typeof layerOptions>, 'placement'>;

// weight (weight.ts)
export const weightOptions = strict({
  /** g at initialisation: `norm` (g = ‖v‖, the plain layer's kernel) or `data` (S&K §2.2). */
  init: z.enum(['norm', 'data']).default('norm'),
  /** Follow with mean-only batch norm (S&K §2.1). */
  mean_only: z.boolean().default(false),
  /** With `mean_only`: decay of the moving mean used at evaluation (0.9 = PyTorch momentum 0.1). */
  momentum: z.number().min(0).max(1).default(0.9),
}).refine((o) => o.mean_only || o.momentum === 0.9, {
  message: 'momentum is the decay of mean-only BN’s moving mean: it applies with mean_only: true only',
  path: ['momentum'],
});
export type WeightOptions = z.infer<typeof weightOptions>;

// group (group.ts)
export const groupOptions = strict({
  /** Groups G per layer; must divide the layer's width, leaving at least 2 units a group. */
  groups: z.number().int().positive().default(4),
  /** Added to each group's variance before the square root. */
  epsilon: z.number().positive().default(1e-5),
  /** Learn a shift β per unit (initialised to 0). */
  center: z.boolean().default(true),
  /** Learn a gain γ per unit (initialised to 1). */
  scale: z.boolean().default(true),
  ...placement,
});
export type GroupOptions = Omit<z.infer<typeof groupOptions>, 'placement'>;

// rms (rms.ts)
export const rmsOptions = strict({
  /** Added to the mean square before the square root. */
  epsilon: z.number().positive().default(1e-5),
  /** Learn a shift β after the rescaling (initialised to 0); off in the paper. */
  center: z.boolean().default(false),
  /** Learn a gain g per unit (initialised to 1), named gamma like the other norms' gains. */
  scale: z.boolean().default(true),
  ...placement,
});
export type RmsOptions = Omit<z.infer<typeof rmsOptions>, 'placement'>;

// renorm (renorm.ts)
export const renormOptions = strict({
  /** Decay of the moving averages used for r, d and at evaluation (0.9 = PyTorch momentum 0.1). */
  momentum: z.number().min(0).max(1).default(0.9),
  /** Added to the batch and the moving variance before the square root. */
  epsilon: z.number().positive().default(1e-5),
  /** Learn a shift β (initialised to 0). */
  center: z.boolean().default(true),
  /** Learn a scale γ (initialised to 1). */
  scale: z.boolean().default(true),
  /** Final bound of r to [1/rmax, rmax] (paper: 3); 1 keeps r = 1. */
  rmax: z.number().min(1).default(3),
  /** Final bound of d to [−dmax, dmax] (paper: 5); 0 keeps d = 0. */
  dmax: z.number().nonnegative().default(5),
  /** Training steps with r = 1, d = 0 (plain batch norm) before the bounds start to widen. */
  warmup_start: z.number().int().nonnegative().default(100),
  /** Training step at which rmax and dmax reach their final values. */
  warmup_end: z.number().int().nonnegative().default(500),
  ...placement,
}).refine((o) => o.warmup_end >= o.warmup_start, {
  message: 'warmup_end must be at least warmup_start',
  path: ['warmup_end'],
});
export type RenormOptions = Omit<z.infer<typeof renormOptions>, 'placement'>;

// mean-only (mean-only.ts)
export const meanOnlyOptions = strict({
  /** Decay of the moving mean used at evaluation (0.9 = PyTorch momentum 0.1). */
  momentum: z.number().min(0).max(1).default(0.9),
  /** Learn a shift β (initialised to 0) in place of the dropped dense bias. */
  center: z.boolean().default(true),
  ...placement,
});
export type MeanOnlyOptions = Omit<z.infer<typeof meanOnlyOptions>, 'placement'>;

// centered-stopgrad (centered-stopgrad.ts)
export const centeredStopgradOptions = strict({
  /** Also divide by the batch standard deviation, itself through stop_gradient. */
  scale_stopgrad: z.boolean().default(false),
  /** Decay of the moving averages used at evaluation (0.9 = PyTorch momentum 0.1). */
  momentum: z.number().min(0).max(1).default(0.9),
  /** Added to the variance before the square root (with `scale_stopgrad` only). */
  epsilon: z.number().positive().default(1e-5),
  ...placement,
});
export type CenteredStopgradOptions = Omit<z.infer<typeof centeredStopgradOptions>, 'placement'>;

// instance (instance.ts)
export const instanceOptions = strict({
  /** Added to each (example, channel)'s variance before the square root. */
  epsilon: z.number().positive().default(1e-5),
  /** Learn a shift β per channel (initialised to 0). */
  center: z.boolean().default(true),
  /** Learn a gain γ per channel (initialised to 1). */
  scale: z.boolean().default(true),
});
export type InstanceOptions = z.infer<typeof instanceOptions>;

// bn-rnn (bn-rnn.ts)
export const bnRnnOptions = strict({
  /** frame: statistics per time step; sequence: pooled over batch × time. */
  stats: z.enum(['frame', 'sequence']).default('frame'),
  /** Decay of the moving averages used at evaluation (0.9 = PyTorch momentum 0.1). */
  momentum: z.number().min(0).max(1).default(0.9),
  /** Added to the variance before the square root. */
  epsilon: z.number().positive().default(1e-5),
  /** Initial γ. */
  gamma_init: z.number().default(1),
});
export type BnRnnOptions = z.infer<typeof bnRnnOptions>;

// ─── The catalog ────────────────────────────────────────────────────────────────────────────

interface NormDefinition<O extends z.ZodObject> {
  /** One line for `normbench list norms`. */
  summary: string;
  /** Where the method comes from. */
  paper: string;
  options: O;
  /**
   * Where it can sit: on a dense layer's [N, C] or a convolution's [N, H, W, C] (the same Norm
   * contract, any rank: src/norms/types.ts), or inside a recurrent cell (RecurrentNorm).
   */
  contexts: readonly LayerContext[];
  /** Options that make no sense in a layer context, in words (checked when the grid is expanded). */
  misfit?(options: z.infer<O>, context: LayerContext): string | undefined;
  /**
   * How a stacked model (src/stack/) may compute this norm for all its replicates in one op,
   * when it can: a capability read from the options, never decided by the norm's name.
   */
  stacked?(options: z.infer<O>): StackedNorm;
  /**
   * Options added after results existed, dropped from the resolved spec while at their
   * defaults, so that the run ids (a hash of the spec) of runs made before them stay the same.
   * `placement` is one for every norm that has it.
   */
  laterOptions?: readonly string[];
  /** For a norm without the `placement` option: why it has none, in words. */
  noPlacement?: string;
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

export const NORM_CATALOG = {
  none: define({
    contexts: ['dense', 'conv', 'cell'],
    summary: 'no normalization (identity)',
    paper: '—',
    options: noneOptions,
    noPlacement: 'it is the identity, so pre and post are the same network',
    stacked: () => ({statistics: 'none'}),
  }),
  batch: define({
    contexts: ['dense', 'conv', 'cell'],
    summary: 'batch statistics per unit in training, moving averages at evaluation; γ, β. In a recurrent cell: BN-LSTM, statistics per time step, γ init 0.1',
    paper: 'Ioffe & Szegedy 2015; recurrent: Cooijmans et al. 2016',
    options: batchOptions,
    misfit: (options, context) => (options.share_stats !== undefined && context !== 'cell' ? 'share_stats applies to recurrent models (lstm, rnn) only' : undefined),
    stacked: (options) => ({statistics: 'batch', epsilon: options.epsilon, momentum: options.momentum}),
    relativeCost: 1.12,
  }),
  layer: define({
    contexts: ['dense', 'conv', 'cell'],
    summary: 'statistics per example over the layer’s units; same at train and test; γ, β. In a recurrent cell: LN-LSTM',
    paper: 'Ba, Kiros & Hinton 2016',
    options: layerOptions,
    stacked: (options) => ({statistics: 'example', epsilon: options.epsilon}),
    relativeCost: 1.05,
  }),
  weight: define({
    contexts: ['dense', 'conv'],
    summary: 'kernel reparameterised per unit as w = g·v/‖v‖',
    paper: 'Salimans & Kingma 2016',
    options: weightOptions,
    laterOptions: ['init', 'mean_only', 'momentum'],
    noPlacement: 'it reparameterises the kernel (w = g·v/‖v‖) rather than normalising the layer\'s output, so there is nothing to move after φ',
    relativeCost: 1.4,
  }),
  group: define({
    contexts: ['dense', 'conv'],
    summary: 'per example over groups of a layer’s units (groups must divide the width); same at train and test; γ, β per unit. groups=1 is layer norm',
    paper: 'Wu & He 2018',
    options: groupOptions,
    relativeCost: 1.21,
  }),
  rms: define({
    contexts: ['dense', 'conv'],
    summary: 'per example, divide by the root mean square of the units, no centring (the dense bias stays); gain γ, β optional',
    paper: 'Zhang & Sennrich 2019',
    options: rmsOptions,
    relativeCost: 1.23,
  }),
  renorm: define({
    contexts: ['dense', 'conv'],
    summary: 'batch norm corrected towards the moving averages by r, d (no gradient through them), their bounds widened from plain BN over a warm-up; γ, β; counts its own training steps',
    paper: 'Ioffe 2017',
    options: renormOptions,
    relativeCost: 1.97,
  }),
  'mean-only': define({
    contexts: ['dense', 'conv'],
    summary: 'subtract the batch mean per unit (moving mean at evaluation), no division; β replaces the dense bias. The half of BN that pairs with weight norm',
    paper: 'Salimans & Kingma 2016 §2.1',
    options: meanOnlyOptions,
    relativeCost: 1.12,
  }),
  'centered-stopgrad': define({
    contexts: ['dense', 'conv'],
    summary: 'counter-example: centre by the batch mean with no gradient through it; the dense bias stays, and grows without changing the output; no γ, β',
    paper: 'Ioffe & Szegedy 2015 §2',
    options: centeredStopgradOptions,
    relativeCost: 1.21,
  }),
  'bn-rnn': define({
    contexts: ['cell'],
    summary: 'BN on the input-to-hidden term of a recurrent cell only; statistics per frame or pooled over the sequence',
    paper: 'Laurent et al. 2015',
    options: bnRnnOptions,
    noPlacement: 'it sits inside a recurrent cell, on the input-to-hidden term',
    relativeCost: 1.12, // not measured on its own: taken as batch norm's
  }),
  instance: define({
    contexts: ['conv'],
    summary: 'per example and channel over the positions H·W of a convolution (on a dense layer each statistic would be over one value); same at train and test; γ, β per channel',
    paper: 'Ulyanov, Vedaldi & Lempitsky 2016',
    options: instanceOptions,
    noPlacement: 'it sits on convolutions, where every norm sits before the activation',
  }),
} satisfies Record<NormName, NormDefinition<z.ZodObject>>;

/** A norm's time per training step relative to no norm (a scheduling hint, see NormDefinition). */
export function normRelativeCost(name: NormName): number {
  return (NORM_CATALOG[name] as NormDefinition<z.ZodObject>).relativeCost ?? 1;
}

/** The models a norm can sit in (by the layer contexts it supports). */
export function normModels(name: NormName): ModelKind[] {
  return MODELS.filter((kind) => definition(name).contexts.includes(MODEL_CONTEXT[kind]));
}

/** The definition, typed loosely enough to call with any options. */
export function definition(name: NormName): NormDefinition<z.ZodObject> {
  return NORM_CATALOG[name] as NormDefinition<z.ZodObject>;
}

/** How a stacked model may compute a norm, or undefined when it cannot. */
export function stackedNorm(spec: NormSpec): StackedNorm | undefined {
  const def = definition(spec.name);
  return def.stacked?.(def.options.parse(spec.options));
}

/**
 * Why a norm cannot sit in a model, in words with what would work instead; undefined when it can.
 */
export function normMisfit(spec: NormSpec, model: ModelKind): string | undefined {
  const context = MODEL_CONTEXT[model];
  if (!definition(spec.name).contexts.includes(context)) {
    const models = normModels(spec.name);
    const alternatives = NORMS.filter((n) => definition(n).contexts.includes(context));
    return `norm "${spec.name}" is not built for model ${model} (it supports: ${models.join(', ')}); for ${model} use: ${alternatives.join(', ')}`;
  }
  if (normPlacement(spec) === 'post' && context === 'conv') {
    return `placement post moves a norm after the activation of an MLP's hidden layer; in model ${model} every norm sits between the convolution and the activation (conv → norm → φ): leave placement out`;
  }
  if (normPlacement(spec) === 'post' && context === 'cell') {
    return `placement post moves a norm after the activation of an MLP's hidden layer; in model ${model} the norms sit where their papers put them inside the cell: leave placement out`;
  }
  return definition(spec.name).misfit?.(spec.options, context);
}


/** Whether a norm has the `placement` option (it transforms a dense layer's output). */
export function hasPlacement(name: NormName): boolean {
  return 'placement' in NORM_CATALOG[name].options.shape;
}

/** Where a resolved norm sits in an MLP's hidden layer (`pre` when its spec leaves it out). */
export function normPlacement(spec: NormSpec): Placement {
  return (spec.options.placement as Placement | undefined) ?? 'pre';
}

export function isNormName(name: string): name is NormName {
  return (NORMS as readonly string[]).includes(name);
}

export type NormParse =
  | {ok: true; spec: NormSpec}
  | {ok: false; unknownName: string}
  | {ok: false; issues: z.core.$ZodIssue[]}
  | {ok: false; message: string; key?: string};

/** Check a name and raw options; on success the options have their defaults filled in. */
export function parseNorm(name: string, rawOptions: Record<string, unknown> = {}): NormParse {
  if (!isNormName(name)) return {ok: false, unknownName: unknownName('norm', name, NORMS)};
  if ('placement' in rawOptions && !hasPlacement(name)) {
    const why = (NORM_CATALOG[name] as NormDefinition<z.ZodObject>).noPlacement ?? 'it does not transform a dense layer\'s output';
    return {ok: false, key: 'placement', message: `norm "${name}" has no placement: ${why} (the norms with one: ${NORMS.filter(hasPlacement).join(', ')}); leave placement out`};
  }
  const given = Object.keys(rawOptions);
  if (given.length > 0 && Object.keys(NORM_CATALOG[name].options.shape).length === 0) {
    return {ok: false, message: `norm "${name}" takes no options (got ${given.map((k) => `"${k}"`).join(', ')})`};
  }
  const def = NORM_CATALOG[name] as NormDefinition<z.ZodObject>;
  const parsed = def.options.safeParse(rawOptions);
  if (!parsed.success) return {ok: false, issues: parsed.error.issues};
  const options = {...(parsed.data as Record<string, unknown>)};
  const later = [...(def.laterOptions ?? []), ...(hasPlacement(name) ? ['placement'] : [])];
  if (later.length) {
    const defaults = def.options.parse({}) as Record<string, unknown>;
    for (const key of later) if (options[key] === defaults[key]) delete options[key];
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
  const defaults = NORM_CATALOG[spec.name].options.parse({}) as Record<string, unknown>;
  const changed = Object.keys(spec.options)
    .sort()
    .filter((key) => spec.options[key] !== defaults[key])
    .map((key) => `${key}=${String(spec.options[key])}`);
  return changed.length > 0 ? `${spec.name}(${changed.join(',')})` : spec.name;
}

