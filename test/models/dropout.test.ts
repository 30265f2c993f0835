// model.dropout (issue 18): inverted dropout on each hidden layer's output at training steps.
// The masks are keyed by (seed, step, layer), so twin runs — the same seed, another norm — drop
// the same units; a unit is kept with probability 1 − p and scaled by 1/(1 − p), so the mean is
// kept; evaluation (and every pass without a step: probes, statistics) drops nothing; and
// dropout 0 with placement pre, written out, trains the committed smoke reference bit for bit.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import type {ModelSpec, NormSpec, TrainSpec} from '../../src/spec/experiment.js';
import {makeSynthetic} from '../../src/data/synthetic.js';
import {Mlp} from '../../src/models/mlp.js';
import type {Model} from '../../src/models/types.js';
import {dropoutMask} from '../../src/nn/dropout.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import type {ActivationName} from '../../src/spec/names.js';
import * as tf from '../../src/tf.js';
import {runProbes} from '../../src/train/probes.js';
import {batchLoss, train} from '../../src/train/trainer.js';
import {cliInProcess as nb, readCsv, REPO, setupBackend, tempDir, untimed} from '../helpers.js';

let X: tf.Tensor2D;
test.before(async () => {
  await setupBackend();
  X = tf.tensor2d(DATA.train.x.subarray(0, 64 * 10), [64, 10]);
});

const MODEL: ModelSpec = {kind: 'mlp', hidden: [32, 24], init: 'glorot_uniform', init_std: 0.01, dropout: 0.5};
const DATA = makeSynthetic({features: 10, classes: 4, train_size: 400, test_size: 200, separation: 1.5, seed: 1});
const SPEC: TrainSpec = {optimizer: 'sgd', lr: 0.1, batch_size: 20, steps: 40, eval_every: 20, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};

function mlp(norm: NormSpec | string, activation: ActivationName = 'sigmoid', model: ModelSpec = MODEL, seed = 7): Mlp {
  return new Mlp({model, norm: typeof norm === 'string' ? resolveNorm(norm) : norm, activation, seed, inputs: 10, classes: 4});
}

/** Where a layer's output is exactly 0, as a 0/1 string (sigmoid outputs, and norms of them, are never 0 otherwise). */
function zeros(h: tf.Tensor): string {
  return Array.from(h.dataSync(), (v) => (v === 0 ? '1' : '0')).join('');
}

test('twin runs draw the same masks: none, batch and layer after φ drop the same units at each step and layer', (t) => {
  const nets = [mlp('none'), mlp('batch'), mlp(resolveNorm('layer', {placement: 'post'})), mlp('none', 'tanh')];
  for (const step of [1, 2, 57]) {
    const traces = nets.map((m) => m.trace(X, {training: true, updateStats: false, step}));
    for (const [l, layer] of ['hidden1', 'hidden2'].entries()) {
      const units = MODEL.kind === 'mlp' ? MODEL.hidden[l]! : 0;
      const mask = Array.from(dropoutMask(7, step, layer, 64, units, 0.5), (v) => (v === 0 ? '1' : '0')).join('');
      for (const [i, trace] of traces.entries()) {
        t.is(trace[l]!.layer, layer);
        t.is(zeros(trace[l]!.h), mask, `step ${step} ${layer}: net ${i} drops the units of the mask`);
      }
      const dropped = [...mask].filter((c) => c === '1').length / mask.length;
      t.true(Math.abs(dropped - 0.5) < 0.05, `step ${step} ${layer}: dropped ${dropped}`);
    }
    tf.dispose(traces.flatMap((trace) => trace.flatMap((l) => [l.z, l.h])));
  }
  // Another step, layer or seed: another mask.
  const m = (seed: number, step: number, layer: string) => Array.from(dropoutMask(seed, step, layer, 64, 32, 0.5)).join();
  t.not(m(7, 1, 'hidden1'), m(7, 2, 'hidden1'));
  t.not(m(7, 1, 'hidden1'), m(7, 1, 'hidden2'));
  t.not(m(7, 1, 'hidden1'), m(8, 1, 'hidden1'));
  for (const net of nets) net.dispose();
});

