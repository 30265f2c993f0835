// The training loop. It knows models, data and optimizers, not CSV or norms: it reports
// evaluation points through a callback and returns what happened.
//
// Per step: one batch (seeded order) → forward in training mode → the task's loss (softmax
// cross-entropy for classes, mean squared error for regression) → gradients of every trainable
// variable → optional global-norm clipping → optimizer step. Every `eval_every` steps (and at
// step 0 and the last step) the model is evaluated on the whole test split in evaluation mode,
// and the probes asked for are recorded. A non-finite training loss marks the run `diverged`.
// The loop gives the event loop a turn every few tens of milliseconds, so that signals (Ctrl-C)
// are handled while it trains; an aborted signal stops it at the next step (Interrupted).
// What a run records — points, probes, divergence, the result — is kept by a RunJournal, and the
// turns by Turns; the stacked loop (src/stack/trainer.ts) uses both, one journal per replicate.

import * as tf from '../tf.js';
import type {EvalMode, ProbeName, TrainSpec} from '../config/schema.js';
import type {EvalStatistics} from '../norms/types.js';
import {Batcher, gatherBatch, leadingBatch} from '../data/batcher.js';
import type {Dataset, Split, Task} from '../data/types.js';
import {Interrupted} from '../errors.js';
import type {Model} from '../models/types.js';
import {softmaxCrossEntropyWithAccuracy, targetTensor} from '../nn/loss.js';
import {clipByGlobalNorm, createOptimizer} from './optimizers.js';
import {runProbes, type ProbeValue} from './probes.js';
import {evaluateModes} from './eval-modes.js';
import type {ActivationName} from '../nn/activations.js';

/** One evaluation point: plain numbers, no tensors. Accuracies are undefined for regression. */
export interface CurvePoint {
  step: number;
  /** Training examples seen / training set size. */
  epoch: number;
  /** Mean minibatch loss over the steps since the previous point (at step 0: the first batch's). */
  train_loss: number;
  train_accuracy?: number;
  test_loss: number;
  test_accuracy?: number;
  /** Milliseconds since the run started (training and evaluation). */
  wall_ms: number;
}

/** ‖∂L/∂h_t‖ at every step t of a recurrent model, measured at one evaluation point. */
export interface GradientFlowPoint {
  step: number;
  grad_norms: number[];
}

export type RunStatus = 'ok' | 'diverged';

export interface TrainResult {
  status: RunStatus;
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
}

/** How long the loop trains before giving the event loop a turn. */
const YIELD_MS = 50;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Interrupted((signal.reason as NodeJS.Signals | undefined) ?? 'SIGINT');
}

const EVAL_CHUNK = 1000;

export interface EvalResult {
  loss: number;
  /** Undefined for regression. */
  accuracy?: number;
}

/** Per-example losses [B] of outputs against targets. */
function exampleLosses(output: tf.Tensor2D, y: tf.Tensor, task: Task, classes: number): tf.Tensor1D {
  if (task === 'regression') return tf.reshape(tf.square(tf.sub(output, y)), [-1]) as tf.Tensor1D;
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, classes), output, undefined, undefined, tf.Reduction.NONE) as tf.Tensor1D;
}

/** The mean training loss of a batch (the scalar differentiated). */
export function batchLoss(output: tf.Tensor2D, y: tf.Tensor, task: Task, classes: number): tf.Scalar {
  if (task === 'regression') return tf.losses.meanSquaredError(y, output) as tf.Scalar;
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, classes), output) as tf.Scalar;
}

const correctCount = (output: tf.Tensor2D, y: tf.Tensor) => tf.sum(tf.cast(tf.equal(tf.argMax(output, 1), y), 'int32')) as tf.Scalar;

/** How `evaluate` runs the model: which normalization statistics, and in chunks of how many. */
export interface EvalOptions {
  statistics?: EvalStatistics;
  /**
   * Examples per forward pass (default 1000). With `statistics: 'batch'` this is the batch whose
   * statistics normalise it: the chunks are consecutive, and a last chunk of one example joins
   * the one before (a single example has no batch variance).
   */
  chunk?: number;
}

