// BN evaluation modes (ema / population / batch) and weight norm's data-dependent init and
// mean-only pairing: each against a direct computation.

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {parse} from 'csv-parse/sync';
import type {ModelSpec, TrainSpec} from '../../src/spec/experiment.js';
import {Batcher, gatherBatch} from '../../src/data/batcher.js';
import {makeSynthetic} from '../../src/data/synthetic.js';
import {Mlp} from '../../src/models/mlp.js';
import {dense} from '../../src/nn/dense.js';
import {meanOnlyTrain} from '../../src/norms/mean-only.js';
import {createNorm} from '../../src/norms/registry.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import {weightNormKernel} from '../../src/norms/weight.js';
import * as tf from '../../src/tf.js';
import {evaluateModes, populationStatistics} from '../../src/train/eval-modes.js';
import {evaluate, train} from '../../src/train/trainer.js';
import {assertClose, cli, cliInProcess as nb, setupBackend, tempDir} from '../helpers.js';

test.before(setupBackend);

const DATA = makeSynthetic({features: 10, classes: 4, train_size: 400, test_size: 210, separation: 1.5, seed: 2});
const MODEL: ModelSpec = {kind: 'mlp', hidden: [16, 12], init: 'glorot_uniform', init_std: 0.01};
const SPEC: TrainSpec = {optimizer: 'sgd', lr: 0.2, batch_size: 20, steps: 40, eval_every: 20, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};
const mlp = (norm: string, options: Record<string, unknown> = {}, activation: 'relu' | 'tanh' = 'relu') =>
  new Mlp({model: MODEL, norm: resolveNorm(norm, options), activation, seed: 1, inputs: 10, classes: 4});
const rows = (split: typeof DATA.train, start: number, end: number) => tf.tensor2d(split.x.subarray(start * 10, end * 10), [end - start, 10]);

/** Alg. 2 by hand: the training network's batch statistics per layer, averaged over consecutive batches of m. */
function directPopulation(model: Mlp, m: number): Array<{mean: number[]; variance: number[]}> {
  const p = (name: string) => model.params.get(name)!;
  const layers = ['hidden1', 'hidden2'];
  const sums = layers.map(() => ({mean: tf.zeros([0]) as tf.Tensor, variance: tf.zeros([0]) as tf.Tensor, n: 0}));
  const batches = Math.floor(DATA.train.n / m);
  for (let b = 0; b < batches; b++) {
    let h: tf.Tensor2D = rows(DATA.train, b * m, (b + 1) * m);
    layers.forEach((layer, i) => {
      const z = tf.matMul(h, p(`${layer}/kernel`) as tf.Tensor2D);
      const {mean, variance} = tf.moments(z, 0);
      const s = sums[i]!;
      s.mean = s.n ? tf.add(s.mean, mean) : mean;
      s.variance = s.n ? tf.add(s.variance, variance) : variance;
      s.n++;
      const xhat = tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5)));
      h = tf.relu(tf.add(tf.mul(xhat, p(`${layer}/batch/gamma`)), p(`${layer}/batch/beta`))) as tf.Tensor2D;
    });
  }
  return sums.map((s) => ({
    mean: Array.from(tf.div(s.mean, s.n).dataSync()),
    variance: Array.from(tf.mul(tf.div(s.variance, s.n), m / (m - 1)).dataSync()),
  }));
}

test('population statistics equal a direct computation over the training set (Alg. 2: mean of batch means, m/(m−1) × mean of batch variances)', async (t) => {
  const model = mlp('batch');
  await train(model, DATA, SPEC, 1); // weights and γ, β away from their initial values
  for (const m of [20, 400]) {
    const got = [...populationStatistics(model, DATA, m).values()];
    const want = directPopulation(model, m);
    t.is(got.length, 2);
    got.forEach((g, i) => {
      assertClose(t, g.mean, want[i]!.mean, 2e-5, `layer ${i + 1} mean, m = ${m}`, true);
      assertClose(t, g.variance!, want[i]!.variance, 2e-5, `layer ${i + 1} variance, m = ${m}`, true);
    });
  }
  // With the whole training set as one batch, layer 1's statistics are the training set's own.
  const first = [...populationStatistics(model, DATA, 400).values()][0]!;
  const z = tf.matMul(rows(DATA.train, 0, 400), model.params.get('hidden1/kernel')! as tf.Tensor2D);
  const {mean, variance} = tf.moments(z, 0);
  assertClose(t, first.mean, mean, 1e-5, 'whole-set mean', true);
  assertClose(t, first.variance!, tf.mul(variance, 400 / 399), 1e-5, 'whole-set unbiased variance', true);
  model.dispose();
});

