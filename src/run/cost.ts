// A run's work, roughly, from its spec alone: what the pool orders its dispatch by (the longest
// first) and what the progress display's grid ETA counts down. Never part of a result.

import {modelUnits} from '../models/catalog.js';
import {normRelativeCost} from '../norms/catalog.js';
import type {RunSpec} from '../spec/experiment.js';

/**
 * A step's fixed cost (engine ops, the optimizer, the loss, reading the loss back), in examples'
 * worth of work. Measured on the small convnet of experiments/cnn-batch-size (wasm, one process):
 * ~5 ms a step at batch 2 and ~40 ms at batch 64, 0.56 ms an example and ~4 ms fixed, about 7
 * examples. Without it, a grid of batch sizes (8 000 steps at batch 2 against 250 at 64) was
 * timed by its steps alone, and its ETA was 10× too long at the start.
 */
export const STEP_OVERHEAD_EXAMPLES = 8;

/** One training step's work: (batch + the fixed cost) × the model's hidden units × the norm's cost relative to none. */
export function stepCost(spec: Pick<RunSpec, 'train' | 'model' | 'norm'>): number {
  return (spec.train.batch_size + STEP_OVERHEAD_EXAMPLES) * modelUnits(spec.model) * normRelativeCost(spec.norm.name);
}

/** A run's work: its steps × stepCost. Ties keep the grid order. */
export function estimatedCost(spec: Pick<RunSpec, 'train' | 'model' | 'norm'>): number {
  return spec.train.steps * stepCost(spec);
}
