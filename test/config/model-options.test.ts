// The options of issue 18 in experiment files: model.dropout, a norm's placement, model.hidden [].
// Their defaults written out keep the run id of leaving them out; other values are runs of their
// own with readable labels and factor columns; what does not fit is a located error.
//
// backend-independent: experiment files loaded and expanded; no tensors.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {tempDir} from '../helpers.js';
import {loadExperiment} from '../../src/config/load.js';
import {UserError} from '../../src/errors.js';
import {configHash} from '../../src/results/manifest.js';

const HEAD = `name: g
question: q?
train: {lr: 0.1, batch_size: 16, steps: 10, eval_every: 5}
`;

/** An experiment: the head, a data set (synthetic unless the body names one; line 4), the body. */
function load(body: string) {
  const dir = tempDir('normbench-options-');
  const file = join(dir, 'g.yaml');
  writeFileSync(file, `${HEAD}${body.startsWith('dataset:') ? '' : 'dataset: {name: synthetic}\n'}${body}`);
  return loadExperiment(file).expanded;
}

function message(body: string): string {
  try {
    load(body);
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
  throw new Error('expected a UserError');
}

const ids = (body: string) => load(body).runs.map((r) => r.run_id);

test('dropout 0 and placement pre, written out, are the runs that leave them out (same run ids)', (t) => {
  const plain = ids('model: {kind: mlp, hidden: [8]}\ngrid: {norm: [none, batch, layer, group, rms, renorm, mean-only, centered-stopgrad]}\n');
  const explicit = ids('model: {kind: mlp, hidden: [8], dropout: 0}\ngrid:\n  norm: [none, {name: batch, placement: pre}, {name: layer, placement: pre}, {name: group, placement: pre, groups: 4},\n' +
    '    {name: rms, placement: pre}, {name: renorm, placement: pre}, {name: mean-only, placement: pre}, {name: centered-stopgrad, placement: pre}]\n');
  t.deepEqual(explicit, plain);
  const {runs} = load('model: {kind: mlp, hidden: [8], dropout: 0}\nnorm: {name: batch, placement: pre}\n');
  t.is(JSON.stringify(runs[0]!.model), JSON.stringify({kind: 'mlp', hidden: [8], init: 'glorot_uniform', init_std: 0.01}), 'parsing drops dropout 0');
  const config = (body: string) => {
    const dir = tempDir('normbench-options-');
    writeFileSync(join(dir, 'g.yaml'), `${HEAD}dataset: {name: synthetic}\n${body}`);
    return loadExperiment(join(dir, 'g.yaml')).config;
  };
  t.is(configHash(config('model: {kind: mlp, hidden: [8], dropout: 0}\n')), configHash(config('model: {kind: mlp, hidden: [8]}\n')), 'and so the experiment\'s identity');
  t.deepEqual(runs[0]!.norm, {name: 'batch', options: {momentum: 0.9, epsilon: 1e-5, center: true, scale: true}}, 'and placement pre');
});

test('dropout and post placement are runs of their own: a factor column, a norm label', (t) => {
  const {runs, factorKeys} = load('model: {kind: mlp, hidden: [8]}\ngrid:\n  norm: [batch, {name: batch, placement: post}]\n  model.dropout: [0, 0.2]\n');
  t.deepEqual(factorKeys, ['model.dropout']);
  t.deepEqual(runs.map((r) => `${r.norm_label} ${r.factors['model.dropout']}`), ['batch 0', 'batch 0.2', 'batch(placement=post) 0', 'batch(placement=post) 0.2']);
  t.is(new Set(runs.map((r) => r.run_id)).size, 4);
  t.deepEqual(runs[3]!.norm.options.placement, 'post');
  t.is((runs[1]!.model as {dropout?: number}).dropout, 0.2);
  // A block that leaves dropout out writes its value, 0, in the factor column.
  const blocks = load('model: {kind: mlp, hidden: [8]}\ngrid:\n  - {norm: none}\n  - {norm: batch, model.dropout: 0.2}\n');
  t.deepEqual(blocks.runs.map((r) => r.factors['model.dropout']), ['0', '0.2']);
  t.deepEqual(blocks.runs.map((r) => r.factor_values['model.dropout']), [0, 0.2]);
});

test('hidden [] is logistic regression with norm none; a grid can put it beside an MLP', (t) => {
  const {runs} = load('model: {kind: mlp, hidden: []}\n');
  t.deepEqual(runs[0]!.model.hidden, []);
  const mixed = load('model: {kind: mlp, hidden: [8]}\ngrid:\n  model.hidden: [[], [8]]\n');
  t.deepEqual(mixed.runs.map((r) => r.factors['model.hidden']), ['[]', '[8]']);
});

test('what does not fit is a located error that says what would', (t) => {
  const mlp = 'model: {kind: mlp, hidden: [8]}\n';
  t.regex(message(`${mlp}norm: {name: weight, placement: post}\n`),
    /g\.yaml:6:22 \(norm\.placement\): norm "weight" has no placement: it reparameterises the kernel .* \(the norms with one: batch, layer, group, rms, renorm, mean-only, centered-stopgrad\); leave placement out/);
  t.regex(message(`${mlp}grid: {norm: [batch, {name: none, placement: post}]}\n`),
    /g\.yaml:6:35 \(grid\.norm\[1\]\.placement\): norm "none" has no placement: it is the identity, so pre and post are the same network/);
  t.regex(message(`${mlp}norm: {name: batch, placement: after}\n`), /g\.yaml:6:32 \(norm\.placement\): Unknown placement "after" \(known: pre, post\)/);
  t.regex(message('model: {kind: mlp, hidden: [8], dropout: 1}\n'), /g\.yaml:5:42 \(model\.dropout\): must be < 1 \(got 1\)/);
  t.regex(message('model: {kind: mlp, hidden: [8], dropout: -0.1}\n'), /g\.yaml:5:42 \(model\.dropout\): must be ≥ 0 \(got -0\.1\)/);
  t.regex(message(`${mlp}grid: {model.dropout: [0, 1.5]}\n`), /g\.yaml:6:27 \(grid\.model\.dropout\[1\]\): must be < 1 \(got 1\.5\) \(grid value for model\.dropout\)/);
  // Recurrent models: dropout and placement are the MLP's.
  const lstm = 'dataset: {name: adding, length: 10, train_size: 100, test_size: 50}\nmodel: {kind: lstm, hidden: 8}\n';
  t.regex(message(lstm.replace('hidden: 8', 'hidden: 8, dropout: 0.2')),
    /g\.yaml:5:32 \(model\.dropout\): dropout applies to model mlp only .*leave it out/);
  t.regex(message(`${lstm}norm: {name: layer, placement: post}\n`),
    /g\.yaml:6:7 \(norm\): placement post moves a norm after the activation of an MLP's hidden layer; in model lstm .*leave placement out/);
  // Logistic regression: nothing for a norm, dropout, an activation or the activation probes.
  const lr = 'model: {kind: mlp, hidden: [], dropout: 0.1}\nactivation: tanh\nprobes: [activation_percentiles, grad_norms]\ngrid: {norm: [none, batch]}\n';
  const text = message(lr);
  t.regex(text, /g\.yaml:5:41 \(model\.dropout\): model\.hidden \[\] is logistic regression \(the dense output layer alone\): it has no hidden units to drop/);
  t.regex(text, /g\.yaml:6:13 \(activation\): .*no hidden nonlinearity, so activation tanh does not apply/);
  t.regex(text, /g\.yaml:7:9 \(probes\): .*activation_percentiles read the inputs to hidden nonlinearities/);
  t.regex(text, /g\.yaml:8:21 \(grid\.norm\[1\]\): model\.hidden \[\] is logistic regression .*no hidden layer for norm batch to sit on; use norm none/);
});