test('a training step multiplies each hidden output by its mask, 0 or 1/(1 − p), bit for bit', (t) => {
  const m = mlp('batch', 'relu', {...MODEL, dropout: 0.3});
  const [plain] = m.trace(X, {training: true, updateStats: false});
  const [dropped] = m.trace(X, {training: true, updateStats: false, step: 3});
  const mask = dropoutMask(7, 3, 'hidden1', 64, 32, 0.3);
  t.deepEqual([...new Set(mask)].sort(), [0, Math.fround(1 / 0.7)]);
  const h = plain!.h.dataSync();
  t.deepEqual(Array.from(dropped!.h.dataSync()), Array.from(h, (v, i) => Math.fround(v * mask[i]!)));
  t.deepEqual(Array.from(dropped!.z.dataSync()), Array.from(plain!.z.dataSync()), 'z, the input of φ, is before the dropout');
  tf.dispose([plain!.z, plain!.h, dropped!.z, dropped!.h]);
  m.dispose();
});

test('inverted dropout keeps the mean: masks average 1 and drop a fraction p; E over steps of h̃ is h', (t) => {
  for (const p of [0.1, 0.5, 0.8]) {
    const mask = dropoutMask(3, 1, 'hidden1', 1000, 100, p);
    let sum = 0;
    let dropped = 0;
    for (const v of mask) {
      sum += v;
      if (v === 0) dropped++;
    }
    // 100 000 Bernoulli draws: the standard error of the dropped fraction is ≤ 0.0016, of the mean ≤ 0.0063.
    t.true(Math.abs(dropped / mask.length - p) < 0.01, `p ${p}: dropped ${dropped / mask.length}`);
    t.true(Math.abs(sum / mask.length - 1) < 0.03, `p ${p}: mean mask ${sum / mask.length}`);
  }
  // Over 200 steps the mean of each unit's dropped output approaches its output (relative, pooled).
  const m = mlp('none', 'sigmoid', {...MODEL, dropout: 0.5});
  const [plain] = m.trace(X, {training: true, updateStats: false});
  const h = plain!.h.dataSync();
  const acc = new Float64Array(h.length);
  for (let step = 1; step <= 200; step++) {
    const [layer] = m.trace(X, {training: true, updateStats: false, step});
    layer!.h.dataSync().forEach((v, i) => (acc[i]! += v / 200));
    tf.dispose([layer!.z, layer!.h]);
  }
  let err = 0;
  let total = 0;
  h.forEach((v, i) => {
    err += Math.abs(acc[i]! - v);
    total += v;
  });
  // Each unit's mean of 200 draws of 2·h·Bernoulli(½) has relative standard error 1/√200 ≈ 0.071.
  t.true(err / total < 0.1, `mean relative error ${(err / total).toFixed(4)}`);
  t.true(Math.abs(acc.reduce((a, b) => a + b, 0) / total - 1) < 0.01, 'the pooled mean is kept within 1 %');
  tf.dispose([plain!.z, plain!.h]);
  m.dispose();
});

test('evaluation, and training-mode passes without a step (probes, statistics), drop nothing', (t) => {
  const a = mlp('batch', 'relu', {...MODEL, dropout: 0.5});
  const b = mlp('batch', 'relu', {...MODEL, dropout: undefined});
  for (const ctx of [{training: false, updateStats: false}, {training: true, updateStats: false}, {training: false, updateStats: false, step: 5}]) {
    const [ya, yb] = [a.forward(X, ctx), b.forward(X, ctx)];
    t.deepEqual(Array.from(ya.dataSync()), Array.from(yb.dataSync()), JSON.stringify(ctx));
    tf.dispose([ya, yb]);
  }
  const [ya, yb] = [a.forward(X, {training: true, updateStats: false, step: 5}), b.forward(X, {training: true, updateStats: false, step: 5})];
  t.notDeepEqual(Array.from(ya.dataSync()), Array.from(yb.dataSync()), 'a training step does drop');
  tf.dispose([ya, yb]);
  a.dispose();
  b.dispose();
});

