import test from '../ava.js';
import type {ModelSpec, TrainSpec} from '../../src/spec/experiment.js';
import {type NormName, NORMS, type OptimizerName} from '../../src/spec/names.js';
import {makeSynthetic} from '../../src/data/synthetic.js';
import {Mlp} from '../../src/models/mlp.js';
import {normModels, resolveNorm} from '../../src/norms/catalog.js';
import * as tf from '../../src/tf.js';
import {runMetrics} from '../../src/train/metrics.js';
import {train} from '../../src/train/trainer.js';
import type {CurvePoint} from '../../src/spec/records.js';
import {setupBackend} from '../helpers.js';

test.before(setupBackend);

/** The norms built for the MLP (recurrent cells are tested in test/models/rnn.test.ts). */
const MLP_NORMS = NORMS.filter((n) => normModels(n).includes('mlp'));

const DATA = makeSynthetic({features: 10, classes: 4, train_size: 400, test_size: 200, separation: 1.5, seed: 1});
const MODEL: ModelSpec = {kind: 'mlp', hidden: [16, 16], init: 'glorot_uniform', init_std: 0.01};
const SPEC: TrainSpec = {optimizer: 'sgd', lr: 0.1, batch_size: 20, steps: 150, eval_every: 50, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};

function model(norm: NormName, activation: 'relu' | 'sigmoid' | 'tanh' = 'relu'): Mlp {
  return new Mlp({model: MODEL, norm: resolveNorm(norm), activation, seed: 1, inputs: 10, classes: 4});
}

test('the tensor count stays flat across training steps, and returns to where it was', async (t) => {
  for (const norm of MLP_NORMS) {
    const m = model(norm);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train(m, DATA, {...SPEC, optimizer: 'adam', clip_norm: 1, steps: 40, eval_every: 10}, 1, {
      onStep: (step) => {
        if (step >= 3) counts.push(tf.memory().numTensors);
      },
    });
    t.true(counts.every((c) => c === counts[0]), `${norm}: ${[...new Set(counts)].join(', ')}`);
    t.is(tf.memory().numTensors, before, `${norm}: nothing left behind by the run`);
    m.dispose();
  }
});

test('every norm learns the synthetic task well above chance (25%)', async (t) => {
  for (const norm of MLP_NORMS) {
    const m = model(norm, 'tanh');
    const r = await train(m, DATA, SPEC, 1);
    m.dispose();
    t.is(r.status, 'ok');
    t.deepEqual(r.points.map((p) => p.step), [0, 50, 100, 150]);
    const last = r.points.at(-1)!;
    // The counter-example's biases drift every step (Ioffe & Szegedy §2) and its moving mean
    // trails them, so evaluation is off by the lag: it learns (the loss falls as the others')
    // but tests lower (0.73 here; 0.84 with momentum 0.5).
    const floor = norm === 'centered-stopgrad' ? 0.6 : 0.75;
    t.true(last.test_accuracy! > floor, `${norm}: ${last.test_accuracy}`);
    t.true(last.train_loss < r.points[0]!.train_loss, `${norm}: loss fell`);
  }
});

test('each optimizer lowers the training loss', async (t) => {
  const lrs: Record<OptimizerName, number> = {sgd: 0.1, momentum: 0.05, adam: 0.01, rmsprop: 0.01};
  for (const optimizer of Object.keys(lrs) as OptimizerName[]) {
    const m = model('batch');
    const r = await train(m, DATA, {...SPEC, optimizer, lr: lrs[optimizer], steps: 100}, 1);
    m.dispose();
    t.true(r.points.at(-1)!.train_loss < 0.7 * r.points[0]!.train_loss, `${optimizer}: ${r.points.map((p) => p.train_loss.toFixed(3))}`);
  }
});

test('clipping by global norm bounds each update', async (t) => {
  const step = async (clip?: number) => {
    const m = model('none');
    const before = m.params.get('hidden1/kernel')!.dataSync().slice();
    await train(m, DATA, {...SPEC, lr: 1, steps: 1, eval_every: 1, clip_norm: clip}, 1);
    const after = m.params.get('hidden1/kernel')!.dataSync();
    let sq = 0;
    for (let i = 0; i < after.length; i++) sq += (after[i]! - before[i]!) ** 2;
    m.dispose();
    return Math.sqrt(sq);
  };
  const free = await step();
  const clipped = await step(1e-3);
  t.true(clipped <= 1e-3 * 1.0001, `clipped update ${clipped}`);
  t.true(free > 10 * clipped, `unclipped update ${free}`);
});

test('a run whose loss becomes non-finite is marked diverged and stops there', async (t) => {
  const m = model('none');
  const r = await train(m, DATA, {...SPEC, lr: 1e10, steps: 100}, 1);
  m.dispose();
  t.is(r.status, 'diverged');
  t.true(r.steps < 100, `stopped at ${r.steps}`);
  t.regex(r.message!, /training loss became (NaN|Infinity) at step \d+/);
  t.is(r.points.at(-1)!.step, r.steps);
});

test('the same run twice gives the same numbers', async (t) => {
  const once = async () => {
    const m = model('batch', 'sigmoid');
    const r = await train(m, DATA, {...SPEC, steps: 60, eval_every: 20}, 1);
    m.dispose();
    return r.points.map(({wall_ms: _w, ...p}) => p);
  };
  t.deepEqual(await once(), await once());
});

test('convergence metrics: targets, best step, loss AUC', (t) => {
  const p = (step: number, acc: number, loss: number): CurvePoint =>
    ({step, epoch: 0, train_loss: loss, train_accuracy: acc, test_loss: loss, test_accuracy: acc, wall_ms: step * 10});
  const result = {status: 'ok' as const, steps: 300, train_loss_auc: 0.8, steps_per_s: 100, wall_ms: 3000, gradientFlow: [], diagnostics: [], evalModes: {},
    points: [p(0, 0.1, 2.3), p(100, 0.72, 0.9), p(200, 0.85, 0.5), p(300, 0.83, 0.45)]};
  const m = runMetrics(result, {test_accuracy: [0.7, 0.8, 0.9], test_loss: [0.5]});
  t.is(m.final_test_accuracy, 0.83);
  t.is(m.best_test_accuracy, 0.85);
  t.is(m.best_step, 200);
  t.deepEqual(m.targets.map((x) => [x.key, x.step, x.seconds]), [
    ['test_accuracy_0.7', 100, 1], ['test_accuracy_0.8', 200, 2], ['test_accuracy_0.9', undefined, undefined], ['test_loss_0.5', 200, 2],
  ]);
  t.is(m.wall_s, 3);
});
