// The convnet (src/models/cnn.ts): parameter counts per norm, identical networks (for one seed,
// every norm × activation starts from the same filters and kernels for what it shares, He-scaled
// by the filter's fan-in, and sees the same batches in the same order), weight norm's
// data-dependent init per output channel, the probes on conv blocks, and a training step that
// leaves no tensor behind.

import test from '../ava.js';
import {loadDataset} from '../../src/data/registry.js';
import {Cnn} from '../../src/models/cnn.js';
import {parameterCount} from '../../src/models/types.js';
import {normModels, resolveNorm} from '../../src/norms/catalog.js';
import {modelSchema} from '../../src/config/schema.js';
import type {CnnSpec} from '../../src/spec/experiment.js';
import {ACTIVATIONS, type ActivationName, NORMS, type NormName} from '../../src/spec/names.js';
import * as tf from '../../src/tf.js';
import {runProbes} from '../../src/train/probes.js';
import {batchLoss} from '../../src/train/evaluate.js';
import {train} from '../../src/train/trainer.js';
import {setupBackend} from '../helpers.js';

/** The norms built for convolutions. */
const CNN_NORMS = NORMS.filter((n) => normModels(n).includes('cnn'));
const DATA = loadDataset({name: 'fashion-mnist-mini', train_limit: 64, test_limit: 40});
/** channels [4, 8], 3×3, max pooling after the first block, global average pooling, no hidden layers. */
const MODEL = modelSchema.parse({kind: 'cnn', channels: [4, 8], pool: ['max', 'none']}) as CnnSpec;
const SPEC = {optimizer: 'sgd' as const, lr: 0.05, batch_size: 8, steps: 4, eval_every: 2, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};


test.before(setupBackend);

function cnn(norm: NormName | {name: NormName; options: Record<string, unknown>}, activation: ActivationName = 'relu', seed = 1, model: CnnSpec = MODEL): Cnn {
  const spec = typeof norm === 'string' ? resolveNorm(norm, norm === 'group' ? {groups: 2} : {}) : resolveNorm(norm.name, norm.options);
  return new Cnn({model, norm: spec, activation, seed, inputs: 784, classes: 10, image: [28, 28, 1]});
}

test('the norms of a convnet: every layer norm but those of recurrent cells, and instance norm', (t) => {
  t.deepEqual(CNN_NORMS, ['none', 'batch', 'layer', 'weight', 'group', 'rms', 'renorm', 'mean-only', 'centered-stopgrad', 'instance']);
});

test('parameter counts of the convnet 28×28×1 → conv 3×3 4 → pool → conv 3×3 8 → gap → 10, per norm', (t) => {
  // none: conv1 3·3·1·4 + 4, conv2 3·3·4·8 + 8, output 8·10 + 10 = 40 + 296 + 90 = 426. batch,
  // layer, group, instance, renorm: the conv biases go (−12), γ and β per channel come (+24).
  // weight: g per filter (+12), the bias stays. rms: γ joins the bias (+12). mean-only: β
  // replaces the bias. centered-stopgrad: nothing added, the bias stays.
  const expected: Record<string, number> = {
    none: 426, batch: 438, layer: 438, weight: 438, group: 438, rms: 438, renorm: 438, 'mean-only': 426, 'centered-stopgrad': 426, instance: 438,
  };
  for (const norm of CNN_NORMS) {
    const m = cnn(norm);
    t.is(parameterCount(m), expected[norm]!, norm);
    m.dispose();
  }
  // flatten: the 14×14×8 map (1568 values) into the output layer.
  const flat = cnn('none', 'relu', 1, {...MODEL, head: 'flatten'});
  t.is(parameterCount(flat), 40 + 296 + 1568 * 10 + 10);
  t.deepEqual(flat.params.get('output/kernel')!.shape, [1568, 10]);
  flat.dispose();
});

test('parameter names say what each parameter is; filters are [k, k, in, out]', (t) => {
  const names = (norm: NormName) => {
    const m = cnn(norm);
    const out = [...m.params.keys(), ...m.state.keys()].filter((k) => k.startsWith('conv2/'));
    t.deepEqual(m.params.get(out[0]!)!.shape, [3, 3, 4, 8]);
    m.dispose();
    return out;
  };
  t.deepEqual(names('none'), ['conv2/kernel', 'conv2/bias']);
  t.deepEqual(names('batch'), ['conv2/kernel', 'conv2/batch/gamma', 'conv2/batch/beta', 'conv2/batch/moving_mean', 'conv2/batch/moving_variance']);
  t.deepEqual(names('weight'), ['conv2/v', 'conv2/bias', 'conv2/weight/g']);
  t.deepEqual(names('instance'), ['conv2/kernel', 'conv2/instance/gamma', 'conv2/instance/beta']);
});

test('every norm × activation starts from the same filters and kernels for what it shares; He-scaled by the filter fan-in k·k·in', (t) => {
  const layers = ['conv1', 'conv2', 'output'];
  const stored = (m: Cnn, layer: string) => (m.params.get(`${layer}/kernel`) ?? m.params.get(`${layer}/v`))!.dataSync();
  const reference = cnn('none', 'relu', 7);
  const ref = layers.map((l) => stored(reference, l));
  for (const norm of CNN_NORMS) {
    for (const activation of ACTIVATIONS) {
      const m = cnn(norm, activation, 7);
      layers.forEach((l, i) => t.deepEqual(stored(m, l), ref[i], `${norm}/${activation} ${l}`));
      m.dispose();
    }
  }
  const other = cnn('none', 'relu', 8);
  t.notDeepEqual(stored(other, 'conv1'), ref[0]);
  other.dispose();
  reference.dispose();
  // he_normal (the cnn default): std sqrt(2 / (3·3·16)) = 0.118 over a 3×3×16×64 filter.
  const wide = cnn('none', 'relu', 3, modelSchema.parse({kind: 'cnn', channels: [16, 64]}) as CnnSpec);
  const values = Array.from(wide.params.get('conv2/kernel')!.dataSync());
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  t.true(Math.abs(std / Math.sqrt(2 / 144) - 1) < 0.05, `std ${std}`);
  wide.dispose();
});

