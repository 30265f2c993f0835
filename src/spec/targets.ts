// Convergence targets: the vocabulary shared by the trainer's metrics and the results files.

import type {TargetMetric} from './names.js';
import type {Targets} from './experiment.js';

/** Accuracy targets are reached at or above the value, loss targets at or below. */
export const HIGHER_IS_BETTER: Record<TargetMetric, boolean> = {
  test_accuracy: true,
  train_accuracy: true,
  test_loss: false,
  train_loss: false,
  val_accuracy: true,
  val_loss: false,
};

export interface Target {
  metric: TargetMetric;
  value: number;
  /** Column stem, e.g. `test_accuracy_0.8`. */
  key: string;
}

/** The targets in a fixed order: by metric as listed in the schema, then as written. */
export function targetList(targets: Targets): Target[] {
  const out: Target[] = [];
  for (const metric of Object.keys(HIGHER_IS_BETTER) as TargetMetric[]) {
    for (const value of targets[metric] ?? []) out.push({metric, value, key: `${metric}_${value}`});
  }
  return out;
}
