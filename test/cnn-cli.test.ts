// Convnets through the CLI: a tiny convnet trained under every norm that fits it (a few steps,
// through the real binary, on wasm, where the convolution's gradient is our own), with every
// probe and eval mode, its CSVs written and a rerun bit for bit the same; `--stack` trains
// convnets alone and says why.
//
// backend-independent: its CLI runs name their backend (wasm, the one the convolution's gradient was written for).

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {cli, readCsv, tempDir, untimed} from './helpers.js';

const NORMS = ['none', 'batch', 'layer', '{name: group, groups: 2}', 'instance', 'rms', 'weight', '{name: weight, init: data}', 'renorm', 'mean-only', 'centered-stopgrad'];
const LABELS = ['none', 'batch', 'layer', 'group(groups=2)', 'instance', 'rms', 'weight', 'weight(init=data)', 'renorm', 'mean-only', 'centered-stopgrad'];

const GRID = `name: cnn
question: Does a tiny convnet train under every norm that fits it?
dataset: {name: fashion-mnist-mini, train_limit: 64, test_limit: 32}
model: {kind: cnn, channels: [4, 4], pool: [max, avg], stride: [1, 2], padding: [same, valid]}
train: {lr: 0.05, batch_size: 8, steps: 4, eval_every: 2}
grid:
  norm: [${NORMS.join(', ')}]
probes: [activation_percentiles, dead_units, saturation, grad_norms, param_norms]
eval_modes: [ema, population, batch]
`;

test('a tiny convnet under every norm that fits: all ok, curves, summary with every eval mode, conv probes per layer; a rerun is the same bytes', (t) => {
  const dir = tempDir('normbench-cnn-cli-');
  writeFileSync(join(dir, 'g.yaml'), GRID);
  const r = cli(['run', 'g.yaml', '--out', 'o', '--quiet', '--backend', 'wasm'], dir);
  t.is(r.code, 0, r.stderr);
  const summary = readCsv(join(dir, 'o', 'summary.csv'));
  t.deepEqual(summary.map((s) => `${s.norm}/${s.status}`), LABELS.map((l) => `${l}/ok`));
  t.true(summary.every((s) => Number(s.final_test_loss) > 0 && s.test_accuracy_population !== '' && s.test_accuracy_batch !== ''));
  const curves = readCsv(join(dir, 'o', 'curves.csv'));
  t.is(curves.length, LABELS.length * 3, 'evaluation points 0, 2, 4 per run');
  const diagnostics = readCsv(join(dir, 'o', 'diagnostics.csv'));
  const batch = summary.find((s) => s.norm === 'batch')!.run_id;
  const at = (probe: string, layer: string) => diagnostics.filter((d) => d.run_id === batch && d.probe === probe && d.layer === layer && d.step === '4');
  for (const layer of ['conv1', 'conv2']) {
    for (const probe of ['activation_p15', 'activation_p50', 'activation_p85', 'dead_units']) t.is(at(probe, layer).length, 1, `${probe} ${layer}`);
    t.is(at('grad_norm', `${layer}/kernel`).length, 1);
    t.is(at('param_norm', `${layer}/batch/gamma`).length, 1);
  }
  t.true(Number(at('param_norm', 'conv2/kernel')[0]!.value) > 0);
  const manifest = JSON.parse(readFileSync(join(dir, 'o', 'manifest.json'), 'utf8')) as {backend?: string};
  t.regex(JSON.stringify(manifest), /wasm/);

  const again = cli(['run', 'g.yaml', '--out', 'o2', '--quiet', '--backend', 'wasm'], dir);
  t.is(again.code, 0, again.stderr);
  for (const file of ['curves.csv', 'summary.csv']) t.deepEqual(untimed(readCsv(join(dir, 'o2', file))), untimed(readCsv(join(dir, 'o', file))), file);
  t.is(readFileSync(join(dir, 'o2', 'diagnostics.csv'), 'utf8'), readFileSync(join(dir, 'o', 'diagnostics.csv'), 'utf8'));
});

test('--stack trains convnets alone and says why', (t) => {
  const dir = tempDir('normbench-cnn-cli-');
  writeFileSync(join(dir, 's.yaml'), GRID.replace(/grid:\n.*\n/, 'grid:\n  norm: [none, batch]\n  seed: [1, 2]\n').replace(/probes.*\neval_modes.*\n/, ''));
  const r = cli(['run', 's.yaml', '--out', 'o', '--stack', '--backend', 'wasm'], dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /^ {2}alone: 4 runs — model cnn cannot be stacked \(mlp only\)$/m);
  t.true(readCsv(join(dir, 'o', 'summary.csv')).every((s) => s.status === 'ok'));
});
