// The one table of results columns (src/results/columns.ts): headers and rows come from the same
// list, the roles decide what verify compares, and the layout of each results format is pinned,
// so that a change to the columns without a new RESULTS_FORMAT fails here.
// backend-independent: builds CSV rows from plain records; no tensors.

import test from './ava.js';
import {
  columnRole, curveRows, curveTable, diagnosticsRows, diagnosticsTable, factorKeysOf, gradientFlowRows, gradientFlowTable,
  isTimingColumn, namesOf, RESULTS_FORMAT, rowsOf, summaryTable,
} from '../src/results/columns.js';
import type {RunSpec} from '../src/spec/experiment.js';
import type {RunRecord} from '../src/spec/records.js';

const spec = {
  run_id: 'abc123def456', index: 0, norm: {name: 'batch', options: {}}, norm_label: 'batch', activation: 'relu', seed: 3,
  factors: {'train.lr': '0.1'}, factor_values: {'train.lr': 0.1}, probes: [], eval_modes: ['ema', 'population'],
} as unknown as RunSpec;

/** A finished run with every optional part filled in. */
const record: RunRecord = {
  spec, status: 'ok', steps: 20, params: 1234, message: 'a note', stackedWith: ['x'],
  points: [{step: 0, epoch: 0, train_loss: 2.3, train_accuracy: 0.1, test_loss: 2.3, test_accuracy: 0.1, wall_ms: 3.4}, {step: 20, epoch: 0.2, train_loss: 1.1, train_accuracy: 0.6, test_loss: 1.2, test_accuracy: 0.62, wall_ms: 90.2}],
  metrics: {
    final_test_loss: 1.2, final_test_accuracy: 0.62, best_test_accuracy: 0.62, best_step: 20,
    targets: [{metric: 'test_accuracy', value: 0.6, key: 'test_accuracy_0.6', step: 20, seconds: 0.09}],
    train_loss_auc: 1.7, steps_per_s: 222.2, wall_s: 0.1,
  },
  gradientFlow: [{step: 0, grad_norms: [0.1, 0.2, 0.3]}],
  diagnostics: [{step: 0, probe: 'dead_units', layer: 'hidden1', value: 0.25}],
  evalModes: {ema: {loss: 1.2, accuracy: 0.62}, population: {loss: 1.25, accuracy: 0.61}},
};

// The layout of results format 2, as every results directory of that format holds it.
const LAYOUT: Record<number, Record<string, string[]>> = {
  2: {
    curves: ['run_id', 'norm', 'activation', 'seed', 'train.lr', 'step', 'epoch', 'train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'wall_ms'],
    summary: ['run_id', 'norm', 'activation', 'seed', 'train.lr', 'status', 'steps', 'final_test_loss', 'final_test_accuracy', 'best_test_accuracy', 'best_step',
      'steps_to_test_accuracy_0.6', 'time_to_test_accuracy_0.6_s', 'test_loss_ema', 'test_accuracy_ema', 'test_loss_population', 'test_accuracy_population',
      'train_loss_auc', 'steps_per_s', 'wall_s', 'params', 'message'],
    gradient_flow: ['run_id', 'norm', 'activation', 'seed', 'train.lr', 'step', 't', 'grad_norm'],
    diagnostics: ['run_id', 'norm', 'activation', 'seed', 'train.lr', 'step', 'probe', 'layer', 'value'],
    // With a validation split (dataset.validation): columns added, none moved but wall_ms.
    curves_validation: ['run_id', 'norm', 'activation', 'seed', 'train.lr', 'step', 'epoch', 'train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'val_loss', 'val_accuracy', 'wall_ms'],
    summary_validation: ['run_id', 'norm', 'activation', 'seed', 'train.lr', 'status', 'steps', 'final_test_loss', 'final_test_accuracy', 'best_test_accuracy', 'best_step',
      'final_val_loss', 'final_val_accuracy', 'best_val_accuracy', 'best_val_step', 'test_accuracy_at_best_val', 'test_loss_at_best_val',
      'steps_to_test_accuracy_0.6', 'time_to_test_accuracy_0.6_s', 'test_loss_ema', 'test_accuracy_ema', 'test_loss_population', 'test_accuracy_population',
      'train_loss_auc', 'val_loss_auc', 'steps_per_s', 'wall_s', 'params', 'message'],
  },
};

const factorKeys = ['train.lr'];
const summary = summaryTable(factorKeys, ['test_accuracy_0.6'], ['ema', 'population']);

test('the column layout is the one pinned for RESULTS_FORMAT (change the columns → bump the format and pin its layout)', (t) => {
  const layout = LAYOUT[RESULTS_FORMAT];
  t.truthy(layout, `no layout pinned for format ${RESULTS_FORMAT}`);
  t.deepEqual({
    curves: namesOf(curveTable(factorKeys)),
    summary: namesOf(summary),
    gradient_flow: namesOf(gradientFlowTable(factorKeys)),
    diagnostics: namesOf(diagnosticsTable(factorKeys)),
    curves_validation: namesOf(curveTable(factorKeys, true)),
    summary_validation: namesOf(summaryTable(factorKeys, ['test_accuracy_0.6'], ['ema', 'population'], true)),
  }, layout!);
});

test('every row has a cell under every header, from the same list', (t) => {
  const rows = {
    curves: curveRows(record, factorKeys),
    summary: rowsOf(summary, [record]),
    gradient_flow: gradientFlowRows(record, factorKeys),
    diagnostics: diagnosticsRows(record, factorKeys),
  };
  t.is(rows.curves.length, 2);
  t.is(rows.gradient_flow.length, 3);
  for (const [name, table] of Object.entries(rows)) for (const row of table) t.is(row.length, LAYOUT[2]![name]!.length, name);
  const cells = Object.fromEntries(namesOf(summary).map((n, i) => [n, rows.summary[0]![i]]));
  t.like(cells, {
    run_id: 'abc123def456', norm: 'batch', 'train.lr': '0.1', status: 'ok', steps: '20', best_step: '20',
    'steps_to_test_accuracy_0.6': '20', 'time_to_test_accuracy_0.6_s': '0.090', params: '1234', message: 'a note',
  });
  t.is(rows.gradient_flow.map((r) => r[6]).join(), '0,1,2');
});

test('roles: timing columns are never compared, factor and run columns name the run, the rest are measures', (t) => {
  const all = Object.values(LAYOUT[2]!).flat();
  t.deepEqual([...new Set(all.filter(isTimingColumn))].sort(), ['steps_per_s', 'time_to_test_accuracy_0.6_s', 'wall_ms', 'wall_s']);
  t.is(columnRole('time_to_train_loss_0.5_s'), 'timing');
  t.is(columnRole('train.lr', factorKeys), 'factor');
  t.is(columnRole('seed'), 'run');
  t.is(columnRole('status'), 'outcome');
  t.is(columnRole('step'), 'key');
  t.is(columnRole('test_accuracy_population'), 'measure');
  t.deepEqual(factorKeysOf({grid: {norm: [], seed: [], 'train.lr': [], activation: [], model: []}}), ['train.lr', 'model']);
});
