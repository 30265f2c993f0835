// What training emits and the results layer reads: plain numbers, no tensors. The trainer fills
// these in; src/results/ writes, reads and compares them; neither imports the other.

import type {EvalMode, TargetMetric} from './names.js';
import type {RunSpec} from './experiment.js';

/** One evaluation point. Accuracies are undefined for regression. */
export interface CurvePoint {
  step: number;
  /** Training examples seen / training set size. */
  epoch: number;
  /** Mean minibatch loss over the steps since the previous point (at step 0: the first batch's). */
  train_loss: number;
  train_accuracy?: number;
  test_loss: number;
  test_accuracy?: number;
  /** The validation split's, when the data set holds one out (`dataset.validation`). */
  val_loss?: number;
  val_accuracy?: number;
  /** Milliseconds since the run started (training and evaluation). */
  wall_ms: number;
}

/** A split's mean loss (and accuracy, for classes). */
export interface EvalResult {
  loss: number;
  /** Undefined for regression. */
  accuracy?: number;
}

/** ‖∂L/∂h_t‖ at every step t of a recurrent model, measured at one evaluation point. */
export interface GradientFlowPoint {
  step: number;
  grad_norms: number[];
}

/** One value of a diagnostic: which probe, which layer or parameter. */
export interface ProbeValue {
  probe: string;
  layer: string;
  value: number;
}

/** How a run ended: the trainer says ok or diverged; a run that threw is failed. */
export type TrainStatus = 'ok' | 'diverged';
export type RunStatus = TrainStatus | 'failed';

export interface TargetHit {
  metric: TargetMetric;
  value: number;
  /** Column stem, e.g. `test_accuracy_0.8`. */
  key: string;
  step?: number;
  seconds?: number;
}

/** Convergence metrics of one run, from its evaluation points (src/train/metrics.ts). */
export interface RunMetrics {
  final_test_loss: number;
  /** Undefined for regression. */
  final_test_accuracy?: number;
  best_test_accuracy?: number;
  /** The evaluated step with the best test accuracy (regression: the lowest test loss). */
  best_step: number;
  targets: TargetHit[];
  train_loss_auc: number;
  /** With a validation split: its last point, its best point (selection reads validation, never test), and the test accuracy there. */
  validation?: {
    final_loss: number;
    final_accuracy?: number;
    best_accuracy?: number;
    best_step: number;
    test_accuracy_at_best?: number;
    test_loss_at_best: number;
    /** Mean validation loss over the run: the area under its curve (trapezoids over steps) ÷ steps. */
    loss_auc: number;
  };
  steps_per_s: number;
  wall_s: number;
}

/** Everything known about one finished run. */
export interface RunRecord {
  spec: RunSpec;
  status: RunStatus;
  steps: number;
  points: CurvePoint[];
  metrics?: RunMetrics;
  /** ‖∂L/∂h_t‖ per evaluation point (the gradient_flow probe). */
  gradientFlow?: GradientFlowPoint[];
  /** The other probes: one value per step, probe and layer. */
  diagnostics?: Array<ProbeValue & {step: number}>;
  /** The final weights evaluated with each kind of normalization statistics asked for. */
  evalModes?: Partial<Record<EvalMode, EvalResult>>;
  /** The final weights evaluated on the training split (`eval_train`), in evaluation mode. */
  trainEval?: EvalResult;
  /** Parameter count of the model. */
  params?: number;
  message?: string;
  /** Trained in one stack with these runs (`run --stack`; the results are the same as alone). */
  stackedWith?: string[];
}
