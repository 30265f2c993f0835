// One table of the results files' columns (contract: the first ones are fixed, in order). Each
// column says its name, its role and how a finished run gives its text; writing (store.ts),
// reading (read.ts), verifying (verify.ts) and the printed tables take names and roles from here,
// so a column cannot be added to the header and forgotten in the rows, or shift the ones after it.
//
// Roles: `run` names the run (run_id, norm, activation, seed), `factor` is one of the grid's
// other factors, `key` names a row within a run (step, t, probe, layer), `outcome` says how a run
// ended (status, message: compared as text), `measure` is a number a rerun must reproduce, and
// `timing` may differ between identical runs (never compared).

import {DIRECT_GRID_KEYS, type EvalMode, type TunableKey} from '../spec/names.js';
import {tuneSpec} from '../spec/tune.js';
import type {ExperimentConfig, RunSpec} from '../spec/experiment.js';
import {gridKeys, type GridSpec} from '../spec/grid.js';
import type {CurvePoint, GradientFlowPoint, ProbeValue, RunRecord} from '../spec/records.js';
import {fmtFixed, fmtFraction, fmtValue} from './format.js';

export type ColumnRole = 'run' | 'factor' | 'key' | 'outcome' | 'measure' | 'timing';

export interface Column<R> {
  name: string;
  role: ColumnRole;
  /** The cell's text for one row's source. */
  text(row: R): string;
}

/** The results format: the version of this table's layout, written to and checked in every manifest. Bump it with any change here. */
export const RESULTS_FORMAT = 2;

/** The columns that head every CSV, naming the run. */
export const RUN_COLUMNS = ['run_id', 'norm', 'activation', 'seed'] as const;

/** The grid's factors that get a column of their own (norm, activation and seed have theirs). */
export function factorKeysOf(config: {grid?: GridSpec}): string[] {
  return gridKeys(config.grid).filter((k) => !(DIRECT_GRID_KEYS as readonly string[]).includes(k));
}

/** A results directory's factor columns: the grid's, and in a tuning directory the tuned key and the rung too. */
export function resultsFactorKeys(manifest: {stage?: 'tuning'; config: ExperimentConfig}): string[] {
  const {config} = manifest;
  return manifest.stage === 'tuning' && config.tune ? [...factorKeysOf(config), tuneSpec(config.tune).key, 'rung'] : factorKeysOf(config);
}

/** The run's columns, then its factors': what every row of a run starts with. */
function runColumns<R>(factorKeys: string[], spec: (row: R) => RunSpec): Array<Column<R>> {
  return [
    {name: 'run_id', role: 'run', text: (r) => spec(r).run_id},
    {name: 'norm', role: 'run', text: (r) => spec(r).norm_label},
    {name: 'activation', role: 'run', text: (r) => spec(r).activation},
    {name: 'seed', role: 'run', text: (r) => String(spec(r).seed)},
    ...factorKeys.map((key): Column<R> => ({name: key, role: 'factor', text: (r) => spec(r).factors[key] ?? ''})),
  ];
}

/** `time_to_<target>_s`: seconds to a target, a timing column. */
const timeTo = (key: string) => `time_to_${key}_s`;
const TIME_TO = /^time_to_.+_s$/;

/** curves.csv: one row per run and evaluation point; with a validation split, its loss and accuracy too. */
export function curveTable(factorKeys: string[], validation = false): Array<Column<{spec: RunSpec; point: CurvePoint}>> {
  return [
    ...runColumns(factorKeys, (r: {spec: RunSpec}) => r.spec),
    {name: 'step', role: 'key', text: ({point}) => String(point.step)},
    {name: 'epoch', role: 'measure', text: ({point}) => fmtFixed(point.epoch, 4)},
    {name: 'train_loss', role: 'measure', text: ({point}) => fmtValue(point.train_loss)},
    {name: 'train_accuracy', role: 'measure', text: ({point}) => fmtFraction(point.train_accuracy)},
    {name: 'test_loss', role: 'measure', text: ({point}) => fmtValue(point.test_loss)},
    {name: 'test_accuracy', role: 'measure', text: ({point}) => fmtFraction(point.test_accuracy)},
    ...(validation
      ? [
        {name: 'val_loss', role: 'measure', text: ({point}) => fmtValue(point.val_loss)},
        {name: 'val_accuracy', role: 'measure', text: ({point}) => fmtFraction(point.val_accuracy)},
      ] satisfies Array<Column<{spec: RunSpec; point: CurvePoint}>>
      : []),
    {name: 'wall_ms', role: 'timing', text: ({point}) => String(Math.round(point.wall_ms))},
  ];
}

