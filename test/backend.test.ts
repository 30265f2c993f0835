// `--backend auto` picks by the measured rule: wasm for models up to AUTO_NATIVE_WIDTH units
// wide and convnets up to AUTO_NATIVE_CONV_MACS multiply-adds of convolution a step, tensorflow
// (tfjs-node) above, each falling back to the other, then cpu.

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {AUTO_NATIVE_CONV_MACS, AUTO_NATIVE_WIDTH, autoOrder} from '../src/backend.js';
import {expandExperiment} from '../src/config/expand.js';
import {loadExperiment} from '../src/config/load.js';
import {convMacs, modelWidth} from '../src/models/catalog.js';
import {gridConvMacs, gridWidth, shardRuns} from '../src/run/shard.js';
import {cli, cliInProcess, tempDir} from './helpers.js';

test('the rule: wasm first up to the threshold, tensorflow first above it; cpu last', (t) => {
  t.deepEqual(autoOrder(), ['wasm', 'tensorflow', 'cpu']);
  t.deepEqual(autoOrder(100), ['wasm', 'tensorflow', 'cpu']);
  t.deepEqual(autoOrder(AUTO_NATIVE_WIDTH), ['wasm', 'tensorflow', 'cpu']);
  t.deepEqual(autoOrder(AUTO_NATIVE_WIDTH + 1), ['tensorflow', 'wasm', 'cpu']);
  t.is(modelWidth({kind: 'mlp', hidden: [100, 300, 50], init: 'glorot_uniform', init_std: 0.01}), 300);
  t.deepEqual(autoOrder(0, AUTO_NATIVE_CONV_MACS), ['wasm', 'tensorflow', 'cpu']);
  t.is(AUTO_NATIVE_CONV_MACS, 2_500_000);
  t.deepEqual(autoOrder(32, AUTO_NATIVE_CONV_MACS + 1), ['tensorflow', 'wasm', 'cpu']);
});

test('a convnet\'s convolution work: Σ H_out·W_out·k²·C_in·C_out per example, times the batch over the grid', (t) => {
  const dir = tempDir('normbench-conv-work-');
  // The bench's convnet: 28·28·9·1·16 + 14·14·9·16·32 + 7·7·9·32·32 (the third block is not pooled).
  writeFileSync(join(dir, 'cnn.yaml'), `name: cnn
question: q
dataset: {name: fashion-mnist-mini}
model: {kind: cnn, channels: [16, 32, 32], pool: [max, max, none]}
train: {lr: 0.1, batch_size: 8, steps: 2, eval_every: 2}
grid:
  train.batch_size: [8, 32]
`);
  const runs = expandExperiment(loadExperiment(join(dir, 'cnn.yaml'))).runs;
  t.is(convMacs(runs[0]!.model, [28, 28, 1]), 112_896 + 903_168 + 451_584);
  t.is(gridConvMacs(runs), 32 * 1_467_648);
  t.is(gridWidth(runs), 32);
  // Stride 2 and valid padding: 28 → ⌈(28 − 5 + 1)/2⌉ = 12, then pooled to 6: 12·12·25·3·4 + 6·6·9·4·8.
  writeFileSync(join(dir, 'strided.yaml'), `name: strided
question: q
dataset: {name: fashion-mnist-mini}
model: {kind: cnn, channels: [4, 8], kernel: [5, 3], stride: [2, 1], padding: [valid, same], pool: [max, none]}
train: {lr: 0.1, batch_size: 2, steps: 2, eval_every: 2}
`);
  const strided = expandExperiment(loadExperiment(join(dir, 'strided.yaml'))).runs[0]!;
  t.is(convMacs(strided.model, [28, 28, 3]), 12 * 12 * 25 * 3 * 4 + 6 * 6 * 9 * 4 * 8);
  // Models without convolutions have none.
  t.is(convMacs({kind: 'mlp', hidden: [100], init: 'glorot_uniform', init_std: 0.01}, [28, 28, 1]), 0);
});

