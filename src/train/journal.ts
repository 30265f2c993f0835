// One run's bookkeeping, the same whether it trains alone (src/train/trainer.ts) or in a stack
// (src/stack/trainer.ts): the evaluation points, the probes, divergence and the result; and the
// turns the loop gives the event loop so that signals (Ctrl-C) are handled while it trains.

import * as tf from '../tf.js';
import {leadingBatch} from '../data/batcher.js';
import type {Dataset} from '../data/types.js';
import {Interrupted} from '../errors.js';
import type {Model} from '../models/types.js';
import {targetTensor} from '../nn/loss.js';
import type {ActivationName, EvalMode, ProbeName, TrainSpec} from '../spec/index.js';
import type {CurvePoint, EvalResult, GradientFlowPoint, ProbeValue, TrainStatus} from '../spec/records.js';
import {evaluateModes} from './eval-modes.js';
import {batchLoss, evaluate} from './evaluate.js';
import {runProbes} from './probes.js';

export interface TrainResult {
  status: TrainStatus;
  /** Steps completed (the diverging step counts). */
  steps: number;
  points: CurvePoint[];
  /** The `gradient_flow` probe, when asked for and the model is recurrent. */
  gradientFlow: GradientFlowPoint[];
  /** The other probes asked for, at step 0 and every evaluation point. */
  diagnostics: Array<ProbeValue & {step: number}>;
  /** Mean training loss over all steps: the area under the per-step loss curve ÷ steps. */
  train_loss_auc: number;
  /** The final weights evaluated with each kind of statistics asked for (runs that did not diverge). */
  evalModes: Partial<Record<EvalMode, EvalResult>>;
  /** The final weights on the training split, in evaluation mode (`evalTrain`; runs that did not diverge). */
  trainEval?: EvalResult;
  /** Steps per second of training, evaluation excluded. */
  steps_per_s: number;
  wall_ms: number;
  message?: string;
}

export interface TrainerHooks {
  /** Before every step, with the indices of its training examples. */
  onBatch?(step: number, indices: Int32Array): void;
  /** After every step, with its minibatch loss. */
  onStep?(step: number, loss: number): void;
  onEval?(point: CurvePoint): void;
  /** Stop at the next step when aborted (its reason: the signal's name); the run is dropped. */
  signal?: AbortSignal;
  /** Diagnostics to record at every evaluation point; they never change the training. */
  probes?: readonly ProbeName[];
  /** The model's nonlinearity (for dead_units and saturation). */
  activation?: ActivationName;
  /** After training: evaluate the final weights with each of these kinds of statistics. */
  evalModes?: readonly EvalMode[];
  /** After training: evaluate the final weights on the training split (the examples trained on), in evaluation mode. */
  evalTrain?: boolean;
}

/** One evaluation point's splits. */
interface Evaluated {
  test: EvalResult;
  validation?: EvalResult;
}

/** How long the loop trains before giving the event loop a turn. */
const YIELD_MS = 50;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Interrupted((signal.reason as NodeJS.Signals | undefined) ?? 'SIGINT');
}

/** ‖∂L/∂h_t‖ for every t, on a fixed batch: the first `batch` training examples. */
function gradientFlow(model: Model, data: Dataset, batch: number): number[] {
  const n = Math.min(batch, data.train.n);
  const {x, y} = leadingBatch(data.train, n);
  return tf.tidy(() => {
    const ys = targetTensor(y, data.task);
    return model.gradientFlow!(tf.tensor2d(x, [n, data.train.width]), (output) => batchLoss(output, ys, data.task, data.classes));
  });
}

/**
 * One run's bookkeeping, the same whether it trains alone (`train`) or in a stack
 * (src/stack/trainer.ts): the step-0 point, the loss windows between evaluation points, the test
 * evaluations and probes at those points, divergence, and the result. `current`, when given,
 * brings the model's weights up to date before anything reads them (a stack keeps them elsewhere).
 */
export class RunJournal {
  readonly points: CurvePoint[] = [];
  private readonly flow: GradientFlowPoint[] = [];
  private readonly diagnostics: TrainResult['diagnostics'] = [];
  private readonly probeFlow: boolean;
  private readonly otherProbes: ProbeName[];
  status: TrainStatus = 'ok';
  message?: string;
  steps = 0;
  private lossTotal = 0;
  private windowLoss = 0;
  private windowCorrect = 0;
  private windowSteps = 0;
  private initial?: Evaluated;
  private stale = false;

