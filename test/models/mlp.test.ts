// Identical networks: for one seed, every norm × activation variant starts from the same weights
// for the parameters they share, and sees the same batches in the same order.

import test from '../ava.js';
import type {ModelSpec} from '../../src/spec/experiment.js';
import {makeSynthetic} from '../../src/data/synthetic.js';
import {Mlp} from '../../src/models/mlp.js';
import {parameterCount} from '../../src/models/types.js';
import {ACTIVATIONS, type NormName, NORMS} from '../../src/spec/names.js';
import {resolveNorm, normModels} from '../../src/norms/catalog.js';
import * as tf from '../../src/tf.js';
import {train} from '../../src/train/trainer.js';
import {setupBackend} from '../helpers.js';

/** The norms built for the MLP (bn-rnn lives in recurrent cells only). */
const MLP_NORMS = NORMS.filter((n): n is Exclude<NormName, 'bn-rnn' | 'instance'> => normModels(n).includes('mlp'));

test.before(setupBackend);

const MODEL: ModelSpec = {kind: 'mlp', hidden: [100, 100, 100], init: 'glorot_uniform', init_std: 0.01};

function mlp(norm: NormName, activation: (typeof ACTIVATIONS)[number] = 'relu', seed = 1, model = MODEL, inputs = 784): Mlp {
  return new Mlp({model, norm: resolveNorm(norm), activation, seed, inputs, classes: 10});
}

test('parameter counts of 784-100-100-100-10 per norm', (t) => {
  // none: 784·100+100 + 2·(100·100+100) + 100·10+10. batch/layer/group/renorm: the 3 hidden
  // biases go, γ and β (2·100 per layer) come. weight: g (100 per layer) joins the kernel v and
  // the bias. rms: γ joins the bias (no centring, so the bias stays). mean-only: β replaces the
  // bias. centered-stopgrad: no parameters, the bias stays.
  const expected: Record<(typeof MLP_NORMS)[number], number> = {
    none: 99710, batch: 100010, layer: 100010, weight: 100010,
    group: 100010, rms: 100010, renorm: 100010, 'mean-only': 99710, 'centered-stopgrad': 99710,
  };
  for (const norm of MLP_NORMS) {
    const m = mlp(norm);
    t.is(parameterCount(m), expected[norm], norm);
    m.dispose();
  }
});

test('parameter names say what each parameter is', (t) => {
  const names = (norm: NormName) => {
    const m = mlp(norm);
    const out = [...m.params.keys(), ...m.state.keys()].filter((k) => k.startsWith('hidden1/'));
    m.dispose();
    return out;
  };
  t.deepEqual(names('none'), ['hidden1/kernel', 'hidden1/bias']);
  t.deepEqual(names('batch'), ['hidden1/kernel', 'hidden1/batch/gamma', 'hidden1/batch/beta', 'hidden1/batch/moving_mean', 'hidden1/batch/moving_variance']);
  t.deepEqual(names('layer'), ['hidden1/kernel', 'hidden1/layer/gamma', 'hidden1/layer/beta']);
  t.deepEqual(names('weight'), ['hidden1/v', 'hidden1/bias', 'hidden1/weight/g']);
  t.deepEqual(names('group'), ['hidden1/kernel', 'hidden1/group/gamma', 'hidden1/group/beta']);
  t.deepEqual(names('rms'), ['hidden1/kernel', 'hidden1/bias', 'hidden1/rms/gamma']);
  t.deepEqual(names('renorm'), ['hidden1/kernel', 'hidden1/renorm/gamma', 'hidden1/renorm/beta', 'hidden1/renorm/moving_mean', 'hidden1/renorm/moving_variance', 'hidden1/renorm/step']);
  t.deepEqual(names('mean-only'), ['hidden1/kernel', 'hidden1/mean-only/beta', 'hidden1/mean-only/moving_mean']);
  t.deepEqual(names('centered-stopgrad'), ['hidden1/kernel', 'hidden1/bias', 'hidden1/centered-stopgrad/moving_mean']);
});

test('every norm × activation starts from the same weights for what it shares', (t) => {
  const reference = mlp('none', 'relu', 7);
  const layers = ['hidden1', 'hidden2', 'hidden3', 'output'];
  const ref = layers.map((l) => reference.effectiveKernel(l).dataSync());
  for (const norm of MLP_NORMS) {
    for (const activation of ACTIVATIONS) {
      const m = mlp(norm, activation, 7);
      layers.forEach((l, i) => {
        const k = m.effectiveKernel(l).dataSync();
        // Weight norm recomputes w = g·v/‖v‖ in float32: equal to rounding.
        const tol = norm === 'weight' ? 1e-6 : 0;
        let diff = 0;
        for (let j = 0; j < k.length; j++) diff = Math.max(diff, Math.abs(k[j]! - ref[i]![j]!));
        t.true(diff <= tol, `${norm}/${activation} ${l}: max |Δ| ${diff}`);
      });
      t.deepEqual(m.params.get('output/bias')!.dataSync(), reference.params.get('output/bias')!.dataSync());
      m.dispose();
    }
  }
  const other = mlp('none', 'relu', 8);
  t.notDeepEqual(other.effectiveKernel('hidden1').dataSync(), ref[0]);
  other.dispose();
  reference.dispose();
});

test('a parameter’s initial value depends on which parameter it is, not on the draws before it', (t) => {
  const a = mlp('none', 'relu', 3, {...MODEL, hidden: [100, 100, 100]});
  const b = mlp('none', 'relu', 3, {...MODEL, hidden: [100, 50, 100]});
  t.deepEqual(a.effectiveKernel('hidden1').dataSync(), b.effectiveKernel('hidden1').dataSync());
  a.dispose();
  b.dispose();
});

test('every norm × activation sees the same batches in the same order', async (t) => {
  const data = makeSynthetic({features: 6, classes: 3, train_size: 100, test_size: 30, separation: 2, seed: 1});
  const spec = {optimizer: 'sgd' as const, lr: 0.05, batch_size: 16, steps: 15, eval_every: 5, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};
  const small: ModelSpec = {...MODEL, hidden: [8, 8]};
  let reference: string | undefined;
  for (const norm of MLP_NORMS) {
    for (const activation of ACTIVATIONS) {
      const seen: number[][] = [];
      const m = mlp(norm, activation, 2, small, 6);
      await train(m, {...data, classes: 10}, spec, 2, {onBatch: (_step, indices) => seen.push(Array.from(indices))});
      m.dispose();
      t.is(seen.length, 15);
      const key = JSON.stringify(seen);
      reference ??= key;
      t.is(key, reference, `${norm}/${activation}`);
    }
  }
  tf.disposeVariables();
});