/**
 * summary.csv: one row per run. With a validation split: its final and best accuracy, the step it
 * selects and the test metrics there (selection never reads the test split), and its loss AUC.
 */
export function summaryTable(factorKeys: string[], targetKeys: string[], evalModes: readonly EvalMode[] = [], validation = false, tuned?: TunableKey, trainEval = false): Array<Column<RunRecord>> {
  const hit = (r: RunRecord, key: string) => r.metrics?.targets.find((t) => t.key === key);
  const val = (r: RunRecord) => r.metrics?.validation;
  const selected: Array<Column<RunRecord>> = validation
    ? [
      {name: 'final_val_loss', role: 'measure', text: (r) => fmtValue(val(r)?.final_loss)},
      {name: 'final_val_accuracy', role: 'measure', text: (r) => fmtFraction(val(r)?.final_accuracy)},
      {name: 'best_val_accuracy', role: 'measure', text: (r) => fmtFraction(val(r)?.best_accuracy)},
      {name: 'best_val_step', role: 'measure', text: (r) => (val(r) ? String(val(r)!.best_step) : '')},
      {name: 'test_accuracy_at_best_val', role: 'measure', text: (r) => fmtFraction(val(r)?.test_accuracy_at_best)},
      {name: 'test_loss_at_best_val', role: 'measure', text: (r) => fmtValue(val(r)?.test_loss_at_best)},
    ]
    : [];
  return [
    ...runColumns(factorKeys, (r: RunRecord) => r.spec),
    // The value tuning chose for this run's condition (`tune:`), e.g. tuned_lr.
    ...(tuned ? [{name: tunedColumn(tuned), role: 'measure', text: (r) => String(r.spec.train[tuned.slice(6) as keyof RunRecord['spec']['train']] ?? '')}] satisfies Array<Column<RunRecord>> : []),
    {name: 'status', role: 'outcome', text: (r) => r.status},
    {name: 'steps', role: 'measure', text: (r) => String(r.steps)},
    {name: 'final_test_loss', role: 'measure', text: (r) => fmtValue(r.metrics?.final_test_loss)},
    {name: 'final_test_accuracy', role: 'measure', text: (r) => fmtFraction(r.metrics?.final_test_accuracy)},
    {name: 'best_test_accuracy', role: 'measure', text: (r) => fmtFraction(r.metrics?.best_test_accuracy)},
    {name: 'best_step', role: 'measure', text: (r) => (r.metrics ? String(r.metrics.best_step) : '')},
    ...selected,
    ...targetKeys.map((k): Column<RunRecord> => ({name: `steps_to_${k}`, role: 'measure', text: (r) => (hit(r, k)?.step === undefined ? '' : String(hit(r, k)!.step))})),
    ...targetKeys.map((k): Column<RunRecord> => ({name: timeTo(k), role: 'timing', text: (r) => fmtFixed(hit(r, k)?.seconds, 3)})),
    ...evalModes.flatMap((mode): Array<Column<RunRecord>> => [
      {name: `test_loss_${mode}`, role: 'measure', text: (r) => (r.evalModes?.[mode] ? fmtValue(r.evalModes[mode]!.loss) : '')},
      {name: `test_accuracy_${mode}`, role: 'measure', text: (r) => fmtFraction(r.evalModes?.[mode]?.accuracy)},
    ]),
    // eval_train: the final weights on the training split, and the gaps to the validation split (the test split without one).
    ...(trainEval ? trainEvalColumns(validation) : []),
    {name: 'train_loss_auc', role: 'measure', text: (r) => fmtValue(r.metrics?.train_loss_auc)},
    ...(validation ? [{name: 'val_loss_auc', role: 'measure', text: (r) => fmtValue(val(r)?.loss_auc)}] satisfies Array<Column<RunRecord>> : []),
    {name: 'steps_per_s', role: 'timing', text: (r) => fmtFixed(r.metrics?.steps_per_s, 2)},
    {name: 'wall_s', role: 'timing', text: (r) => fmtFixed(r.metrics?.wall_s, 3)},
    {name: 'params', role: 'measure', text: (r) => (r.params === undefined ? '' : String(r.params))},
    {name: 'message', role: 'outcome', text: (r) => r.message ?? ''},
  ];
}