test('the three modes on the same trained weights: ema is the last evaluation, population and batch equal direct evaluations; nothing in the model changes', async (t) => {
  const model = mlp('batch');
  const result = await train(model, DATA, SPEC, 1, {evalModes: ['ema', 'population', 'batch']});
  const last = result.points.at(-1)!;
  t.deepEqual(result.evalModes.ema, {loss: last.test_loss, accuracy: last.test_accuracy});
  // Nothing changed: a plain evaluation gives the last point's numbers again.
  t.deepEqual(evaluate(model, DATA.test, DATA.task, DATA.classes), result.evalModes.ema);
  // batch: consecutive test batches of 20 in training mode (210 = 10 × 20 + 10: the last has 10).
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < 210; start += 20) {
    const end = Math.min(210, start + 20);
    tf.tidy(() => {
      const out = model.forward(rows(DATA.test, start, end), {training: true, updateStats: false});
      const y = tf.tensor1d(DATA.test.y.subarray(start, end) as Int32Array, 'int32');
      loss += tf.sum(tf.losses.softmaxCrossEntropy(tf.oneHot(y, 4), out, undefined, undefined, tf.Reduction.NONE)).dataSync()[0]!;
      correct += tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), y), 'int32')).dataSync()[0]!;
    });
  }
  t.true(Math.abs(result.evalModes.batch!.loss - loss / 210) < 1e-5, `${result.evalModes.batch!.loss} vs ${loss / 210}`);
  t.is(result.evalModes.batch!.accuracy, correct / 210);
  // population: the moving averages replaced by the direct population statistics.
  const want = directPopulation(model, 20);
  want.forEach((s, i) => {
    model.state.get(`hidden${i + 1}/batch/moving_mean`)!.assign(tf.tensor1d(s.mean));
    model.state.get(`hidden${i + 1}/batch/moving_variance`)!.assign(tf.tensor1d(s.variance));
  });
  const direct = evaluate(model, DATA.test, DATA.task, DATA.classes);
  t.true(Math.abs(result.evalModes.population!.loss - direct.loss) < 1e-5);
  t.is(result.evalModes.population!.accuracy, direct.accuracy);
  // The modes differ under BN (else the comparison would be empty).
  t.not(result.evalModes.batch!.loss, result.evalModes.ema!.loss);
  t.not(result.evalModes.population!.loss, result.evalModes.ema!.loss);
  model.dispose();
});

test('norms without batch statistics give the same numbers in every mode; mean-only, renorm and centered-stopgrad take part', async (t) => {
  for (const norm of ['none', 'layer', 'weight', 'rms']) {
    const model = mlp(norm);
    const r = await train(model, DATA, {...SPEC, steps: 10, eval_every: 10}, 1, {evalModes: ['ema', 'population', 'batch']});
    t.deepEqual(r.evalModes.population, r.evalModes.ema, norm);
    t.deepEqual(r.evalModes.batch, r.evalModes.ema, norm);
    model.dispose();
  }
  for (const [norm, options] of [['mean-only', {}], ['renorm', {}], ['centered-stopgrad', {}], ['weight', {mean_only: true}]] as const) {
    const model = mlp(norm, options);
    const r = await train(model, DATA, {...SPEC, steps: 10, eval_every: 10}, 1, {evalModes: ['ema', 'population', 'batch']});
    t.not(r.evalModes.batch!.loss, r.evalModes.ema!.loss, `${norm}: batch`);
    t.not(r.evalModes.population!.loss, r.evalModes.ema!.loss, `${norm}: population`);
    t.true([r.evalModes.batch!.loss, r.evalModes.population!.loss].every(Number.isFinite));
    model.dispose();
  }
});

