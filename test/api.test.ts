// The package's main entry, imported by its name as a user would.

import test from './ava.js';
import * as api from 'normbench';

test.before(async () => {
  await api.useBackend(process.env.NORMBENCH_TEST_BACKEND ?? 'wasm');
});

test('the public API builds norms and models and trains without the CLI', async (t) => {
  const {tf} = api;
  const kernel = tf.ones([3, 4]) as api.tf.Tensor2D;
  const ln = api.createNorm('layer', {units: 4, kernel});
  const y = ln.apply(tf.tensor2d([[1, 2, 3, 4]]), {training: false, updateStats: false});
  const v = y.dataSync();
  t.true(Math.abs(v[0]! + 1.3416) < 1e-3, `LN of 1..4: ${Array.from(v)}`);

  const data = api.makeSynthetic({features: 5, classes: 2, train_size: 80, test_size: 40, separation: 3, seed: 2});
  const model = api.buildModel({
    model: {kind: 'mlp', hidden: [6], init: 'glorot_uniform', init_std: 0.01},
    norm: api.resolveNorm('batch', {momentum: 0.8}),
    activation: 'tanh',
    seed: 1,
    inputs: 5,
    classes: 2,
  });
  t.is(api.parameterCount(model), 5 * 6 + 12 + 6 * 2 + 2);
  const result = await api.train(model, data, {optimizer: 'adam', lr: 0.05, batch_size: 16, steps: 40, eval_every: 20, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9}, 1);
  model.dispose();
  t.is(result.status, 'ok');
  t.true(result.points.at(-1)!.test_accuracy! > 0.9);
});

test('NORMS lists each norm once, the registry has exactly those, and the norms the quickstart compares are there', (t) => {
  t.is(new Set(api.NORMS).size, api.NORMS.length, `a name listed twice: ${api.NORMS.join(', ')}`);
  t.deepEqual(Object.keys(api.NORM_CATALOG).sort(), [...api.NORMS].sort());
  for (const name of ['none', 'batch', 'layer', 'weight']) t.true((api.NORMS as readonly string[]).includes(name), name);
});

test('every listed norm either sits on a dense layer — the right shapes, in training and evaluation — or says it is not built for an MLP', (t) => {
  const {tf} = api;
  const units = 8;
  const kernel = tf.randomNormal([5, units], 0, 1, 'float32', 1) as api.tf.Tensor2D;
  const z = tf.randomNormal([6, units], 0, 1, 'float32', 2) as api.tf.Tensor2D;
  let dense = 0;
  for (const name of api.NORMS) {
    if (!api.NORM_CATALOG[name].contexts.includes('dense')) {
      const error = t.throws(() => api.createNorm(name, {units, kernel}), {instanceOf: api.UserError}, name);
      t.regex(error?.message ?? '', new RegExp(`norm "${name}" is not built for model mlp`), name);
      continue;
    }
    dense++;
    const norm = api.createNorm(name, {units, kernel});
    t.deepEqual(norm.kernel(kernel).shape, [5, units], `${name}: effective kernel`);
    for (const training of [true, false]) {
      const out = norm.apply(z, {training, updateStats: training});
      t.deepEqual(out.shape, [6, units], `${name}: output, training ${training}`);
      t.true(Array.from(out.dataSync()).every(Number.isFinite), `${name}: finite output, training ${training}`);
    }
    for (const [key, v] of Object.entries(norm.params)) t.deepEqual(v.shape, [units], `${name}: ${key} has one value per unit`);
    norm.dispose();
  }
  t.true(dense >= 4, `${dense} norms on a dense layer`);
});

test('createNorm with a misspelt name throws a UserError suggesting the nearest norm', (t) => {
  const kernel = api.tf.ones([3, 4]) as api.tf.Tensor2D;
  const error = t.throws(() => api.createNorm('bacth' as api.NormName, {units: 4, kernel}), {instanceOf: api.UserError});
  t.regex(error?.message ?? '', /Unknown norm "bacth" — did you mean "batch"\?/);
  t.throws(() => api.resolveNorm('layr'), {instanceOf: api.UserError, message: /did you mean "layer"\?/});
});
