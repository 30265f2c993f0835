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
    steps_per_s: result.steps_per_s,
    wall_s: result.wall_ms / 1000,
  };
}