test('weight norm init: data: per-unit pre-activations have mean 0 and variance 1 on the initialisation batch, layer by layer', (t) => {
  for (const options of [{init: 'data'}, {init: 'data', mean_only: true}]) {
    const model = mlp('weight', options, 'tanh');
    const first = gatherBatch(DATA.train, new Batcher(DATA.train.n, 20, 1).next());
    const x = tf.tensor2d(first.x, [20, 10]);
    model.initFromData(x);
    for (const {layer, z} of model.preActivations(x)) {
      // preActivations runs in evaluation mode; under mean_only the data init has set the moving
      // mean to the init batch's mean, so evaluation standardises that batch exactly too.
      const {mean, variance} = tf.moments(z, 0);
      assertClose(t, mean, tf.zerosLike(mean), 2e-6, `${JSON.stringify(options)} ${layer}: mean`);
      assertClose(t, variance, tf.onesLike(variance), 2e-5, `${JSON.stringify(options)} ${layer}: variance`);
    }
    model.dispose();
  }
  // init: norm (the default) keeps g = ‖v‖: the plain network's kernel.
  const plain = mlp('weight');
  const v = plain.params.get('hidden1/v')! as tf.Tensor2D;
  assertClose(t, plain.effectiveKernel('hidden1'), v, 1e-6, 'init: norm');
  plain.dispose();
});

test('the trainer runs the data init on the first training batch before step 0, without changing the batch order', async (t) => {
  const seen: number[][] = [];
  const model = mlp('weight', {init: 'data'});
  t.true(model.needsDataInit);
  t.false(mlp('weight').needsDataInit, 'init: norm asks for nothing');
  const result = await train(model, DATA, {...SPEC, steps: 3, eval_every: 3}, 1, {onBatch: (_s, idx) => seen.push(Array.from(idx))});
  const plainSeen: number[][] = [];
  const plain = mlp('none');
  await train(plain, DATA, {...SPEC, steps: 3, eval_every: 3}, 1, {onBatch: (_s, idx) => plainSeen.push(Array.from(idx))});
  t.deepEqual(seen, plainSeen);
  // Step 0's test loss is that of a fresh model initialised by hand on the first training batch…
  const byHand = mlp('weight', {init: 'data'});
  const first = gatherBatch(DATA.train, new Batcher(DATA.train.n, 20, 1).next());
  byHand.initFromData(tf.tensor2d(first.x, [20, 10]));
  t.is(result.points[0]!.test_loss, evaluate(byHand, DATA.test, DATA.task, DATA.classes).loss);
  // …and not that of the same model left at g = ‖v‖, nor of one initialised on another batch.
  t.not(result.points[0]!.test_loss, evaluate(mlp('weight', {init: 'data'}), DATA.test, DATA.task, DATA.classes).loss);
  const other = mlp('weight', {init: 'data'});
  other.initFromData(rows(DATA.train, 100, 120));
  t.not(result.points[0]!.test_loss, evaluate(other, DATA.test, DATA.task, DATA.classes).loss);
  for (const m of [model, plain, byHand, other]) m.dispose();
});