  constructor(
    readonly model: Model,
    private readonly data: Dataset,
    private readonly spec: TrainSpec,
    private readonly hooks: TrainerHooks,
    private readonly started: number,
    private readonly current: () => void = () => {},
  ) {
    this.probeFlow = (hooks.probes ?? []).includes('gradient_flow') && model.gradientFlow !== undefined;
    this.otherProbes = (hooks.probes ?? []).filter((p) => p !== 'gradient_flow');
  }

  /** True until the run diverges. */
  get active(): boolean {
    return this.status === 'ok';
  }

  /** Before the first step: the test metrics and probes at the initial weights. */
  begin(): void {
    this.initial = this.evaluateSplits();
    this.probe(0);
  }

  /** After step `step` with its minibatch loss and correct count. */
  afterStep(step: number, loss: number, correct: number): void {
    this.stale = true;
    this.steps = step;
    this.lossTotal += loss;
    this.windowLoss += loss;
    this.windowCorrect += correct;
    this.windowSteps++;
    this.hooks.onStep?.(step, loss);
    // Step 0's point: the test metrics before any update, and the first batch's loss (its
    // forward pass ran at θ₀ too). That batch stays in the first window as well.
    if (step === 1) this.record(0, this.initial!);
    if (!Number.isFinite(loss)) {
      this.status = 'diverged';
      this.message = `training loss became ${loss} at step ${step}`;
      this.record(step, this.evaluateSplits());
    } else if (step % this.spec.eval_every === 0 || step === this.spec.steps) {
      this.record(step, this.evaluateSplits());
      this.probe(step);
      this.windowLoss = 0;
      this.windowCorrect = 0;
      this.windowSteps = 0;
    }
  }

  /** The run's result; `timedSteps` in `trainMs` give its speed (evaluation excluded). */
  result(timedSteps: number, trainMs: number): TrainResult {
    const last = this.points[this.points.length - 1];
    const evalModes = this.status === 'ok' && last && this.hooks.evalModes?.length
      ? evaluateModes(this.weights(), this.data, this.hooks.evalModes, this.spec.batch_size, {loss: last.test_loss, accuracy: last.test_accuracy})
      : {};
    const trainEval = this.status === 'ok' && last && this.hooks.evalTrain ? evaluate(this.weights(), this.data.train, this.data.task, this.data.classes) : undefined;
    return {
      evalModes,
      ...(trainEval && {trainEval}),
      status: this.status,
      steps: this.steps,
      points: this.points,
      gradientFlow: this.flow,
      diagnostics: this.diagnostics,
      train_loss_auc: this.lossTotal / Math.max(1, this.steps),
      steps_per_s: timedSteps / Math.max(trainMs / 1000, 1e-9),
      wall_ms: performance.now() - this.started,
      message: this.message,
    };
  }

  /** The model, its weights up to date. */
  private weights(): Model {
    if (this.stale) this.current();
    this.stale = false;
    return this.model;
  }

  /** The test split, and the validation split when the data set holds one out. */
  private evaluateSplits(): Evaluated {
    const model = this.weights();
    const {data} = this;
    const test = evaluate(model, data.test, data.task, data.classes);
    return {test, validation: data.validation ? evaluate(model, data.validation, data.task, data.classes) : undefined};
  }

  private probe(at: number): void {
    const model = this.weights();
    if (this.probeFlow) this.flow.push({step: at, grad_norms: gradientFlow(model, this.data, this.spec.batch_size)});
    if (this.otherProbes.length) {
      const options = {activation: this.hooks.activation ?? 'relu', batch: this.spec.batch_size, loss: batchLoss};
      for (const v of runProbes(model, this.data, this.otherProbes, options)) this.diagnostics.push({step: at, ...v});
    }
  }

  private record(step: number, {test, validation}: Evaluated): void {
    const {spec, data} = this;
    const point: CurvePoint = {
      step,
      epoch: (step * spec.batch_size) / data.train.n,
      train_loss: this.windowLoss / this.windowSteps,
      train_accuracy: data.task === 'classification' ? this.windowCorrect / (this.windowSteps * spec.batch_size) : undefined,
      test_loss: test.loss,
      test_accuracy: test.accuracy,
      ...(validation && {val_loss: validation.loss, val_accuracy: validation.accuracy}),
      wall_ms: performance.now() - this.started,
    };
    this.points.push(point);
    this.hooks.onEval?.(point);
  }
}

/** Give the event loop a turn when the loop has held it for YIELD_MS; then honour an abort. */
export class Turns {
  private last = performance.now();

  constructor(private readonly signal?: AbortSignal) {
    checkAborted(signal);
  }

  async take(): Promise<void> {
    if (performance.now() - this.last > YIELD_MS) {
      await nextTurn();
      this.last = performance.now();
    }
    checkAborted(this.signal);
  }
}