test('the probes of a dropout network are those of its twin without dropout (they draw no random number)', (t) => {
  const probes = ['activation_percentiles', 'dead_units', 'grad_norms', 'param_norms'] as const;
  const [a, b] = [mlp('batch', 'relu', {...MODEL, dropout: 0.5}), mlp('batch', 'relu', {...MODEL, dropout: undefined})];
  const values = (m: Mlp) => runProbes(m, DATA, probes, {activation: 'relu', batch: 20, loss: batchLoss});
  const va = values(a);
  t.true(va.length > 10);
  t.deepEqual(va, values(b));
  a.dispose();
  b.dispose();
});

test('training with dropout: twin runs drop the same units at every step, the tensor count stays flat, and dropout changes the run', async (t) => {
  const results = [];
  const dropped: string[][] = [];
  for (const [norm, model] of [['none', MODEL], ['batch', MODEL], ['none', {...MODEL, dropout: undefined}]] as const) {
    const m = mlp(norm, 'sigmoid', model);
    // The trainer's model, watched: at each training step, which units of hidden1 its pass drops
    // (the same pass again without updating statistics: the mask does not depend on them).
    const seen: string[] = [];
    const watched: Model = {
      kind: m.kind, params: m.params, state: m.state, dispose: () => m.dispose(),
      forward: (x, ctx) => {
        if (ctx.step !== undefined) {
          const [first] = m.trace(x, {...ctx, updateStats: false});
          seen.push(zeros(first!.h));
          tf.dispose([first!.z, first!.h]);
        }
        return m.forward(x, ctx);
      },
    };
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    results.push(await train(watched, DATA, SPEC, 7, {onStep: (step) => void (step >= 3 && counts.push(tf.memory().numTensors))}));
    t.true(counts.length > 0 && counts.every((c) => c === counts[0]), `${norm}: ${[...new Set(counts)].join(', ')}`);
    t.is(tf.memory().numTensors, before, `${norm}: nothing left behind`);
    dropped.push(seen);
    m.dispose();
  }
  t.is(dropped[0]!.length, SPEC.steps);
  t.deepEqual(dropped[1], dropped[0], 'none and batch: the same units dropped at every step');
  t.is(new Set(dropped[0]).size, SPEC.steps, 'a new mask every step');
  t.true(dropped[2]!.every((z) => !z.includes('1')), 'without dropout nothing is 0');
  t.true(results.every((r) => r.status === 'ok'));
  t.not(results[0]!.points.at(-1)!.train_loss, results[2]!.points.at(-1)!.train_loss, 'dropout 0.5 trains another network than none');
});

test('dropout 0 and placement pre, written out, train the committed smoke reference bit for bit (and keep its run ids)', async (t) => {
  const dir = tempDir('normbench-dropout-');
  writeFileSync(join(dir, 'smoke-explicit.yaml'), `extends: smoke
model: {dropout: 0}
grid:
  norm: [none, {name: batch, placement: pre}, {name: layer, placement: pre}, weight]
  activation: [relu, sigmoid]
`);
  // The reference was made on wasm; so is this run, whatever backend the suite tests.
  const r = await nb(['run', 'smoke-explicit.yaml', '--out', 'out', '--backend', 'wasm', '--workers', '1', '--quiet'], dir);
  t.is(r.code, 0, r.stderr);
  const reference = join(REPO, 'results', 'reference', 'smoke');
  for (const file of ['curves.csv', 'summary.csv']) {
    const now = untimed(readCsv(join(dir, 'out', file)));
    const ids = new Set(now.map((row) => row.run_id));
    const ref = untimed(readCsv(join(reference, file))).filter((row) => ids.has(row.run_id!));
    t.is(ids.size, 8, `${file}: 8 runs`);
    t.is(new Set(ref.map((row) => row.run_id)).size, 8, `${file}: every run id is one of the reference's`);
    t.deepEqual(now, ref, `${file}: the same bytes as the reference's rows (timing aside)`);
  }
});
