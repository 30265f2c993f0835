// backend-independent: experiment files loaded and expanded; no tensors.

import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import test from '../ava.js';
import {expandExperiment} from '../../src/config/expand.js';
import {loadExperiment} from '../../src/config/load.js';
import {UserError} from '../../src/errors.js';
import {REPO, tempDir} from '../helpers.js';

/** Write files into a fresh directory; returns a function giving their paths. */
function files(contents: Record<string, string>): (name: string) => string {
  const dir = tempDir('normbench-config-');
  for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, name), text);
  return (name) => join(dir, name);
}

const BASE = `dataset: {name: synthetic, features: 4, classes: 2, train_size: 64, test_size: 32}
model: {kind: mlp, hidden: [8]}
train:
  optimizer: sgd
  lr: 0.1
  batch_size: 16
  steps: 10
  eval_every: 5
`;

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

test('the quickstart loads: extends merged, defaults filled, 12 runs', (t) => {
  const loaded = loadExperiment(join(REPO, 'experiments', 'quickstart.yaml'));
  t.is(loaded.config.dataset.name, 'fashion-mnist-mini');
  t.deepEqual(loaded.config.model.hidden, [100, 100, 100]);
  t.is(loaded.config.train.lr, 0.1);
  t.is(loaded.config.train.batch_size, 60);
  t.is(loaded.config.train.steps, 2000);
  const {runs} = expandExperiment(loaded);
  t.is(runs.length, 12);
  t.is(new Set(runs.map((r) => r.run_id)).size, 12);
  t.deepEqual(runs.slice(0, 4).map((r) => `${r.norm_label}/${r.activation}`), ['none/relu', 'none/sigmoid', 'none/tanh', 'batch/relu']);
});

test('run ids hash what is trained: key order and cosmetic keys do not change them, values do', (t) => {
  const p = files({
    'a.yaml': `name: a\nquestion: q?\n${BASE}grid: {norm: [none, batch], seed: [1, 2]}\n`,
    'b.yaml': [
      'question: another wording',
      'name: b',
      'grid: {seed: [1, 2], norm: [none, batch]}',
      'train: {eval_every: 5, steps: 10, batch_size: 16, lr: 0.1}',
      'model: {hidden: [8], kind: mlp}',
      'dataset: {train_size: 64, test_size: 32, name: synthetic, classes: 2, features: 4}',
    ].join('\n'),
    'c.yaml': `name: c\nquestion: q?\n${BASE.replace('lr: 0.1', 'lr: 0.2')}grid: {norm: [none, batch], seed: [1, 2]}\n`,
  });
  const ids = (f: string) => expandExperiment(loadExperiment(p(f))).runs.map((r) => r.run_id).sort();
  t.deepEqual(ids('a.yaml'), ids('b.yaml'));
  t.notDeepEqual(ids('a.yaml'), ids('c.yaml'));
  t.regex(ids('a.yaml')[0]!, /^[0-9a-f]{12}$/);
});