test('auto decides by the widest model of the whole grid, the same for every shard', (t) => {
  const dir = tempDir('normbench-width-');
  writeFileSync(join(dir, 'mixed.yaml'), `name: mixed
question: q
dataset: {name: synthetic, features: 6, classes: 3, train_size: 24, test_size: 12}
model: {kind: mlp, hidden: [8]}
train: {lr: 0.1, batch_size: 6, steps: 2, eval_every: 2}
grid:
  model.hidden: [[8], [300, 20]]
`);
  const expanded = expandExperiment(loadExperiment(join(dir, 'mixed.yaml')));
  t.is(gridWidth(expanded.runs), 300);
  // Shard 1/2 holds only the narrow cell; the backend is still chosen for the grid.
  t.deepEqual(shardRuns(expanded.runs, {index: 1, count: 2}).map((r) => modelWidth(r.model)), [8]);
  writeFileSync(join(dir, 'lstm.yaml'), `name: lstm
question: q
dataset: {name: adding, length: 4, train_size: 32, test_size: 8}
model: {kind: lstm, hidden: 240}
train: {lr: 0.1, batch_size: 8, steps: 2, eval_every: 1}
`);
  t.is(gridWidth(expandExperiment(loadExperiment(join(dir, 'lstm.yaml'))).runs), 240);
});

test('run with auto records the backend the rule picks for the grid’s widest model; `backend` says both picks', async (t) => {
  const dir = tempDir('normbench-backend-');
  const probe = cli(['backend', '--json'], dir);
  t.is(probe.code, 0, probe.stderr);
  const {auto, backends} = JSON.parse(probe.stdout) as {auto: {small_models: string; large_models: string}; backends: Array<{name: string; loads: boolean}>};
  const tensorflow = backends.find((b) => b.name === 'tensorflow')!.loads;
  t.is(auto.small_models, 'wasm');
  t.is(auto.large_models, tensorflow ? 'tensorflow' : 'wasm');
  const yaml = (hidden: string) => `name: auto
question: Which backend does auto pick?
dataset: {name: synthetic, features: 6, classes: 3, train_size: 24, test_size: 12}
model: {kind: mlp, hidden: ${hidden}}
train: {lr: 0.1, batch_size: 6, steps: 2, eval_every: 2}
`;
  for (const [hidden, want] of [['[8, 8]', 'wasm'], [`[8, ${AUTO_NATIVE_WIDTH + 56}]`, tensorflow ? 'tensorflow' : 'wasm']] as const) {
    writeFileSync(join(dir, 'auto.yaml'), yaml(hidden));
    const out = `out-${want}-${hidden.length}`;
    // In this process: `backend` above ran the real CLI.
    const r = await cliInProcess(['run', 'auto.yaml', '--out', out, '--quiet', '--workers', '1'], dir);
    t.is(r.code, 0, r.stderr);
    t.is(JSON.parse(readFileSync(join(dir, out, 'manifest.json'), 'utf8')).backend, want, hidden);
  }
  // A convnet by its convolution work a step: conv 3×3 8 → pool → conv 3×3 16 on 28×28×1 is
  // 282 240 multiply-adds an example, 1.1 M a step at batch 4 (wasm), 4.5 M at 16 (tensorflow).
  const cnn = (batch: number) => `name: auto-cnn
question: Which backend does auto pick for a convnet?
dataset: {name: fashion-mnist-mini, train_limit: 64, test_limit: 16}
model: {kind: cnn, channels: [8, 16], pool: [max, max], head: flatten}
train: {lr: 0.1, batch_size: ${batch}, steps: 2, eval_every: 2}
`;
  for (const [batch, want] of [[4, 'wasm'], [16, tensorflow ? 'tensorflow' : 'wasm']] as const) {
    writeFileSync(join(dir, 'cnn.yaml'), cnn(batch));
    const out = `out-cnn-${batch}`;
    const r = await cliInProcess(['run', 'cnn.yaml', '--out', out, '--quiet', '--workers', '1'], dir);
    t.is(r.code, 0, r.stderr);
    t.is(JSON.parse(readFileSync(join(dir, out, 'manifest.json'), 'utf8')).backend, want, `cnn at batch ${batch}`);
  }
});
