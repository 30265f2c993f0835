// Model cnn in experiment files: its defaults, per-block options as one value or a list (the same
// run either way), and what does not fit a convnet as a located error naming what would.
//
// backend-independent: experiment files loaded and expanded; no tensors.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {tempDir, userErrorMessage} from '../helpers.js';
import {loadExperiment} from '../../src/config/load.js';

const HEAD = `name: g
question: q?
train: {lr: 0.1, batch_size: 16, steps: 10, eval_every: 5}
`;

/** An experiment: the head, a data set (the bundled images unless the body names one; line 4), the body. */
function load(body: string) {
  const file = join(tempDir('normbench-cnn-'), 'g.yaml');
  writeFileSync(file, `${HEAD}${body.startsWith('dataset:') ? '' : 'dataset: {name: fashion-mnist-mini}\n'}${body}`);
  return loadExperiment(file).expanded;
}

const message = (body: string) => userErrorMessage(() => load(body));
const ids = (body: string) => load(body).runs.map((r) => r.run_id);

test('model cnn: the defaults, and one value spread over every block', (t) => {
  const [run] = load('model: {kind: cnn, channels: [16, 32, 32]}\n').runs;
  t.deepEqual(run!.model, {
    kind: 'cnn', channels: [16, 32, 32], kernel: [3, 3, 3], stride: [1, 1, 1], padding: ['same', 'same', 'same'], pool: ['none', 'none', 'none'],
    pool_size: 2, head: 'gap', hidden: [], init: 'he_normal', init_std: 0.01,
  });
  t.is(run!.activation, 'relu');
  t.deepEqual(ids('model: {kind: cnn, channels: [16, 32], pool: max, kernel: 3}\n'), ids('model: {kind: cnn, channels: [16, 32], pool: [max, max], kernel: [3, 3]}\n'),
    'pool: max is pool: [max, max]: the same run');
  t.notDeepEqual(ids('model: {kind: cnn, channels: [16, 32], pool: [max, none]}\n'), ids('model: {kind: cnn, channels: [16, 32], pool: max}\n'));
});

test('a per-block list of the wrong length is a located error that says how many blocks there are', (t) => {
  t.regex(message('model: {kind: cnn, channels: [16, 32, 32], pool: [max, max]}\n'),
    /g\.yaml:5:\d+ \(model\.pool\): pool lists 2 values for 3 conv blocks \(channels has 3\): give one per block, or a single value for all/);
  t.regex(message('model: {kind: cnn, channels: [8], padding: full}\n'), /\(model\.padding\).*same.*valid/);
  t.regex(message('model: {kind: cnn, channels: [8], layers: 2}\n'), /\(model\.layers\): layers applies to recurrent models; a cnn has one conv block per entry of channels/);
  t.regex(message('model: {kind: cnn, channels: [8], dropout: 0.5}\n'), /\(model\.dropout\): dropout applies to model mlp only/);
});

test('model cnn on data that are not images is a located error naming the image data sets', (t) => {
  t.regex(message('dataset: {name: fashion-mnist-mini-rows}\nmodel: {kind: cnn, channels: [8]}\n'),
    /g\.yaml:4:\d+ \(dataset\.name\): model cnn reads images, and data set "fashion-mnist-mini-rows" is not one \(image data sets: fashion-mnist-mini, fashion-mnist, or files with a dataset\.shape\); use one of them, or model mlp/);
  t.regex(message('dataset: {name: synthetic}\nmodel: {kind: cnn, channels: [8]}\n'), /\(dataset\.name\): model cnn reads images, and data set "synthetic" is not one/);
});

test('a block whose map would be empty is a located error', (t) => {
  // 28 → 14 → 7 → 3 → 1; a fifth 2×2 pooling has nothing to pool.
  t.regex(message('model: {kind: cnn, channels: [4, 4, 4, 4, 4], pool: max}\n'),
    /\(model\.channels\): conv block 5's 2×2 pooling does not fit its 1×1 map: pool none there, a smaller pool_size, or less downsampling before it \(images 28×28×1\)/);
  t.regex(message('model: {kind: cnn, channels: [4, 4], kernel: [29, 3], padding: valid}\n'),
    /conv block 1's 29×29 filter with padding valid does not fit its 28×28 input/);
});

test('norms that do not fit a convnet are located errors with the alternatives named', (t) => {
  t.regex(message('model: {kind: cnn, channels: [8]}\ngrid: {norm: [batch, bn-rnn]}\n'),
    /g\.yaml:6:\d+ \(grid\.norm\[1\]\): norm "bn-rnn" is not built for model cnn \(it supports: lstm, rnn\); for cnn use: none, batch, layer, weight, group, rms, renorm, mean-only, centered-stopgrad, instance/);
  t.regex(message('model: {kind: cnn, channels: [8], hidden: [16]}\nnorm: instance\n'),
    /\(norm\): norm instance takes statistics per channel over a map's H·W positions; the dense hidden layers after the head \(model\.hidden \[16\]\) have none\. Use hidden: \[\], or a norm that fits dense layers too/);
  t.regex(message('model: {kind: cnn, channels: [8, 12], hidden: [10]}\nnorm: {name: group, groups: 4}\n'),
    /\(norm\): norm group: groups=4 must divide every layer's channels and leave at least 2 a group; it does not for hidden layer 1 \(10\) \(groups that fit every layer: 1, 2\)/);
  t.regex(message('model: {kind: cnn, channels: [8]}\nnorm: {name: batch, placement: post}\n'),
    /\(norm\): placement post moves a norm after the activation of an MLP's hidden layer; in model cnn every norm sits between the convolution and the activation/);
  t.regex(message('model: {kind: mlp, hidden: [8]}\nnorm: instance\n'), /\(norm\): norm "instance" is not built for model mlp \(it supports: cnn\)/);
  t.regex(message('model: {kind: cnn, channels: [8]}\nprobes: [gradient_flow]\n'), /\(probes\): the gradient_flow probe measures ‖∂L\/∂h_t‖ of a recurrent model \(lstm, rnn\); model cnn has no h_t/);
});

test('every norm that fits, with eval_modes and the activation probes, expands for a convnet', (t) => {
  const {runs} = load('model: {kind: cnn, channels: [8, 8]}\ngrid: {norm: [none, batch, layer, {name: group, groups: 2}, instance, rms, weight, renorm, mean-only]}\n' +
    'eval_modes: [ema, population, batch]\nprobes: [activation_percentiles, dead_units, saturation, grad_norms, param_norms]\n');
  t.is(runs.length, 9);
  t.deepEqual(runs[0]!.eval_modes, ['ema', 'population', 'batch']);
});