/** Mean loss (and accuracy, for classes) on a split, in evaluation mode, in chunks. */
export function evaluate(model: Model, split: Split, task: Task, classes: number, options: EvalOptions = {}): EvalResult {
  let lossSum = 0;
  let correct = 0;
  const w = split.width;
  const chunk = options.chunk ?? EVAL_CHUNK;
  const ctx = {training: false, updateStats: false, statistics: options.statistics};
  for (let start = 0, end = 0; start < split.n; start = end) {
    end = Math.min(split.n, start + chunk);
    if (options.statistics === 'batch' && split.n - end === 1) end = split.n;
    const [l, c] = tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(start * w, end * w), [end - start, w]);
      const y = targetTensor(split.y.subarray(start, end), task);
      const output = model.forward(x, ctx);
      return [tf.sum(exampleLosses(output, y, task, classes)), task === 'classification' ? correctCount(output, y) : tf.scalar(0)];
    });
    lossSum += l!.dataSync()[0]!;
    correct += c!.dataSync()[0]!;
    l!.dispose();
    c!.dispose();
  }
  return {loss: lossSum / split.n, accuracy: task === 'classification' ? correct / split.n : undefined};
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
  status: RunStatus = 'ok';
  message?: string;
  steps = 0;
  private lossTotal = 0;
  private windowLoss = 0;
  private windowCorrect = 0;
  private windowSteps = 0;
  private initialTest?: EvalResult;
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
    this.initialTest = this.evaluateTest();
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
    if (step === 1) this.record(0, this.initialTest!);
    if (!Number.isFinite(loss)) {
      this.status = 'diverged';
      this.message = `training loss became ${loss} at step ${step}`;
      this.record(step, this.evaluateTest());
    } else if (step % this.spec.eval_every === 0 || step === this.spec.steps) {
      this.record(step, this.evaluateTest());
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
    return {
      evalModes,
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

  private evaluateTest(): EvalResult {
    return evaluate(this.weights(), this.data.test, this.data.task, this.data.classes);
  }

  private probe(at: number): void {
    const model = this.weights();
    if (this.probeFlow) this.flow.push({step: at, grad_norms: gradientFlow(model, this.data, this.spec.batch_size)});
    if (this.otherProbes.length) {
      const options = {activation: this.hooks.activation ?? 'relu', batch: this.spec.batch_size, loss: batchLoss};
      for (const v of runProbes(model, this.data, this.otherProbes, options)) this.diagnostics.push({step: at, ...v});
    }
  }

  private record(step: number, test: EvalResult): void {
    const {spec, data} = this;
    const point: CurvePoint = {
      step,
      epoch: (step * spec.batch_size) / data.train.n,
      train_loss: this.windowLoss / this.windowSteps,
      train_accuracy: data.task === 'classification' ? this.windowCorrect / (this.windowSteps * spec.batch_size) : undefined,
      test_loss: test.loss,
      test_accuracy: test.accuracy,
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

export async function train(model: Model, data: Dataset, spec: TrainSpec, seed: number, hooks: TrainerHooks = {}): Promise<TrainResult> {
  const started = performance.now();
  const turns = new Turns(hooks.signal);
  const batcher = new Batcher(data.train.n, spec.batch_size, seed);
  const optimizer = createOptimizer(spec);
  const vars = [...model.params.values()];
  const journal = new RunJournal(model, data, spec, hooks, started);
  let trainMs = 0;
  let step = 0;
  // Data-dependent initialisation (weight norm's init: data) on the first training batch, which
  // a fresh batcher with the run's seed gives without disturbing the training order.
  if (model.needsDataInit && model.initFromData) {
    const first = gatherBatch(data.train, new Batcher(data.train.n, spec.batch_size, seed).next());
    tf.tidy(() => model.initFromData!(tf.tensor2d(first.x, [spec.batch_size, data.train.width])));
  }
  journal.begin();
  try {
    while (step < spec.steps && journal.active) {
      await turns.take();
      const t0 = performance.now();
      const indices = batcher.next();
      hooks.onBatch?.(step + 1, indices);
      const {loss, correct} = trainStep(model, optimizer, vars, data, indices, spec);
      trainMs += performance.now() - t0;
      step++;
      journal.afterStep(step, loss, correct);
    }
  } finally {
    optimizer.dispose();
  }
  return journal.result(step, trainMs);
}

function trainStep(
  model: Model,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  data: Dataset,
  indices: Int32Array,
  spec: TrainSpec,
): {loss: number; correct: number} {
  const batch = gatherBatch(data.train, indices);
  const [lossT, correctT] = tf.tidy(() => {
    const x = tf.tensor2d(batch.x, [spec.batch_size, data.train.width]);
    const y = targetTensor(batch.y, data.task);
    let correct: tf.Scalar | undefined;
    const {value, grads} = tf.variableGrads(() => {
      const output = model.forward(x, {training: true, updateStats: true});
      if (data.task === 'regression') {
        correct = tf.keep(tf.scalar(0));
        return batchLoss(output, y, data.task, data.classes);
      }
      // Classification: the loss and the accuracy count as one fused op (src/nn/loss.ts).
      const out = softmaxCrossEntropyWithAccuracy(output, y as tf.Tensor1D);
      correct = tf.keep(out.correct);
      return out.loss;
    }, vars);
    optimizer.applyGradients(spec.clip_norm ? clipByGlobalNorm(grads, spec.clip_norm) : grads);
    return [value, correct!];
  });
  const loss = lossT.dataSync()[0]!;
  const correct = correctT.dataSync()[0]!;
  lossT.dispose();
  correctT.dispose();
  return {loss, correct};
}
