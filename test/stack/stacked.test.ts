// Replicates stacked into one model train exactly as they would alone: each replicate's curve
// points, status and loss AUC are its unstacked `train` run's bit for bit (timing aside), and so
// are its final weights and moving averages.

import test from '../ava.js';
import type {ModelSpec, NormSpec, TrainSpec} from '../../src/spec/experiment.js';
import {makeSynthetic} from '../../src/data/synthetic.js';
import {Mlp} from '../../src/models/mlp.js';
import type {ActivationName, NormName} from '../../src/spec/names.js';
import {resolveNorm} from '../../src/norms/catalog.js';
import {STACKED_NORMS} from '../../src/stack/mlp.js';
import {stackRefusal, STACKING_BACKENDS, trainStacked, type Replicate} from '../../src/stack/trainer.js';
import * as tf from '../../src/tf.js';
import {train, type TrainResult} from '../../src/train/trainer.js';
import {setupBackend, TEST_BACKEND} from '../helpers.js';

test.before(setupBackend);

// Stacking is off on the other backends (tensorflow): there the tests that train stacks are
// skipped, and their titles say so — visibly, not as passes that checked nothing.
const stackingHere = STACKING_BACKENDS.includes(TEST_BACKEND);
const stackTest = stackingHere ? test : test.skip;
const title = (what: string) => (stackingHere ? what : `${what} (skipped on ${TEST_BACKEND}: stacking is off there, its stacked arithmetic is not bit for bit the unstacked one)`);

const DATA = makeSynthetic({features: 30, classes: 4, train_size: 400, test_size: 200, separation: 1.5, seed: 1});
const MODEL: ModelSpec = {kind: 'mlp', hidden: [24, 24], init: 'glorot_uniform', init_std: 0.01};
const SPEC: TrainSpec = {optimizer: 'sgd', lr: 0.1, batch_size: 20, steps: 120, eval_every: 40, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};
const SEEDS = [1, 2, 3];

function mlp(norm: NormName | NormSpec, activation: ActivationName, seed: number, model: ModelSpec = MODEL): Mlp {
  return new Mlp({model, norm: typeof norm === 'string' ? resolveNorm(norm) : norm, activation, seed, inputs: 30, classes: 4});
}

const untimed = (r: TrainResult) => ({...r, wall_ms: 0, steps_per_s: 0, points: r.points.map((p) => ({...p, wall_ms: 0}))});
const values = (m: Mlp) => Object.fromEntries([...m.params, ...m.state].map(([k, v]) => [k, Array.from(v.dataSync())]));

interface Outcome {
  results: TrainResult[];
  weights: Array<Record<string, number[]>>;
}

async function unstacked(norm: NormName | NormSpec, activation: ActivationName, lrs: number[], model: ModelSpec = MODEL): Promise<Outcome> {
  const results: TrainResult[] = [];
  const weights: Array<Record<string, number[]>> = [];
  for (const [i, seed] of SEEDS.entries()) {
    const m = mlp(norm, activation, seed, model);
    results.push(await train(m, DATA, {...SPEC, lr: lrs[i]!}, seed));
    weights.push(values(m));
    m.dispose();
  }
  return {results, weights};
}

async function stacked(norm: NormName | NormSpec, activation: ActivationName, lrs: number[], model: ModelSpec = MODEL): Promise<Outcome> {
  const replicates: Replicate[] = SEEDS.map((seed, i) => ({model: mlp(norm, activation, seed, model), seed, spec: {...SPEC, lr: lrs[i]!}}));
  const results = await trainStacked(replicates, DATA);
  const weights = replicates.map((r) => values(r.model));
  for (const r of replicates) r.model.dispose();
  return {results, weights};
}

stackTest(title('each stacked replicate trains exactly as its unstacked run, for every stackable norm and activation'), async (t) => {
  for (const norm of STACKED_NORMS) {
    for (const activation of ['relu', 'sigmoid', 'tanh'] as const) {
      const lrs = [0.1, 0.1, 0.1];
      const [a, b] = [await unstacked(norm, activation, lrs), await stacked(norm, activation, lrs)];
      t.deepEqual(b.results.map(untimed), a.results.map(untimed), `${norm} ${activation}: results`);
      t.deepEqual(b.weights, a.weights, `${norm} ${activation}: final weights and moving averages`);
      t.is(b.results[0]!.status, 'ok');
    }
  }
});

stackTest(title('replicates with different learning rates share a stack and each keeps its own'), async (t) => {
  const lrs = [0.03, 0.1, 0.3];
  const [a, b] = [await unstacked('batch', 'relu', lrs), await stacked('batch', 'relu', lrs)];
  t.deepEqual(b.results.map(untimed), a.results.map(untimed));
  t.deepEqual(b.weights, a.weights);
  t.notDeepEqual(b.results[0]!.points.at(-1), b.results[2]!.points.at(-1));
});

