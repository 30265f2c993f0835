// The training loop. It knows models, data and optimizers, not CSV or norms: it reports
// evaluation points through a callback and returns what happened.
//
// Per step: one batch (seeded order) → forward in training mode, told the step (for which a model
// with dropout draws its masks) → the task's loss (softmax cross-entropy for classes, mean
// squared error for regression) → gradients of every trainable variable → optional global-norm
// clipping → optimizer step. Every `eval_every` steps (and at step 0 and the last step) the
// model is evaluated on the whole test split in evaluation mode, and the probes asked for are
// recorded. A non-finite training loss marks the run `diverged`.
// The loop gives the event loop a turn every few tens of milliseconds, so that signals (Ctrl-C)
// are handled while it trains; an aborted signal stops it at the next step (Interrupted).
// What a run records — points, probes, divergence, the result — is kept by a RunJournal, and the
// turns by Turns; the stacked loop (src/stack/trainer.ts) uses both, one journal per replicate.

import * as tf from '../tf.js';
import {Batcher, gatherBatch} from '../data/batcher.js';
import type {Dataset} from '../data/types.js';
import type {Model} from '../models/types.js';
import {softmaxCrossEntropyWithAccuracy, targetTensor} from '../nn/loss.js';
import type {TrainSpec} from '../spec/experiment.js';
import {batchLoss} from './evaluate.js';
import {RunJournal, Turns, type TrainerHooks, type TrainResult} from './journal.js';
import {clipByGlobalNorm, createOptimizer} from './optimizers.js';

export {RunJournal, Turns, type TrainerHooks, type TrainResult} from './journal.js';
export {batchLoss, evaluate, type EvalOptions} from './evaluate.js';

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
      const {loss, correct} = trainStep(model, optimizer, vars, data, indices, spec, step + 1);
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
  step: number,
): {loss: number; correct: number} {
  const batch = gatherBatch(data.train, indices);
  const [lossT, correctT] = tf.tidy(() => {
    const x = tf.tensor2d(batch.x, [spec.batch_size, data.train.width]);
    const y = targetTensor(batch.y, data.task);
    let correct: tf.Scalar | undefined;
    const {value, grads} = tf.variableGrads(() => {
      const output = model.forward(x, {training: true, updateStats: true, step});
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
