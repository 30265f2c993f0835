// model.hidden [] (issue 18): logistic regression, the dense output layer alone. Its SGD
// trajectory against the closed-form gradient of the mean softmax cross-entropy, computed in
// float64 on the same batches:  p = softmax(X·W + b),  ∂L/∂W = Xᵀ(p − Y)/B,  ∂L/∂b = mean(p − Y).

import test from '../ava.js';
import type {ModelSpec, TrainSpec} from '../../src/spec/experiment.js';
import {gatherBatch} from '../../src/data/batcher.js';
import {makeSynthetic} from '../../src/data/synthetic.js';
import {Mlp} from '../../src/models/mlp.js';
import {parameterCount} from '../../src/models/types.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import * as tf from '../../src/tf.js';
import {train} from '../../src/train/trainer.js';
import {setupBackend} from '../helpers.js';

test.before(setupBackend);

const F = 6;
const C = 3;
const DATA = makeSynthetic({features: F, classes: C, train_size: 90, test_size: 30, separation: 2, seed: 4});
const MODEL: ModelSpec = {kind: 'mlp', hidden: [], init: 'glorot_uniform', init_std: 0.01};
const SPEC: TrainSpec = {optimizer: 'sgd', lr: 0.05, batch_size: 10, steps: 25, eval_every: 5, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};

const logistic = () => new Mlp({model: MODEL, norm: resolveNorm('none'), activation: 'relu', seed: 2, inputs: F, classes: C});

/** One SGD step of logistic regression in float64, in place. */
function sgdStep(w: Float64Array, b: Float64Array, x: Float32Array, y: Int32Array, lr: number): void {
  const n = y.length;
  const gw = new Float64Array(F * C);
  const gb = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const logits = Array.from({length: C}, (_, c) => b[c]! + Array.from({length: F}, (_, f) => x[i * F + f]! * w[f * C + c]!).reduce((s, v) => s + v, 0));
    const top = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - top));
    const z = e.reduce((s, v) => s + v, 0);
    for (let c = 0; c < C; c++) {
      const d = (e[c]! / z - (y[i] === c ? 1 : 0)) / n;
      gb[c]! += d;
      for (let f = 0; f < F; f++) gw[f * C + c]! += x[i * F + f]! * d;
    }
  }
  for (let k = 0; k < w.length; k++) w[k]! -= lr * gw[k]!;
  for (let c = 0; c < C; c++) b[c]! -= lr * gb[c]!;
}

test('hidden [] is the output layer alone: a kernel [features, classes] and a bias, from the output layer\'s own seeded draw', (t) => {
  const m = logistic();
  t.deepEqual([...m.params.keys()], ['output/kernel', 'output/bias']);
  t.is(parameterCount(m), F * C + C);
  t.deepEqual(m.params.get('output/kernel')!.shape, [F, C]);
  t.deepEqual(m.preActivations(tf.zeros([2, F])), [], 'no hidden nonlinearity for the probes');
  m.dispose();
});

test('logistic regression under SGD follows the closed-form gradient step by step (25 steps, within 1e-5)', async (t) => {
  const m = logistic();
  const w = Float64Array.from(m.params.get('output/kernel')!.dataSync());
  const b = Float64Array.from(m.params.get('output/bias')!.dataSync());
  t.deepEqual(Array.from(b), [0, 0, 0]);
  const batches: Int32Array[] = [];
  const result = await train(m, DATA, SPEC, 2, {onBatch: (_step, indices) => batches.push(Int32Array.from(indices))});
  t.is(result.status, 'ok');
  t.is(batches.length, SPEC.steps);
  for (const indices of batches) {
    const batch = gatherBatch(DATA.train, indices);
    sgdStep(w, b, batch.x, batch.y as Int32Array, SPEC.lr);
  }
  const worst = (a: ArrayLike<number>, e: Float64Array) => Math.max(...Array.from(e, (v, i) => Math.abs(a[i]! - v)));
  const dw = worst(m.params.get('output/kernel')!.dataSync(), w);
  const db = worst(m.params.get('output/bias')!.dataSync(), b);
  t.true(dw < 1e-5, `kernel: max |Δ| ${dw.toExponential(2)}`);
  t.true(db < 1e-5, `bias: max |Δ| ${db.toExponential(2)}`);
  // It learned: the last training loss is below chance's ln 3.
  t.true(result.points.at(-1)!.train_loss < Math.log(C), `train loss ${result.points.at(-1)!.train_loss}`);
  m.dispose();
});
