// The package's main entry, imported by its name as a user would.

import test from 'ava';
import * as api from 'normbench';

test('the public API builds norms and models and trains without the CLI', async (t) => {
  await api.useBackend(process.env.NORMBENCH_TEST_BACKEND ?? 'wasm');
  const {tf} = api;
  const kernel = tf.ones([3, 4]) as api.tf.Tensor2D;
  const ln = api.createNorm('layer', {units: 4, kernel});
  const y = ln.apply(tf.tensor2d([[1, 2, 3, 4]]), {training: false, updateStats: false});
  const v = y.dataSync();
  t.true(Math.abs(v[0]! + 1.3416) < 1e-3, `LN of 1..4: ${Array.from(v)}`);
  t.deepEqual([...api.NORMS], ['none', 'batch', 'layer', 'weight', 'group', 'rms', 'renorm', 'mean-only', 'centered-stopgrad', 'bn-rnn']);

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
