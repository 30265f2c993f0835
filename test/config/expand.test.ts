// backend-independent: experiment files loaded and expanded; no tensors.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {tempDir, userErrorMessage as message} from '../helpers.js';
import {expandExperiment} from '../../src/config/expand.js';
import {loadExperiment} from '../../src/config/load.js';

const HEAD = `name: g
question: q?
dataset: {name: synthetic}
model: {kind: mlp, hidden: [8]}
train: {lr: 0.1, batch_size: 16, steps: 10, eval_every: 5}
`;

function expand(grid: string) {
  const dir = tempDir('normbench-grid-');
  const file = join(dir, 'g.yaml');
  writeFileSync(file, `${HEAD}grid:\n${grid}`);
  return expandExperiment(loadExperiment(file));
}


test('the grid is the cartesian product, first key slowest, with dotted keys as factors', (t) => {
  const {runs, factorKeys} = expand('  norm: [none, batch]\n  train.lr: [0.1, 0.01]\n  model.hidden: [[8], [8, 8]]\n');
  t.is(runs.length, 8);
  t.deepEqual(factorKeys, ['train.lr', 'model.hidden']);
  t.deepEqual(runs.map((r) => `${r.norm_label} ${r.factors['train.lr']} ${r.factors['model.hidden']}`).slice(0, 3),
    ['none 0.1 [8]', 'none 0.1 [8,8]', 'none 0.01 [8]']);
  t.deepEqual(runs[1]!.model.hidden, [8, 8]);
  t.is(runs[2]!.train.lr, 0.01);
  t.deepEqual(runs.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('norm entries take options and get readable labels; defaults resolve to the same run', (t) => {
  const {runs} = expand('  norm: [batch, {name: batch, momentum: 0.99}, {name: batch, center: false, scale: false}, {name: layer}]\n');
  t.deepEqual(runs.map((r) => r.norm_label), ['batch', 'batch(momentum=0.99)', 'batch(center=false,scale=false)', 'layer']);
  t.deepEqual(runs[1]!.norm.options, {momentum: 0.99, epsilon: 1e-5, center: true, scale: true});
  t.regex(message(() => expand('  norm: [batch, {name: batch, momentum: 0.9}]\n')),
    /g\.yaml:7:17 \(grid\.norm\[1\]\): grid\.norm\[1\] gives the same norm as grid\.norm\[0\], so grid cell 1 \(batch · relu · seed 1\) is the same run as cell 0 \(batch · relu · seed 1\); list each value once/);
});

test('grid errors point at the offending entry with line:col and suggestions', (t) => {
  t.regex(message(() => expand('  norm: [none, bacth]\n')), /g\.yaml:7:16 \(grid\.norm\[1\]\): Unknown norm "bacth" — did you mean "batch"\?/);
  t.regex(message(() => expand('  norm: [{name: batch, momentun: 0.9}]\n')),
    /g\.yaml:7:24 \(grid\.norm\[0\]\.momentun\): unknown key "momentun" — did you mean "momentum"\?/);
  t.regex(message(() => expand('  activation: [relu, sigmod]\n')), /\(grid\.activation\[1\]\): Unknown activation "sigmod" — did you mean "sigmoid"\?/);
  t.regex(message(() => expand('  train.lr: [0.1, -2]\n')), /g\.yaml:7:19 \(grid\.train\.lr\[1\]\).*grid value for train\.lr/);
  t.regex(message(() => expand('  train.lrr: [0.1]\n')), /\(grid\.train\.lrr\): grid cannot vary "train\.lrr" — did you mean "train\.lr"\?/);
  t.regex(message(() => expand('  sed: [1, 2]\n')), /grid cannot vary "sed" — did you mean "seed"\?/);
});

test('a grid may be a list of blocks (explicit cells): their products joined, single values without brackets, absent factors at the cell\'s value', (t) => {
  const {runs, factorKeys} = expand([
    '  - {norm: none, train.lr: 0.1, seed: [1, 2]}',
    '  - {norm: batch, train.lr: [1, 3]}',
    '  - {norm: layer, model.hidden: [[8, 8]]}',
    '',
  ].join('\n'));
  t.deepEqual(factorKeys, ['train.lr', 'model.hidden']);
  t.deepEqual(runs.map((r) => `${r.norm_label} s${r.seed} lr=${r.factors['train.lr']} h=${r.factors['model.hidden']}`), [
    'none s1 lr=0.1 h=[8]',
    'none s2 lr=0.1 h=[8]',
    'batch s1 lr=1 h=[8]',
    'batch s1 lr=3 h=[8]',
    'layer s1 lr=0.1 h=[8,8]',
  ]);
  t.deepEqual(runs.map((r) => r.index), [0, 1, 2, 3, 4]);
  t.deepEqual((runs[4]!.model as {hidden: number[]}).hidden, [8, 8]);
  t.deepEqual(runs[4]!.factor_values['model.hidden'], [8, 8]);
  // The same cells in map form have the same run ids: identity is what is trained.
  const map = expand('  norm: [batch]\n  train.lr: [1, 3]\n');
  t.deepEqual(map.runs.map((r) => r.run_id), runs.slice(2, 4).map((r) => r.run_id));
});

test('grid blocks: a cell given twice and a bad block are located errors', (t) => {
  const twice = message(() => expand('  - {norm: [none, batch]}\n  - {norm: batch, train.lr: 0.1}\n'));
  t.regex(twice, /g\.yaml:8:5 \(grid\[1\]\): grid\[1\] repeats a cell of grid\[0\]: grid cell 2 \(batch · relu · seed 1 · train\.lr=0\.1\) is the same run as cell 1 \(batch · relu · seed 1 · train\.lr=0\.1\); list each cell once/);
  const bad = message(() => expand('  - {norm: nonee}\n  - 3\n  - {train.lr: [-1]}\n'));
  t.regex(bad, /g\.yaml:7:12 \(grid\[0\]\.norm\): Unknown norm "nonee" — did you mean "none"\?/);
  t.regex(bad, /g\.yaml:8:5 \(grid\[1\]\): a grid block is a map of keys to a value or a list of values/);
  t.regex(bad, /g\.yaml:9:17 \(grid\[2\]\.train\.lr\[0\]\): must be > 0 \(got -1\) \(grid value for train\.lr\)/);
  t.notRegex(bad, /\(grid\): /, 'no second, vaguer error for the grid as a whole');
});
