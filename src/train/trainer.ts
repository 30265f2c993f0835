// The training loop. It knows models, data and optimizers, not CSV or norms: it reports
// evaluation points through a callback and returns what happened.
//
// Per step: one batch (seeded order) → forward in training mode → softmax cross-entropy →
// gradients of every trainable variable → optional global-norm clipping → optimizer step.
// Every `eval_every` steps (and at step 0 and the last step) the model is evaluated on the
// whole test split in evaluation mode. A non-finite training loss marks the run `diverged`.
// The loop gives the event loop a turn every few tens of milliseconds, so that signals (Ctrl-C)
// are handled while it trains; an aborted signal stops it at the next step (Interrupted).

import * as tf from '../tf.js';
import type {TrainSpec} from '../config/schema.js';
import {Batcher, gatherBatch} from '../data/batcher.js';
import type {Dataset, Split} from '../data/types.js';
import type {Model} from '../models/types.js';
import {Interrupted} from '../errors.js';
import {clipByGlobalNorm, createOptimizer} from './optimizers.js';

/** One evaluation point: plain numbers, no tensors. */
export interface CurvePoint {
  step: number;
  /** Training examples seen / training set size. */
  epoch: number;
  /** Mean minibatch loss over the steps since the previous point (at step 0: the first batch's). */
  train_loss: number;
  train_accuracy: number;
  test_loss: number;
  test_accuracy: number;
  /** Milliseconds since the run started (training and evaluation). */
  wall_ms: number;
}

export type RunStatus = 'ok' | 'diverged';

export interface TrainResult {
  status: RunStatus;
  /** Steps completed (the diverging step counts). */
  steps: number;
  points: CurvePoint[];
  /** Mean training loss over all steps: the area under the per-step loss curve ÷ steps. */
  train_loss_auc: number;
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
  accuracy: number;
}

/** Mean loss and accuracy on a split, in evaluation mode, in chunks. */
export function evaluate(model: Model, split: Split, features: number, classes: number): EvalResult {
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.n; start += EVAL_CHUNK) {
    const end = Math.min(split.n, start + EVAL_CHUNK);
    const [l, c] = tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(start * features, end * features), [end - start, features]);
      const y = tf.tensor1d(split.y.subarray(start, end), 'int32');
      const logits = model.forward(x, {training: false, updateStats: false});
      const losses = tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits, undefined, undefined, tf.Reduction.NONE);
      return [tf.sum(losses), tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32'))];
    });
    lossSum += l!.dataSync()[0]!;
    correct += c!.dataSync()[0]!;
    l!.dispose();
    c!.dispose();
  }
  return {loss: lossSum / split.n, accuracy: correct / split.n};
}

export async function train(model: Model, data: Dataset, spec: TrainSpec, seed: number, hooks: TrainerHooks = {}): Promise<TrainResult> {
  const started = performance.now();
  const batcher = new Batcher(data.train.n, spec.batch_size, seed);
  const optimizer = createOptimizer(spec);
  const vars = [...model.params.values()];
  const points: CurvePoint[] = [];
  let trainMs = 0;
  let lossTotal = 0;
  let windowLoss = 0;
  let windowCorrect = 0;
  let windowSteps = 0;
  let status: RunStatus = 'ok';
  let message: string | undefined;
  let step = 0;
  let lastTurn = performance.now();
  checkAborted(hooks.signal);
  const initialTest = evaluate(model, data.test, data.features, data.classes);

  const record = (pointStep: number, test: EvalResult): void => {
    const point: CurvePoint = {
      step: pointStep,
      epoch: (pointStep * spec.batch_size) / data.train.n,
      train_loss: windowLoss / windowSteps,
      train_accuracy: windowCorrect / (windowSteps * spec.batch_size),
      test_loss: test.loss,
      test_accuracy: test.accuracy,
      wall_ms: performance.now() - started,
    };
    points.push(point);
    hooks.onEval?.(point);
  };

  try {
    while (step < spec.steps) {
      if (performance.now() - lastTurn > YIELD_MS) {
        await nextTurn();
        lastTurn = performance.now();
      }
      checkAborted(hooks.signal);
      const t0 = performance.now();
      const indices = batcher.next();
      hooks.onBatch?.(step + 1, indices);
      const {loss, correct} = trainStep(model, optimizer, vars, data, indices, spec);
      trainMs += performance.now() - t0;
      step++;
      lossTotal += loss;
      windowLoss += loss;
      windowCorrect += correct;
      windowSteps++;
      hooks.onStep?.(step, loss);
      // Step 0's point: the test metrics before any update, and the first batch's loss (its
      // forward pass ran at θ₀ too). That batch stays in the first window as well.
      if (step === 1) record(0, initialTest);
      if (!Number.isFinite(loss)) {
        status = 'diverged';
        message = `training loss became ${loss} at step ${step}`;
        record(step, evaluate(model, data.test, data.features, data.classes));
        break;
      }
      if (step % spec.eval_every === 0 || step === spec.steps) {
        record(step, evaluate(model, data.test, data.features, data.classes));
        windowLoss = 0;
        windowCorrect = 0;
        windowSteps = 0;
      }
    }
  } finally {
    optimizer.dispose();
  }
  return {
    status,
    steps: step,
    points,
    train_loss_auc: lossTotal / Math.max(1, step),
    steps_per_s: step / Math.max(trainMs / 1000, 1e-9),
    wall_ms: performance.now() - started,
    message,
  };
}

function trainStep(
  model: Model,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  data: Dataset,
  indices: Int32Array,
  spec: TrainSpec,
): {loss: number; correct: number} {
  const batch = gatherBatch(data.train, data.features, indices);
  const [lossT, correctT] = tf.tidy(() => {
    const x = tf.tensor2d(batch.x, [spec.batch_size, data.features]);
    const y = tf.tensor1d(batch.y, 'int32');
    let correct: tf.Scalar | undefined;
    const {value, grads} = tf.variableGrads(() => {
      const logits = model.forward(x, {training: true, updateStats: true});
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32'))) as tf.Scalar;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y, data.classes), logits) as tf.Scalar;
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