test('weight norm + mean-only BN is mean-only BN applied to the weight-normalised layer: β replaces the dense bias', (t) => {
  const model = mlp('weight', {mean_only: true}, 'tanh');
  t.deepEqual([...model.params.keys()].filter((k) => k.startsWith('hidden1')), ['hidden1/v', 'hidden1/weight/g', 'hidden1/weight/beta']);
  t.deepEqual([...model.state.keys()].filter((k) => k.startsWith('hidden1')), ['hidden1/weight/moving_mean']);
  model.dispose();
  const v = tf.randomNormal([10, 16], 0, 1, 'float32', 5) as tf.Tensor2D;
  const norm = createNorm(resolveNorm('weight', {mean_only: true}), {units: 16, kernel: v});
  norm.params.g!.assign(tf.linspace(0.5, 2, 16));
  norm.params.beta!.assign(tf.linspace(-1, 1, 16));
  const x = rows(DATA.train, 0, 20);
  const w = weightNormKernel(v, norm.params.g! as tf.Tensor1D);
  assertClose(t, norm.kernel(v), w, 1e-6, 'the kernel is g·v/‖v‖');
  const z = dense(x, norm.kernel(v));
  const want = meanOnlyTrain(z, norm.params.beta! as tf.Tensor1D).y;
  assertClose(t, norm.apply(z, {training: true, updateStats: true}), want, 1e-6, 'training: z − μ_B + β');
  // The moving mean took 1 − momentum of μ_B; evaluation subtracts it.
  const movingMean = tf.mul(tf.mean(z, 0), 0.1);
  assertClose(t, norm.apply(z, {training: false, updateStats: false}), tf.add(tf.sub(z, movingMean), norm.params.beta!), 1e-6, 'evaluation: z − μ_run + β');
  norm.dispose();
});

test('end to end: eval_modes adds test_loss_<mode>, test_accuracy_<mode> summary columns; a recurrent model is a located error', async (t) => {
  const dir = tempDir('normbench-evalmodes-');
  writeFileSync(join(dir, 'modes.yaml'), `name: modes
question: Which statistics serve at test time?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8, 8]}
train: {optimizer: sgd, lr: 0.2, batch_size: 12, steps: 20, eval_every: 10}
eval_modes: [ema, population, batch]
grid:
  norm: [none, batch]
`);
  const r = cli(['run', 'modes.yaml', '--out', 'out', '--quiet', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(r.code, 0, r.stderr);
  const summary = parse(readFileSync(join(dir, 'out/summary.csv'), 'utf8'), {columns: true}) as Array<Record<string, string>>;
  const cols = Object.keys(summary[0]!);
  const at = cols.indexOf('test_loss_ema');
  t.deepEqual(cols.slice(at, at + 6), ['test_loss_ema', 'test_accuracy_ema', 'test_loss_population', 'test_accuracy_population', 'test_loss_batch', 'test_accuracy_batch']);
  const none = summary.find((s) => s.norm === 'none')!;
  const bn = summary.find((s) => s.norm === 'batch')!;
  t.is(none.test_loss_population, none.test_loss_ema);
  t.is(none.test_loss_batch, none.test_loss_ema);
  t.is(bn.test_loss_ema, bn.final_test_loss);
  t.not(bn.test_loss_batch, bn.test_loss_ema);
  const report = await nb(['report', 'out', '--json'], dir);
  t.is(report.code, 0, report.stderr);
  t.regex(report.stdout, /test_accuracy_population/);
  writeFileSync(join(dir, 'lstm.yaml'), `name: lstm
question: q
dataset: {name: adding, length: 4, train_size: 32, test_size: 8}
model: {kind: lstm, hidden: 4}
train: {lr: 0.1, batch_size: 8, steps: 2, eval_every: 1}
eval_modes: [population]
`);
  t.regex((await nb(['validate', 'lstm.yaml'], dir)).stderr, /lstm\.yaml:6:13 \(eval_modes\): eval_modes evaluates an MLP's batch-statistics norms/);
});

test('weight norm options at their defaults stay out of the spec: the run ids of plain weight-norm runs are those made before the options existed', (t) => {
  const plain = resolveNorm('weight');
  t.deepEqual(plain.options, {});
  t.throws(() => resolveNorm('weight', {momentum: 0.5}), {message: /momentum .* applies with mean_only: true only/});
  t.deepEqual(resolveNorm('weight', {mean_only: true, momentum: 0.5}).options, {mean_only: true, momentum: 0.5});
  t.deepEqual(resolveNorm('weight', {init: 'norm', mean_only: false, momentum: 0.9}), plain);
  t.deepEqual(resolveNorm('weight', {init: 'data'}).options, {init: 'data'});
});