test('every norm sees the same batches in the same order, and trains', async (t) => {
  let reference: string | undefined;
  for (const norm of CNN_NORMS) {
    const seen: number[][] = [];
    const m = cnn(norm, 'relu', 2);
    const result = await train(m, DATA, SPEC, 2, {onBatch: (_step, indices) => seen.push(Array.from(indices))});
    m.dispose();
    t.is(result.status, 'ok', norm);
    t.is(seen.length, SPEC.steps);
    const key = JSON.stringify(seen);
    reference ??= key;
    t.is(key, reference, norm);
  }
});

test('a training step of the convnet leaves no tensor behind, under every norm', async (t) => {
  for (const norm of CNN_NORMS) {
    const m = cnn(norm);
    await train(m, DATA, {...SPEC, steps: 1, eval_every: 1}, 1);
    const before = tf.memory().numTensors;
    await train(m, DATA, {...SPEC, steps: 2, eval_every: 2}, 1);
    t.is(tf.memory().numTensors, before, norm);
    m.dispose();
  }
});

test('weight norm with init: data on a convnet: each block\'s pre-activations have mean 0 and variance 1 per channel over N·H·W on the init batch', (t) => {
  const m = cnn({name: 'weight', options: {init: 'data'}});
  t.true(m.needsDataInit);
  const x = tf.tensor2d(DATA.train.x.subarray(0, 32 * 784), [32, 784]);
  m.initFromData(x);
  // Without the activation, the pre-activations are the norm's output: w·x + b.
  for (const {layer, z} of m.preActivations(x)) {
    const {mean, variance} = tf.moments(z, [0, 1, 2]);
    const channels = z.shape[3]!;
    t.true(mean.dataSync().every((v) => Math.abs(v) < 1e-4), `${layer} mean ${mean.dataSync()}`);
    t.true(variance.dataSync().every((v) => Math.abs(v - 1) < 1e-3), `${layer} variance ${variance.dataSync()}`);
    t.is(mean.size, channels);
  }
  m.dispose();
});

test('probes on conv blocks: percentiles over channels and positions, dead channels, saturation, gradient and parameter norms per layer', (t) => {
  const m = cnn('none');
  // conv2's bias far below any pre-activation: every channel of conv2 ≤ 0 everywhere, dead.
  m.params.get('conv2/bias')!.assign(tf.fill([8], -1000));
  const loss = (output: tf.Tensor2D, y: tf.Tensor) => batchLoss(output, y, 'classification', 10);
  const values = runProbes(m, DATA, ['activation_percentiles', 'dead_units', 'saturation', 'grad_norms', 'param_norms'], {activation: 'relu', batch: 16, loss});
  const at = (probe: string, layer: string) => values.find((v) => v.probe === probe && v.layer === layer)?.value;
  t.is(at('dead_units', 'conv2'), 1);
  t.true(at('dead_units', 'conv1')! < 1);
  t.true(at('activation_p85', 'conv2')! < -900);
  t.true(at('activation_p15', 'conv1')! <= at('activation_p50', 'conv1')! && at('activation_p50', 'conv1')! <= at('activation_p85', 'conv1')!);
  t.is(at('saturation', 'conv1'), undefined, 'saturation is for sigmoid and tanh');
  t.deepEqual(values.filter((v) => v.probe === 'param_norm').map((v) => v.layer), ['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias', 'output/kernel', 'output/bias']);
  t.is(at('grad_norm', 'conv2/kernel'), 0, 'no gradient through dead ReLUs');
  t.true(at('grad_norm', 'output/bias')! > 0);
  m.dispose();
  const tanh = cnn('none', 'tanh');
  tanh.params.get('conv1/bias')!.assign(tf.fill([4], 100));
  const sat = runProbes(tanh, DATA, ['saturation'], {activation: 'tanh', batch: 16, loss});
  t.is(sat.find((v) => v.layer === 'conv1')!.value, 1, 'every conv1 input beyond |z| > 2');
  tanh.dispose();
});

test('the convnet trains to the same numbers on cpu as on the test backend, within float tolerance', async (t) => {
  const on = tf.getBackend();
  const losses = async () => {
    const m = cnn('batch', 'relu', 4);
    const seen: number[] = [];
    await train(m, DATA, {...SPEC, steps: 3, eval_every: 3}, 4, {onStep: (_step, loss) => seen.push(loss)});
    const kernel = Array.from(m.params.get('conv2/kernel')!.dataSync());
    m.dispose();
    return {seen, kernel};
  };
  const here = await losses();
  await tf.setBackend('cpu');
  const cpu = await losses();
  await tf.setBackend(on);
  t.is(here.seen.length, 3);
  here.seen.forEach((loss, i) => t.true(Math.abs(loss - cpu.seen[i]!) < 1e-5, `step ${i + 1}: ${loss} vs ${cpu.seen[i]}`));
  t.true(here.kernel.every((v, i) => Math.abs(v - cpu.kernel[i]!) < 1e-5), 'conv2 filter after 3 steps');
});