test('an unknown key is an error at its line:col, suggesting the nearest key', (t) => {
  const p = files({'x.yaml': `name: x\nquestion: q?\n${BASE}trian: {steps: 5}\n`});
  const e = errorOf(() => loadExperiment(p('x.yaml')));
  t.regex(e.message, /x\.yaml:11:1 \(trian\): unknown key "trian" — did you mean "train"\? \(allowed: name, question/);
});

test('an unknown nested key names its key path', (t) => {
  const p = files({'x.yaml': `name: x\nquestion: q?\n${BASE.replace('  steps: 10', '  stpes: 10\n  steps: 10')}`});
  const e = errorOf(() => loadExperiment(p('x.yaml')));
  t.regex(e.message, /x\.yaml:9:3 \(train\.stpes\): unknown key "stpes" — did you mean "steps"\?/);
});

test('a bad name in a parent file is reported in that file, with the allowed names', (t) => {
  const p = files({
    'opt.yaml': 'train:\n  optimizer: sdg\n',
    'x.yaml': `name: x\nquestion: q?\nextends: opt.yaml\n${BASE.replace('  optimizer: sgd\n', '')}`,
  });
  const e = errorOf(() => loadExperiment(p('x.yaml')));
  t.regex(e.message, /opt\.yaml:2:14 \(train\.optimizer\): Unknown optimizer "sdg" — did you mean "sgd"\? \(known: sgd, momentum, adam, rmsprop\)/);
});

test('a missing required key is named', (t) => {
  const p = files({'x.yaml': `name: x\nquestion: q?\n${BASE.replace('  lr: 0.1\n', '')}`});
  t.regex(errorOf(() => loadExperiment(p('x.yaml'))).message, /\(train\.lr\): missing required key "train\.lr"/);
});

test('several problems are reported together', (t) => {
  const p = files({'x.yaml': `name: x\nquestion: q?\n${BASE.replace('lr: 0.1', 'lr: -1').replace('[8]', '[8, 0]')}`});
  const e = errorOf(() => loadExperiment(p('x.yaml')));
  t.regex(e.message, /model\.hidden\[1\]/);
  t.regex(e.message, /train\.lr/);
});

test('extends deep-merges parents first, the file itself last', (t) => {
  const p = files({
    'p1.yaml': 'train: {optimizer: adam, lr: 0.5, batch_size: 8, steps: 3, eval_every: 1}\nmodel: {kind: mlp, hidden: [4, 4]}\n',
    'p2.yaml': 'extends: p1.yaml\ntrain: {lr: 0.01}\n',
    'x.yaml': 'name: x\nquestion: q?\nextends: [p2.yaml]\ndataset: {name: synthetic}\ntrain: {steps: 7}\n',
  });
  const {config} = loadExperiment(p('x.yaml'));
  t.is(config.train.optimizer, 'adam');
  t.is(config.train.lr, 0.01);
  t.is(config.train.steps, 7);
  t.deepEqual(config.model.hidden, [4, 4]);
});

test('an extends cycle is rejected, naming the chain', (t) => {
  const p = files({'a.yaml': 'extends: b.yaml\nname: a\n', 'b.yaml': 'extends: a.yaml\n'});
  t.regex(errorOf(() => loadExperiment(p('a.yaml'))).message, /`extends` forms a cycle: .*a\.yaml → .*b\.yaml → .*a\.yaml/);
});

test('a missing parent file and invalid YAML are located', (t) => {
  const p = files({'a.yaml': 'extends: nope.yaml\n', 'bad.yaml': 'name: x\ntrain: [1, 2\n'});
  t.regex(errorOf(() => loadExperiment(p('a.yaml'))).message, /a\.yaml:1:10 \(extends\): `extends` names "nope\.yaml", which does not exist: not at \S*nope\.yaml \(relative to this file\)/);
  t.regex(errorOf(() => loadExperiment(p('bad.yaml'))).message, /bad\.yaml:\d+:\d+: invalid YAML/);
});

// What a global install looks like: the experiment in a directory of its own, far from the package.
test('extends names a bundled experiment or a bundled file from anywhere: relative to the file first, then by name, then in the package', (t) => {
  const p = files({
    'by-name.yaml': 'name: mine\nquestion: q?\nextends: quickstart\ntrain: {steps: 20}\n',
    'by-path.yaml': [
      'name: mine',
      'question: q?',
      'extends: [configs/datasets/fashion-mnist-mini.yaml, configs/models/mlp-3x100.yaml, configs/optimizers/sgd.yaml, experiments/smoke.yaml]',
      'train: {steps: 20}',
      '',
    ].join('\n'),
    'local.yaml': 'name: mine\nquestion: q?\nextends: [quickstart, configs/optimizers/sgd.yaml]\ntrain: {steps: 20}\n',
  });
  // A file beside the experiment wins over the bundled one of the same path.
  mkdirSync(join(dirname(p('local.yaml')), 'configs', 'optimizers'), {recursive: true});
  writeFileSync(p('configs/optimizers/sgd.yaml'), 'train: {lr: 0.03}\n');
  t.false(p('by-name.yaml').startsWith(REPO));
  const byName = loadExperiment(p('by-name.yaml'));
  t.is(byName.config.name, 'mine');
  t.deepEqual(byName.config.model.hidden, [100, 100, 100]); // quickstart's own extends, resolved from where it is
  t.is(byName.config.train.steps, 20);
  t.is(byName.config.claims?.length, loadExperiment(join(REPO, 'experiments', 'quickstart.yaml')).config.claims?.length);
  t.is(byName.expanded.runs.length, 12);
  t.true(byName.sources.layers.some((l) => l.file.endsWith(join('experiments', 'quickstart.yaml'))), 'quickstart is a layer, for locating errors');
  const byPath = loadExperiment(p('by-path.yaml'));
  t.deepEqual(byPath.config.model.hidden, [32, 32]); // smoke's, the last parent
  t.is(byPath.config.train.lr, 0.1);
  t.is(byPath.expanded.runs.length, 12);
  t.is(loadExperiment(p('local.yaml')).config.train.lr, 0.03);
});

test('an extends that names nothing says everything that was tried, at the extends key, with the nearest bundled name', (t) => {
  const p = files({
    'x.yaml': 'name: x\nquestion: q?\nextends:\n  - quickstrt\n  - ../configs/models/mlp-3x100.yaml\n  - configs/models/nope.yaml\n  - /nowhere/at/all.yaml\n',
  });
  const errors = errorOf(() => loadExperiment(p('x.yaml'))).all;
  t.deepEqual(errors.map((e) => `${e.location?.line}:${e.location?.col} ${e.location?.path} ${e.code}`), [
    '4:5 extends[0] path', '5:5 extends[1] path', '6:5 extends[2] path', '7:5 extends[3] path',
  ]);
  const [typo, copied, fragment, absolute] = errors.map((e) => e.detail);
  const tried = (written: string) => new RegExp(
    `^\`extends\` names "${written.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}", which does not exist: not at \\S+ \\(relative to this file\\), ` +
    'not a bundled experiment \\(bn-activations, .*quickstart, .*\\), not a bundled file \\(configs/datasets/fashion-mnist-mini\\.yaml, .*configs/models/mlp-3x100\\.yaml, .*experiments/<name>\\.yaml; in \\S+\\)',
  );
  t.regex(typo!, tried('quickstrt'));
  t.regex(typo!, /did you mean "quickstart"\?$/);
  // A bundled experiment copied out of the package keeps its ../configs paths: the fix is suggested.
  t.regex(copied!, tried('../configs/models/mlp-3x100.yaml'));
  t.regex(copied!, /did you mean "configs\/models\/mlp-3x100\.yaml"\?$/);
  t.regex(fragment!, tried('configs/models/nope.yaml'));
  t.is(absolute, '`extends` names "/nowhere/at/all.yaml", which does not exist');
});

test('a bundled path names only the YAML under configs/ and experiments/, normalised first', (t) => {
  const p = files({'x.yaml': 'name: x\nquestion: q?\nextends: configs/../package.json\n'});
  t.regex(errorOf(() => loadExperiment(p('x.yaml'))).message, /`extends` names "configs\/\.\.\/package\.json", which does not exist/);
});

test('--set overrides any key, values read as YAML; grid keys keep their dots', (t) => {
  const p = files({'x.yaml': `name: x\nquestion: q?\n${BASE}`});
  const loaded = loadExperiment(p('x.yaml'), {set: ['train.lr=0.05', 'model.hidden=[3, 3]', 'grid.train.batch_size=[8, 16]']});
  t.is(loaded.config.train.lr, 0.05);
  t.deepEqual(loaded.config.model.hidden, [3, 3]);
  const {runs, factorKeys} = expandExperiment(loaded);
  t.deepEqual(factorKeys, ['train.batch_size']);
  t.deepEqual(runs.map((r) => r.train.batch_size), [8, 16]);
  t.regex(errorOf(() => loadExperiment(p('x.yaml'), {set: ['train.lr=-3']})).message, /^--set \(train\.lr\): /);
  t.regex(errorOf(() => loadExperiment(p('x.yaml'), {set: ['train.lr']})).message, /--set takes key\.path=value/);
});

test('--set grid.<key> on a grid written as blocks is an error, not a silently smaller grid', (t) => {
  const dir = tempDir('normbench-load-');
  const file = join(dir, 'b.yaml');
  writeFileSync(file, 'name: b\nquestion: q?\ndataset: {name: synthetic}\nmodel: {kind: mlp, hidden: [8]}\ntrain: {lr: 0.1, batch_size: 16, steps: 10, eval_every: 5}\ngrid:\n  - {norm: none, seed: [1, 2]}\n  - {norm: batch}\n');
  const error = t.throws(() => loadExperiment(file, {set: ['grid.seed=[1,2,3]']}));
  t.regex(error!.message, /--set \(grid\.seed\): the grid is a list of blocks \(at \S+b\.yaml:6:1\), so --set grid\.seed would replace all of them with one map; edit the blocks, or set the whole grid: --set 'grid=\[\{…\}, \{…\}\]'/);
  t.is(loadExperiment(file, {set: ['grid=[{norm: none}]']}).expanded.runs.length, 1);
});
