// The columns of curves.csv and summary.csv (contract: the first ones are fixed, in order).

import type {RunSpec} from '../spec/experiment.js';
import type {EvalMode} from '../spec/names.js';
import type {RunMetrics} from '../spec/records.js';
import type {CurvePoint, EvalResult, GradientFlowPoint} from '../spec/records.js';
import type {RunRecord} from '../spec/records.js';
import {fmtFixed, fmtFraction, fmtValue} from './format.js';


/** Columns whose values may differ between identical runs. */
export const TIMING_COLUMNS = ['wall_ms', 'steps_per_s', 'wall_s'] as const;
export const isTimingColumn = (name: string): boolean =>
  (TIMING_COLUMNS as readonly string[]).includes(name) || /^time_to_.*_s$/.test(name);

function identity(spec: RunSpec, factorKeys: string[]): string[] {
  return [spec.run_id, spec.norm_label, spec.activation, String(spec.seed), ...factorKeys.map((k) => spec.factors[k] ?? '')];
}

export function curveColumns(factorKeys: string[]): string[] {
  return ['run_id', 'norm', 'activation', 'seed', ...factorKeys,
    'step', 'epoch', 'train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'wall_ms'];
}

export function curveRows(record: RunRecord, factorKeys: string[]): string[][] {
  const id = identity(record.spec, factorKeys);
  return record.points.map((p) => [
    ...id,
    String(p.step),
    fmtFixed(p.epoch, 4),
    fmtValue(p.train_loss),
    fmtFraction(p.train_accuracy),
    fmtValue(p.test_loss),
    fmtFraction(p.test_accuracy),
    String(Math.round(p.wall_ms)),
  ]);
}

export function summaryColumns(factorKeys: string[], targetKeys: string[], evalModes: readonly EvalMode[] = []): string[] {
  return ['run_id', 'norm', 'activation', 'seed', ...factorKeys,
    'status', 'steps', 'final_test_loss', 'final_test_accuracy', 'best_test_accuracy', 'best_step',
    ...targetKeys.map((k) => `steps_to_${k}`), ...targetKeys.map((k) => `time_to_${k}_s`),
    ...evalModes.flatMap((mode) => [`test_loss_${mode}`, `test_accuracy_${mode}`]),
    'train_loss_auc', 'steps_per_s', 'wall_s', 'params', 'message'];
}

export function summaryRow(record: RunRecord, factorKeys: string[], targetKeys: string[], evalModes: readonly EvalMode[] = []): string[] {
  const m = record.metrics;
  const hit = (key: string) => m?.targets.find((t) => t.key === key);
  return [
    ...identity(record.spec, factorKeys),
    record.status,
    String(record.steps),
    fmtValue(m?.final_test_loss),
    fmtFraction(m?.final_test_accuracy),
    fmtFraction(m?.best_test_accuracy),
    m ? String(m.best_step) : '',
    ...targetKeys.map((k) => (hit(k)?.step === undefined ? '' : String(hit(k)!.step))),
    ...targetKeys.map((k) => fmtFixed(hit(k)?.seconds, 3)),
    ...evalModes.flatMap((mode) => {
      const r = record.evalModes?.[mode];
      return [r ? fmtValue(r.loss) : '', fmtFraction(r?.accuracy)];
    }),
    fmtValue(m?.train_loss_auc),
    fmtFixed(m?.steps_per_s, 2),
    fmtFixed(m?.wall_s, 3),
    record.params === undefined ? '' : String(record.params),
    record.message ?? '',
  ];
}

/** gradient_flow.csv: one row per run, evaluation point and time step. */
export function gradientFlowColumns(factorKeys: string[]): string[] {
  return ['run_id', 'norm', 'activation', 'seed', ...factorKeys, 'step', 't', 'grad_norm'];
}

export function gradientFlowRows(record: RunRecord, factorKeys: string[]): string[][] {
  const id = identity(record.spec, factorKeys);
  return (record.gradientFlow ?? []).flatMap((point) => point.grad_norms.map((g, t) => [...id, String(point.step), String(t), fmtValue(g)]));
}

/** diagnostics.csv, long form: a new probe needs no new column. */
export function diagnosticsColumns(factorKeys: string[]): string[] {
  return ['run_id', 'norm', 'activation', 'seed', ...factorKeys, 'step', 'probe', 'layer', 'value'];
}

export function diagnosticsRows(record: RunRecord, factorKeys: string[]): string[][] {
  const id = identity(record.spec, factorKeys);
  return (record.diagnostics ?? []).map((d) => [...id, String(d.step), d.probe, d.layer, fmtValue(d.value)]);
}
