// Training S replicates as one stack (src/stack/mlp.ts): the loop of src/train/trainer.ts run
// for S runs at once, each with its own seed (its own batch order, Batcher(n, batch, seed), and
// its own initial weights) and its own learning rate, all else equal. Per step:
//   x [S, B, in] ← each replicate's next batch;  loss_s, correct_s ← forward + fused loss;
//   the gradients of Σ_s loss_s (whose part in replicate s is ∂loss_s, as replicates share
//   nothing);  θ_s ← θ_s − lr_s·∂loss_s/∂θ_s   (tfjs's SGD: θ + (−lr)·g, one op for the stack).
// Evaluation points, divergence and the curves are the unstacked loop's, per replicate: the
// replicate is copied into its replica `Mlp` and evaluated by `evaluate`. A replicate whose loss
// becomes non-finite is recorded as diverged at that step and leaves the curves; its slot in the
// stack goes on computing (unread) while the others train. Each replicate's TrainResult is its
// unstacked run's, timing aside (test/stack/stacked.test.ts).

import * as tf from '../tf.js';
import type {TrainSpec} from '../spec/experiment.js';
import {Batcher, gatherBatch} from '../data/batcher.js';
import type {Dataset} from '../data/types.js';
import type {Mlp} from '../models/mlp.js';
import type {NormName} from '../spec/names.js';
import {RunJournal, Turns, type TrainResult, type TrainerHooks} from '../train/trainer.js';
import {stackedSoftmaxCrossEntropyWithAccuracy} from '../nn/loss.js';
import {STACKED_NORMS, StackedMlp} from './mlp.js';

/** One run of a stack: its model (fresh, as `buildModel` makes it), seed, train spec and hooks. */
export interface Replicate {
  model: Mlp;
  seed: number;
  spec: TrainSpec;
  hooks?: Omit<TrainerHooks, 'signal'>;
}

/** The backends whose stacked arithmetic is bit for bit the unstacked one (measured: scripts/stack-bitwise.mjs). */
export const STACKING_BACKENDS: readonly string[] = ['wasm', 'cpu'];

/** The train spec without the learning rate: replicates that agree on it can share a stack. */
export function stackKey(spec: TrainSpec): string {
  const {lr: _lr, ...rest} = spec;
  return JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
}

/** What decides whether a run can join a stack at all (beyond agreeing with its stack mates). */
export interface StackingTraits {
  backend: string;
  model: string;
  norm: string;
  task: string;
  train: TrainSpec;
}

/** Why a run with these traits cannot be stacked, or undefined when it can. */
export function stackingRefusal({backend, model, norm, task, train}: StackingTraits): string | undefined {
  if (!STACKING_BACKENDS.includes(backend)) return `stacking is off on the ${backend} backend (its stacked arithmetic is not bit for bit the unstacked one)`;
  if (model !== 'mlp') return `model ${model} cannot be stacked (mlp only)`;
  if (!STACKED_NORMS.includes(norm as NormName)) return `norm ${norm} cannot be stacked (${STACKED_NORMS.join(', ')} only)`;
  if (train.optimizer !== 'sgd' || train.clip_norm) return 'only plain SGD without clipping can be stacked';
  if (task !== 'classification') return 'only classification can be stacked';
  return undefined;
}

/** Why these runs cannot train as one stack, or undefined when they can. */
export function stackRefusal(replicates: readonly Replicate[], data: Dataset, backend = tf.getBackend()): string | undefined {
  const first = replicates[0];
  if (!first || replicates.length < 2) return 'a stack needs at least 2 replicates';
  const options = first.model.options;
  const refusal = stackingRefusal({backend, model: options.model.kind, norm: options.norm.name, task: data.task, train: first.spec});
  if (refusal) return refusal;
  const same = (r: Replicate) =>
    JSON.stringify({...r.model.options, seed: 0}) === JSON.stringify({...options, seed: 0}) && stackKey(r.spec) === stackKey(first.spec);
  if (!replicates.every(same)) return 'the replicates differ in more than seed and learning rate';
  return undefined;
}