stackTest(title('dropout (issue 18), a norm after the activation and logistic regression stack bit for bit too, leaving no tensor behind'), async (t) => {
  const cases: Array<{norm: NormName | NormSpec; activation: ActivationName; model: ModelSpec}> = [
    {norm: 'none', activation: 'relu', model: {...MODEL, dropout: 0.3}},
    {norm: 'batch', activation: 'tanh', model: {...MODEL, dropout: 0.5}},
    {norm: resolveNorm('batch', {placement: 'post'}), activation: 'sigmoid', model: {...MODEL, dropout: 0.2}},
    {norm: resolveNorm('layer', {placement: 'post'}), activation: 'relu', model: MODEL},
    {norm: 'none', activation: 'relu', model: {...MODEL, hidden: []}},
  ];
  for (const {norm, activation, model} of cases) {
    const what = `${typeof norm === 'string' ? norm : JSON.stringify(norm)} ${activation} ${JSON.stringify(model.kind === 'mlp' && [model.hidden, model.dropout])}`;
    const lrs = [0.03, 0.1, 0.3];
    const before = tf.memory().numTensors;
    const [a, b] = [await unstacked(norm, activation, lrs, model), await stacked(norm, activation, lrs, model)];
    t.is(tf.memory().numTensors, before, `${what}: nothing left behind`);
    t.deepEqual(b.results.map(untimed), a.results.map(untimed), `${what}: results`);
    t.deepEqual(b.weights, a.weights, `${what}: final weights and moving averages`);
    t.true(b.results.every((r) => r.status === 'ok'), what);
  }
  // Dropout changed the training (the comparison above is not of two dropout-free runs).
  const plain = await stacked('none', 'relu', [0.1, 0.1, 0.1]);
  const dropped = await stacked('none', 'relu', [0.1, 0.1, 0.1], {...MODEL, dropout: 0.3});
  t.notDeepEqual(dropped.weights[0], plain.weights[0]);
});

stackTest(title('a diverging replicate is recorded at its step while the others go on'), async (t) => {
  const lrs = [0.1, 1e6, 0.1];
  const [a, b] = [await unstacked('none', 'relu', lrs), await stacked('none', 'relu', lrs)];
  t.is(a.results[1]!.status, 'diverged');
  t.true(a.results[1]!.steps < SPEC.steps);
  t.deepEqual(b.results.map(untimed), a.results.map(untimed));
  // All three, the diverged one included (its replica keeps the weights of its diverging step).
  t.deepEqual(b.weights, a.weights);
});

stackTest(title('the tensor count stays flat across stacked steps and returns to where it was'), async (t) => {
  for (const norm of STACKED_NORMS) {
    const replicates: Replicate[] = SEEDS.map((seed) => ({model: mlp(norm, 'relu', seed), seed, spec: {...SPEC, steps: 30, eval_every: 10}}));
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    replicates[0]!.hooks = {onStep: (step) => void (step >= 3 && counts.push(tf.memory().numTensors))};
    await trainStacked(replicates, DATA);
    t.true(counts.length > 0 && counts.every((c) => c === counts[0]), `${norm}: ${[...new Set(counts)].join(', ')}`);
    t.is(tf.memory().numTensors, before, `${norm}: nothing left behind`);
    for (const r of replicates) r.model.dispose();
  }
});

test('runs that differ in more than seed and learning rate, or need what a stack lacks, are refused', (t) => {
  const replicate = (norm: NormName, seed: number, spec: Partial<TrainSpec> = {}): Replicate => ({model: mlp(norm, 'relu', seed), seed, spec: {...SPEC, ...spec}});
  const cases: Array<[Replicate[], RegExp]> = [
    [[replicate('none', 1)], /at least 2/],
    [[replicate('weight', 1), replicate('weight', 2)], /cannot be stacked/],
    [[replicate('none', 1, {optimizer: 'adam'}), replicate('none', 2, {optimizer: 'adam'})], /plain SGD/],
    [[replicate('none', 1, {clip_norm: 1}), replicate('none', 2, {clip_norm: 1})], /plain SGD/],
    [[replicate('none', 1), replicate('batch', 2)], /differ/],
    [[replicate('none', 1), replicate('none', 2, {batch_size: 10})], /differ/],
  ];
  for (const [replicates, reason] of cases) {
    t.regex(stackRefusal(replicates, DATA, 'wasm') ?? '', reason);
    for (const r of replicates) r.model.dispose();
  }
  const pair = [replicate('none', 1), replicate('none', 2, {lr: 0.5})];
  t.is(stackRefusal(pair, DATA, 'wasm'), undefined);
  t.regex(stackRefusal(pair, DATA, 'tensorflow') ?? '', /off on the tensorflow backend/);
  for (const r of pair) r.model.dispose();
});
