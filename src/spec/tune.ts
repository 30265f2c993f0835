// `tune:` resolved into what the runner, the results and the report read: the tuned key and its
// values, and the rungs of the schedule (one rung of full runs, or successive halving).

import {TUNABLE_KEYS, TUNE_METRICS, type TunableKey} from './names.js';
import type {TuneConfig, TuneSpec, TuneValues} from './experiment.js';

const OPTIONS = new Set(['metric', 'seeds', 'schedule', 'eta', 'shared']);

/** The `train.*` keys a `tune:` block names (the schema allows exactly one). */
export function tunedKeys(tune: Record<string, unknown>): string[] {
  return Object.keys(tune).filter((k) => !OPTIONS.has(k));
}

/** A log range's points, each to 3 significant digits (so 0.003 … 3 in 7 points reads 0.003, 0.00949, 0.03, …). */
export function logRange(lo: number, hi: number, points: number): number[] {
  return Array.from({length: points}, (_, i) => Number((lo * (hi / lo) ** (i / (points - 1))).toPrecision(3)));
}

export function tuneValues(space: TuneValues): number[] {
  const values = 'values' in space ? [...space.values] : logRange(space.log_range[0], space.log_range[1], space.points);
  return values.sort((a, b) => a - b);
}

/** The resolved tuning of a config's `tune:` block. */
export function tuneSpec(tune: TuneConfig): TuneSpec {
  const key = tunedKeys(tune)[0] as TunableKey;
  if (!(TUNABLE_KEYS as readonly string[]).includes(key)) throw new Error(`tune: ${key} is not a tunable key`);
  const space = (tune as unknown as Record<string, TuneValues>)[key]!;
  return {key, values: tuneValues(space), metric: tune.metric, seeds: tune.seeds, schedule: tune.schedule, eta: tune.eta, shared: tune.shared};
}

/** The train field a tuned key sets (`train.lr` → `lr`). */
export function trainField(key: TunableKey): 'lr' | 'momentum' | 'clip_norm' | 'beta1' | 'beta2' | 'epsilon' | 'decay' {
  return key.slice('train.'.length) as ReturnType<typeof trainField>;
}

/** Lower is better for losses, higher for accuracies. */
export function lowerIsBetter(spec: Pick<TuneSpec, 'metric'>): boolean {
  return TUNE_METRICS[spec.metric] === 'less';
}

/**
 * How many values each rung trains. `full`: one rung of all of them. `halving` (successive
 * halving): every value starts; the best ⌈n/η⌉ go on to η× the steps, until one would be left —
 * the last rung trained is the full budget, and its best is chosen.
 */
export function rungSizes(spec: Pick<TuneSpec, 'schedule' | 'eta' | 'values'>): number[] {
  const n = spec.values.length;
  if (spec.schedule === 'full' || n <= 1) return [n];
  const sizes = [n];
  while (Math.ceil(sizes[sizes.length - 1]! / spec.eta) > 1) sizes.push(Math.ceil(sizes[sizes.length - 1]! / spec.eta));
  return sizes;
}

/** The steps of rung r (0-based) for a condition whose budget is `steps`: steps ÷ η^(rungs−1−r), at least 1. */
export function rungSteps(spec: Pick<TuneSpec, 'schedule' | 'eta' | 'values'>, rung: number, steps: number): number {
  const rungs = rungSizes(spec).length;
  return Math.max(1, Math.round(steps / spec.eta ** (rungs - 1 - rung)));
}

/** Steps a schedule trains per condition and tuning seed, against the full sweep's (every value at the whole budget). */
export function scheduleCost(spec: Pick<TuneSpec, 'schedule' | 'eta' | 'values'>, steps: number): {steps: number; full: number} {
  const sizes = rungSizes(spec);
  return {steps: sizes.reduce((sum, n, r) => sum + n * rungSteps(spec, r, steps), 0), full: spec.values.length * steps};
}