/** The SGD step of tfjs (θ ← θ + c·g, c = −lr as float32) with c [S, 1, 1]: one lr per replicate. */
class StackedSgd {
  private readonly c: tf.Tensor3D;

  constructor(lrs: number[]) {
    this.c = tf.tensor3d(lrs.map((lr) => -lr), [lrs.length, 1, 1]);
  }

  apply(vars: ReadonlyMap<string, tf.Variable>, grads: tf.NamedTensorMap): void {
    for (const v of vars.values()) {
      const g = grads[v.name];
      if (g) tf.tidy(() => v.assign(tf.add(tf.mul(this.c, g), v)));
    }
  }

  dispose(): void {
    this.c.dispose();
  }
}

/** One stacked step: per-replicate losses and correct counts. */
function stackedStep(model: StackedMlp, sgd: StackedSgd, data: Dataset, batches: Int32Array[], batchSize: number, step: number): {loss: Float32Array; correct: Int32Array} {
  // The replicates' batches one after another: rows [S·B] gathered at once are x [S, B, in].
  const indices = new Int32Array(batches.length * batchSize);
  batches.forEach((batch, s) => indices.set(batch, s * batchSize));
  const batch = gatherBatch(data.train, indices);
  const [lossT, correctT] = tf.tidy(() => {
    const x = tf.tensor3d(batch.x, [batches.length, batchSize, data.train.width]);
    const y = tf.tensor2d(batch.y as Int32Array, [batches.length, batchSize], 'int32');
    let loss: tf.Tensor1D | undefined;
    let correct: tf.Tensor1D | undefined;
    const {grads} = tf.variableGrads(() => {
      const out = stackedSoftmaxCrossEntropyWithAccuracy(model.forward(x, step), y);
      loss = tf.keep(out.loss);
      correct = tf.keep(out.correct);
      return tf.sum(out.loss) as tf.Scalar;
    }, [...model.params.values()]);
    sgd.apply(model.params, grads);
    return [loss!, correct!];
  });
  const result = {loss: lossT.dataSync() as Float32Array, correct: correctT.dataSync() as Int32Array};
  lossT.dispose();
  correctT.dispose();
  return result;
}

/**
 * Train the replicates as one stack; one TrainResult per replicate, in order, each its unstacked
 * `train` result (timing aside: `steps_per_s` is the stack's steps per second, the rate at which
 * each replicate advanced). The replicas end holding their trained weights. Throws when
 * `stackRefusal` gives a reason.
 */
export async function trainStacked(replicates: Replicate[], data: Dataset, signal?: AbortSignal): Promise<TrainResult[]> {
  const refusal = stackRefusal(replicates, data);
  if (refusal) throw new Error(refusal);
  const started = performance.now();
  const turns = new Turns(signal);
  const spec = replicates[0]!.spec;
  const batchers = replicates.map((r) => new Batcher(data.train.n, spec.batch_size, r.seed));
  const stack = new StackedMlp(replicates.map((r) => r.model));
  const sgd = new StackedSgd(replicates.map((r) => r.spec.lr));
  // Each replicate's bookkeeping is the unstacked loop's; it reads the replica, synced on demand.
  const journals = replicates.map((r, s) => new RunJournal(r.model, data, r.spec, r.hooks ?? {}, started, () => stack.sync(s)));
  let trainMs = 0;
  let step = 0;
  try {
    for (const journal of journals) journal.begin();
    while (step < spec.steps && journals.some((j) => j.active)) {
      await turns.take();
      const t0 = performance.now();
      const batches = batchers.map((b) => b.next());
      step++;
      journals.forEach((j, s) => j.active && replicates[s]!.hooks?.onBatch?.(step, batches[s]!));
      const {loss, correct} = stackedStep(stack, sgd, data, batches, spec.batch_size, step);
      trainMs += performance.now() - t0;
      journals.forEach((j, s) => j.active && j.afterStep(step, loss[s]!, correct[s]!));
    }
    return journals.map((j) => j.result(step, trainMs));
  } finally {
    sgd.dispose();
    stack.dispose();
  }
}
