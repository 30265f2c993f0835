// Convergence metrics of one run, from its evaluation points: final and best accuracy, and
// the first evaluated step (and time) at which each target was reached. For a regression task
// (no accuracy) the best point is the one with the lowest test loss.

import type {TargetMetric} from '../spec/names.js';
import type {Targets} from '../spec/experiment.js';
import {HIGHER_IS_BETTER, targetList} from '../spec/targets.js';
import type {TrainResult} from './journal.js';
import type {CurvePoint, RunMetrics} from '../spec/records.js';


function reached(point: CurvePoint, metric: TargetMetric, value: number): boolean {
  const x = point[metric];
  if (x === undefined) return false;
  return HIGHER_IS_BETTER[metric] ? x >= value : x <= value;
}

/** Whether `p` beats `best`: higher test accuracy, or for regression a lower test loss. */
function better(p: CurvePoint, best: CurvePoint): boolean {
  if (p.test_accuracy !== undefined && best.test_accuracy !== undefined) return p.test_accuracy > best.test_accuracy;
  return p.test_loss < best.test_loss;
}

export function runMetrics(result: TrainResult, targets: Targets): RunMetrics {
  const points = result.points;
  const last = points[points.length - 1];
  let best = points[0];
  for (const p of points) if (best === undefined || better(p, best)) best = p;
  const regression = last !== undefined && last.test_accuracy === undefined;
  return {
    final_test_loss: last?.test_loss ?? NaN,
    final_test_accuracy: regression ? undefined : (last?.test_accuracy ?? NaN),
    best_test_accuracy: regression ? undefined : (best?.test_accuracy ?? NaN),
    best_step: best?.step ?? 0,
    targets: targetList(targets).map((t) => {
      const hit = points.find((p) => reached(p, t.metric, t.value));
      return {...t, step: hit?.step, seconds: hit ? hit.wall_ms / 1000 : undefined};
    }),
    train_loss_auc: result.train_loss_auc,
    ...(last?.val_loss !== undefined && {validation: validationMetrics(points, regression)}),
    steps_per_s: result.steps_per_s,
    wall_s: result.wall_ms / 1000,
  };
}

/**
 * The validation split's metrics: its last point, the point it selects (the highest validation
 * accuracy, for regression the lowest validation loss; the earliest on a tie) with the test
 * accuracy and loss there, and the area under the validation loss (trapezoids over the evaluated
 * steps) ÷ the steps they span.
 */
function validationMetrics(points: CurvePoint[], regression: boolean): NonNullable<RunMetrics['validation']> {
  const last = points[points.length - 1]!;
  let best = points[0]!;
  for (const p of points) {
    const improves = regression || p.val_accuracy === undefined ? p.val_loss! < best.val_loss! : p.val_accuracy > best.val_accuracy!;
    if (improves) best = p;
  }
  let area = 0;
  for (let i = 1; i < points.length; i++) area += ((points[i]!.val_loss! + points[i - 1]!.val_loss!) / 2) * (points[i]!.step - points[i - 1]!.step);
  const span = last.step - points[0]!.step;
  return {
    final_loss: last.val_loss!,
    final_accuracy: regression ? undefined : last.val_accuracy,
    best_accuracy: regression ? undefined : best.val_accuracy,
    best_step: best.step,
    test_accuracy_at_best: regression ? undefined : best.test_accuracy,
    test_loss_at_best: best.test_loss,
    loss_auc: span > 0 ? area / span : last.val_loss!,
  };
}