/** `eval_train`'s columns: the training split's loss and accuracy, and held-out − training loss, training − held-out accuracy. */
function trainEvalColumns(validation: boolean): Array<Column<RunRecord>> {
  const held = (r: RunRecord) => (validation
    ? {loss: r.metrics?.validation?.final_loss, accuracy: r.metrics?.validation?.final_accuracy}
    : {loss: r.metrics?.final_test_loss, accuracy: r.metrics?.final_test_accuracy});
  const gap = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  return [
    {name: 'final_train_eval_loss', role: 'measure', text: (r) => fmtValue(r.trainEval?.loss)},
    {name: 'final_train_eval_accuracy', role: 'measure', text: (r) => fmtFraction(r.trainEval?.accuracy)},
    {name: 'gap_loss', role: 'measure', text: (r) => fmtValue(r.trainEval ? gap(held(r).loss, r.trainEval.loss) : undefined)},
    {name: 'gap_accuracy', role: 'measure', text: (r) => fmtFraction(r.trainEval ? gap(r.trainEval.accuracy, held(r).accuracy) : undefined)},
  ];
}

/** The summary column holding a run's tuned value: train.lr → tuned_lr. */
export const tunedColumn = (key: string): string => `tuned_${key.replace(/^train\./, '')}`;

/** gradient_flow.csv: one row per run, evaluation point and time step. */
export function gradientFlowTable(factorKeys: string[]): Array<Column<{spec: RunSpec; point: GradientFlowPoint; t: number}>> {
  return [
    ...runColumns(factorKeys, (r: {spec: RunSpec}) => r.spec),
    {name: 'step', role: 'key', text: ({point}) => String(point.step)},
    {name: 't', role: 'key', text: ({t}) => String(t)},
    {name: 'grad_norm', role: 'measure', text: ({point, t}) => fmtValue(point.grad_norms[t])},
  ];
}

/** diagnostics.csv, long form: a new probe needs no new column. */
export function diagnosticsTable(factorKeys: string[]): Array<Column<{spec: RunSpec; value: ProbeValue & {step: number}}>> {
  return [
    ...runColumns(factorKeys, (r: {spec: RunSpec}) => r.spec),
    {name: 'step', role: 'key', text: ({value}) => String(value.step)},
    {name: 'probe', role: 'key', text: ({value}) => value.probe},
    {name: 'layer', role: 'key', text: ({value}) => value.layer},
    {name: 'value', role: 'measure', text: ({value}) => fmtValue(value.value)},
  ];
}

/** A table's header line. */
export const namesOf = <R>(table: Array<Column<R>>): string[] => table.map((c) => c.name);

/** A table's rows for the given sources, one row each. */
export const rowsOf = <R>(table: Array<Column<R>>, sources: R[]): string[][] => sources.map((s) => table.map((c) => c.text(s)));

/** The rows a finished run adds to each CSV. */
export const curveRows = (record: RunRecord, factorKeys: string[], validation = false): string[][] =>
  rowsOf(curveTable(factorKeys, validation), record.points.map((point) => ({spec: record.spec, point})));
export const gradientFlowRows = (record: RunRecord, factorKeys: string[]): string[][] =>
  rowsOf(gradientFlowTable(factorKeys), (record.gradientFlow ?? []).flatMap((point) => point.grad_norms.map((_, t) => ({spec: record.spec, point, t}))));
export const diagnosticsRows = (record: RunRecord, factorKeys: string[]): string[][] =>
  rowsOf(diagnosticsTable(factorKeys), (record.diagnostics ?? []).map((value) => ({spec: record.spec, value})));

/** Names of the fixed columns after the run's and factors' (what a reader checks a file by). */
export const CURVE_MEASURES = namesOf(curveTable([])).slice(RUN_COLUMNS.length);

/** Roles by column name, over every table (templated names matched by their pattern). */
const ROLES = new Map<string, ColumnRole>(
  [...curveTable([], true), ...summaryTable([], [], [], true, undefined, true), ...gradientFlowTable([]), ...diagnosticsTable([])].map((c) => [c.name, c.role]),
);

/** The role of a column of any results CSV; a grid factor's name is a factor. */
export function columnRole(name: string, factorKeys: readonly string[] = []): ColumnRole {
  if (factorKeys.includes(name)) return 'factor';
  if (TIME_TO.test(name)) return 'timing';
  return ROLES.get(name) ?? 'measure';
}

/** Columns whose values may differ between identical runs. */
export const isTimingColumn = (name: string): boolean => columnRole(name) === 'timing';
