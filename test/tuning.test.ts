// Tuning (`tune:`): the schedule's arithmetic by hand, the choice rules on hand-made results, the
// checks before any training, and the two stages through the CLI — kill -9 in either stage then
// --resume equals an uninterrupted run, tune shards → merge → final shards → merge equals the
// unsharded run, and nothing that selects reads the test split.
//
// backend-independent: its CLI runs name their backend (cpu).

import {cpSync, existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {cli, cliInProcess as nb, committedRuns, killWhen, readCsv, runWhole, tempDir, TUNED, untimed} from './helpers.js';
import {rungSizes, rungSteps, scheduleCost, logRange, tuneSpec} from '../src/spec/tune.js';
import {TUNE_METRIC_NAMES} from '../src/spec/names.js';
import {edgeWarning, tuningOutcome} from '../src/results/tuning.js';
import type {RunSpec, TuneSpec} from '../src/spec/experiment.js';
import {estimatedCost, STEP_OVERHEAD_EXAMPLES} from '../src/run/cost.js';
import {progressHooks} from '../src/run/progress.js';
import {rungRuns, tuningGroups} from '../src/run/tuning.js';
import {loadExperiment} from '../src/config/load.js';


function workdir(yaml = TUNED): string {
  const dir = tempDir('normbench-tuning-');
  writeFileSync(join(dir, 'tuned.yaml'), yaml);
  return dir;
}

const FILES = ['tuning.csv', 'tuning/curves.csv', 'tuning/summary.csv', 'curves.csv', 'summary.csv'];

function sameRun(t: import('ava').ExecutionContext, a: string, b: string, files = FILES): void {
  for (const file of files) t.deepEqual(untimed(readCsv(join(a, file))), untimed(readCsv(join(b, file))), `${file}: ${a} vs ${b}`);
}

/** Edit a tuning.csv so that the none condition "chose" the other value of its last rung. */
function chooseAnother(csv: string): void {
  const rows = readFileSync(csv, 'utf8').split('\n');
  const chosen = rows.findIndex((r) => r.startsWith('none') && r.endsWith(',yes'));
  const other = rows.findIndex((r, i) => i !== chosen && r.startsWith('none') && r.includes(',2,') && r.endsWith(',no'));
  rows[chosen] = rows[chosen]!.replace(/,yes$/, ',no');
  rows[other] = rows[other]!.replace(/,no$/, ',yes');
  writeFileSync(csv, rows.join('\n'));
}

/** The tuned grid run whole, on cpu in one process. */
let full: string;

test.before(() => {
  full = runWhole(workdir(), 'tuned.yaml');
});

test('successive halving by hand: ⌈n/η⌉ values go on to η× the steps until the last rung trains the whole budget', (t) => {
  const spec = (n: number, schedule: 'full' | 'halving' = 'halving', eta = 3) => ({values: Array.from({length: n}, (_, i) => i + 1), schedule, eta});
  t.deepEqual(rungSizes(spec(7)), [7, 3]);
  t.deepEqual([0, 1].map((r) => rungSteps(spec(7), r, 900)), [300, 900]);
  t.deepEqual(rungSizes(spec(27)), [27, 9, 3]);
  t.deepEqual([0, 1, 2].map((r) => rungSteps(spec(27), r, 900)), [100, 300, 900]);
  t.deepEqual(rungSizes(spec(5)), [5, 2]);
  t.deepEqual(rungSizes(spec(8, 'halving', 2)), [8, 4, 2]);
  t.deepEqual(rungSizes(spec(7, 'full')), [7]);
  t.is(rungSteps(spec(7, 'full'), 0, 900), 900);
  // 7 values: 7 × 300 + 3 × 900 = 4800 steps against 7 × 900 = 6300 for the full sweep.
  t.deepEqual(scheduleCost(spec(7), 900), {steps: 4800, full: 6300});
  t.deepEqual(logRange(0.003, 3, 7), [0.003, 0.00949, 0.03, 0.0949, 0.3, 0.949, 3]);
});

/** A tuning summary by hand: run, condition, value, seed, rung, status, metric. */
function summary(rows: Array<[string, string, number, number, number, string, string]>) {
  const columns = ['run_id', 'norm', 'activation', 'seed', 'train.lr', 'rung', 'status', 'steps', 'val_loss_auc'];
  return {summary: {columns, rows: rows.map(([id, norm, lr, seed, rung, status, metric]) => [id, norm, 'relu', String(seed), String(lr), String(rung), status, '30', metric])}};
}

const TUNE: TuneSpec = {key: 'train.lr', values: [0.01, 0.1, 1], metric: 'val_loss_auc', seeds: [101, 102], schedule: 'halving', eta: 2, shared: false};

test('the choice: the mean over tuning seeds, a diverged run the worst, ties to the smaller value, the edge named', (t) => {
  const results = summary([
    // none: rung 1 — 0.01 scores (2+2)/2 = 2, 0.1 scores (1+2)/2 = 1.5, 1 has a diverged seed (worst).
    ['a', 'none', 0.01, 101, 1, 'ok', '2'], ['b', 'none', 0.01, 102, 1, 'ok', '2'],
    ['c', 'none', 0.1, 101, 1, 'ok', '1'], ['d', 'none', 0.1, 102, 1, 'ok', '2'],
    ['e', 'none', 1, 101, 1, 'ok', '0.1'], ['f', 'none', 1, 102, 1, 'diverged', ''],
    // rung 2 (⌈3/2⌉ = 2 go on: 0.1 and 0.01): equal means — the tie goes to 0.01, the first listed.
    ['g', 'none', 0.01, 101, 2, 'ok', '0.5'], ['h', 'none', 0.01, 102, 2, 'ok', '0.7'],
    ['i', 'none', 0.1, 101, 2, 'ok', '0.6'], ['j', 'none', 0.1, 102, 2, 'ok', '0.6'],
    // batch: rung 1 only so far — 1 and 0.1 go on; nothing chosen yet.
    ['k', 'batch', 0.01, 101, 1, 'ok', '3'], ['l', 'batch', 0.01, 102, 1, 'ok', '3'],
    ['m', 'batch', 0.1, 101, 1, 'ok', '2'], ['n', 'batch', 0.1, 102, 1, 'ok', '2'],
    ['o', 'batch', 1, 101, 1, 'ok', '1'], ['p', 'batch', 1, 102, 1, 'ok', '1'],
  ]);
  const outcome = tuningOutcome(results, TUNE, []);
  t.deepEqual(outcome.survivors.get('none · relu'), [[0.01, 0.1, 1], [0.01, 0.1]]);
  t.deepEqual(outcome.survivors.get('batch · relu'), [[0.01, 0.1, 1], [0.1, 1]]);
  t.deepEqual(outcome.choices, [{group: 'none · relu', conditions: ['none · relu'], value: 0.01, edge: 'low'}]);
  const none1 = outcome.rows.filter((r) => r.condition === 'none · relu' && r.rung === 1);
  t.deepEqual(none1.map((r) => [r.value, r.mean, r.advanced]), [[0.01, 2, true], [0.01, 2, true], [0.1, 1.5, true], [0.1, 1.5, true], [1, Infinity, false], [1, Infinity, false]]);
  t.is(edgeWarning(outcome.choices[0]!, 'train.lr'), 'none · relu: the best train.lr, 0.01, is the smallest value tried — the best may lie beyond it: widen tune.train.lr downward');
  // Shared: one value for both, by the mean over conditions and seeds at rung 1 (0.1: 1.75, 1: worst).
  const shared = tuningOutcome(results, {...TUNE, shared: true}, []);
  t.deepEqual(shared.survivors.get('all conditions')?.[1], [0.01, 0.1]);
});

test('tuning never selects by a test-split metric: none is allowed, and the choice is blind to the test split', async (t) => {
  t.deepEqual(TUNE_METRIC_NAMES.filter((m) => m.includes('test')), []);
  const dir = workdir(TUNED.replace('metric: val_loss_auc', 'metric: final_test_accuracy'));
  const r = await nb(['validate', 'tuned.yaml'], dir);
  t.is(r.code, 2);
  t.regex(r.stderr, /tuned\.yaml:\d+:\d+ .*tune\.metric/s);
  t.regex(r.stderr, /val_loss_auc/);
  // The same experiment with a smaller test split: the tuning files are the same to the byte.
  const other = workdir(TUNED.replace('validation: 0.2}', 'validation: 0.2, test_limit: 30}'));
  const run = await nb(['run', 'tuned.yaml', '--out', 'o', '--quiet', '--backend', 'cpu', '--workers', '1', '--stage', 'tune'], other);
  t.is(run.code, 0, run.stderr);
  t.is(readFileSync(join(other, 'o', 'tuning.csv'), 'utf8'), readFileSync(join(full, 'tuning.csv'), 'utf8'));
});

test('the checks before training: a tuned key the grid sets, a validation metric without a split, a tuning seed of the grid', async (t) => {
  const cases: Array<[string, RegExp]> = [
    [TUNED.replace('seed: [1, 2]', 'seed: [1, 2]\n  train.lr: [0.1, 0.2]'), /train\.lr is both tuned and a grid factor/],
    [TUNED.replace(', validation: 0.2', ''), /tune\.metric val_loss_auc is measured on a validation split, and the data set has none/],
    [TUNED.replace('seeds: [101]', 'seeds: [2, 101]'), /tune\.seeds must be disjoint from the grid's seeds .*2 is also in the grid/],
    [TUNED.replace('train.lr: {log', 'train.lrr: {log'), /unknown key "train\.lrr" — did you mean "train\.lr"\?/],
    [TUNED.replace('points: 5', 'points: 1'), /points/],
    [TUNED.replace('log_range: [0.01, 1], points: 5', 'values: [0.1, -1]'), /train\.lr cannot take -1/],
  ];
  for (const [yaml, message] of cases) {
    const dir = workdir(yaml);
    const r = await nb(['validate', 'tuned.yaml'], dir);
    t.is(r.code, 2, yaml);
    t.regex(r.stderr, message);
    t.regex(r.stderr, /tuned\.yaml:\d+:\d+/);
  }
});

const committed = committedRuns;

test('kill -9 in the tuning stage and in the final stage, then --resume: the same files as an uninterrupted run', async (t) => {
  const dir = workdir();
  const out = join(dir, 'killed');
  const args = ['run', 'tuned.yaml', '--out', 'killed', '--quiet', '--backend', 'cpu', '--workers', '2'];
  // In rung 1 (3 tuning runs committed), in rung 2 (past the 10 of rung 1), in the final stage.
  await killWhen(args, dir, () => committed(join(out, 'tuning')) >= 3, 0);
  const inTuning = committed(join(out, 'tuning'));
  t.true(inTuning >= 3 && inTuning < 14 && !existsSync(join(out, 'tuning.csv')), `killed in tuning after ${inTuning} runs`);
  await killWhen([...args, '--resume'], dir, () => committed(join(out, 'tuning')) >= 11, 0);
  await killWhen([...args, '--resume'], dir, () => committed(out) >= 1, 0);
  t.true(existsSync(join(out, 'tuning.csv')), 'the tuning finished before the final stage began');
  t.true(committed(out) < 4, `killed in the final stage after ${committed(out)} runs`);
  const resumed = cli([...args, '--resume'], dir);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stderr, /resumed: kept \d+ finished runs?, trained \d/);
  sameRun(t, out, full);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  t.is(m.state, 'complete');
  t.deepEqual(m.tuning.chosen.map((c: {value: number}) => c.value), JSON.parse(readFileSync(join(full, 'manifest.json'), 'utf8')).tuning.chosen.map((c: {value: number}) => c.value));
});

test('sharded in two stages (tune shards → merge → final shards → merge) equals unsharded; the final stage refuses without the tuning', async (t) => {
  const dir = workdir();
  const run = (...more: string[]) => nb(['run', 'tuned.yaml', '--quiet', '--backend', 'cpu', '--workers', '1', ...more], dir);
  const whole = await run('--shard', '1/2');
  t.is(whole.code, 2);
  t.regex(whole.stderr, /so its shards run in two stages.*--stage tune --shard I\/2.*normbench merge/s);
  t.is((await run('--stage', 'tune', '--shard', '1/2', '--out', 't1')).code, 0);
  const early = await run('--stage', 'final', '--tuning', 't1', '--shard', '1/2', '--out', 'f1');
  t.is(early.code, 2);
  t.regex(early.stderr, /--stage final needs the tuning of every condition; \S+ has none for 1 of 2:\n {2}- batch · relu/);
  t.false(existsSync(join(dir, 'f1', 'manifest.json')), 'nothing written');
  const report = await nb(['report', 't1'], dir);
  t.is(report.code, 2);
  t.regex(report.stderr, /t1 holds only a tuned experiment's tuning \(run --stage tune\): its runs are a results directory of their own, t1\/tuning, and its choices are in t1\/tuning\.csv/);
  const half = await nb(['merge', 't1', '--out', 'bad'], dir);
  t.is(half.code, 2);
  t.regex(half.stderr, /shard 2 missing/);
  t.is((await run('--stage', 'tune', '--shard', '2/2', '--out', 't2')).code, 0);
  const merged = await nb(['merge', 't1', 't2', '--out', 'tuning'], dir);
  t.is(merged.code, 0, merged.stderr);
  t.regex(merged.stdout, /merged 2 tune shards: 14 tuning runs/);
  for (const i of [1, 2]) t.is((await run('--stage', 'final', '--tuning', 'tuning', '--shard', `${i}/2`, '--out', `f${i}`)).code, 0);
  const all = await nb(['merge', 'f1', 'f2', '--out', 'merged'], dir);
  t.is(all.code, 0, all.stderr);
  sameRun(t, join(dir, 'merged'), full);
  // verify takes the merged directory as it takes the unsharded one, tuning included.
  const verified = await nb(['verify', join(dir, 'merged'), '--reference', full, '--curves'], dir);
  t.is(verified.code, 0, verified.stdout + verified.stderr);
});

test('the run tells the stage while it runs, and the summary says each run\'s tuned value', (t) => {
  const stderr = cli(['run', 'tuned.yaml', '--out', 'again', '--backend', 'cpu', '--workers', '1'], workdir()).stderr;
  t.regex(stderr, /normbench · tuning train\.lr · rung 1 of 2: 5 values × 2 conditions × 1 seed at 30 steps\n {2}10 runs on backend cpu/);
  t.regex(stderr, /normbench · tuning train\.lr · rung 2 of 2: 2 values × 2 conditions × 1 seed at 90 steps\n {2}4 runs/);
  t.regex(stderr, /normbench · final: the grid's 4 runs, each condition at its tuned train\.lr/);
  const rows = readCsv(join(full, 'summary.csv'));
  const chosen = readCsv(join(full, 'tuning.csv')).filter((r) => r.chosen === 'yes');
  t.is(chosen.length, 2);
  for (const r of rows) t.is(r.tuned_lr, chosen.find((c) => c.norm === r.norm)!['train.lr']);
  t.deepEqual(tuneSpec({'train.lr': {values: [1, 0.1]}, metric: 'val_loss_auc', seeds: [1], schedule: 'full', eta: 3, shared: false}).values, [0.1, 1]);
});

test('verify covers the tuning: its runs are compared, and another chosen value fails the gate', async (t) => {
  const dir = workdir();
  const copy = join(dir, 'copy');
  cpSync(full, copy, {recursive: true});
  const ok = await nb(['verify', copy, '--reference', full], dir);
  t.is(ok.code, 0, ok.stdout);
  t.regex(ok.stdout, /and the tuning \(14 runs, \d+ values, each condition's choice the same\)/);
  chooseAnother(join(copy, 'tuning.csv'));
  const bad = await nb(['verify', copy, '--reference', full], dir);
  t.is(bad.code, 1);
  t.regex(bad.stdout, /none · relu\s+chosen train\.lr/);
  t.regex(bad.stdout, /FAILED: the tuning differs\./);
});

test('each stage\'s progress has its own rate and ETA: the steps of the tuning do not inflate the final stage\'s', (t) => {
  let clock = 0;
  let text = '';
  const stream = {write: (s: string) => ((text += s), true)} as unknown as NodeJS.WriteStream;
  const progress = progressHooks({tty: false, stream, now: () => clock});
  const spec = (id: string, steps: number) => ({run_id: id, norm_label: 'none', activation: 'relu', seed: 1, factors: {}, train: {steps, batch_size: 2}, model: {kind: 'mlp', hidden: [10]}, norm: {name: 'none', options: {}}}) as unknown as RunSpec;
  const grid = (steps: number, stage: string) => ({total: 1, done: 0, work: estimatedCost(spec('any', steps)), backend: 'cpu', outDir: 'o', mode: 'fresh' as const, workers: 1, stage});
  // The tuning: 1 000 steps in 1 s.
  progress.onGridStart!(grid(1000, 'tuning'));
  progress.onRunStart!(spec('a', 1000), 1, 1);
  clock = 1000;
  progress.onStep!(spec('a', 1000), 1000, 0.5);
  progress.onRunEnd!({spec: spec('a', 1000), status: 'ok', steps: 1000, points: []}, 1, 1);
  // The final stage: 1 000 steps at 250 steps/s — at step 250, 3 s to go (not 750 ÷ 1 250 steps/s).
  progress.onGridStart!(grid(1000, 'final'));
  progress.onRunStart!(spec('b', 1000), 1, 1);
  clock = 2000;
  progress.onStep!(spec('b', 1000), 250, 0.5);
  t.regex(text, /step 250\/1000 .* 250 steps\/s · run eta 3s · grid eta 3s/);
});

test('the grid ETA counts work, not steps: 8 000 steps at batch 2 after 250 at batch 64', (t) => {
  let clock = 0;
  let text = '';
  const stream = {write: (s: string) => ((text += s), true)} as unknown as NodeJS.WriteStream;
  const progress = progressHooks({tty: false, stream, now: () => clock});
  const spec = (id: string, steps: number, batch: number) => ({run_id: id, norm_label: 'none', activation: 'relu', seed: 1, factors: {}, train: {steps, batch_size: batch}, model: {kind: 'mlp', hidden: [10]}, norm: {name: 'none', options: {}}}) as unknown as RunSpec;
  const big = spec('big', 250, 64);
  const small = spec('small', 8000, 2);
  progress.onGridStart!({total: 2, done: 0, work: estimatedCost(big) + estimatedCost(small), backend: 'cpu', outDir: 'o', mode: 'fresh', workers: 1});
  // The batch-64 run takes 18 s: (64 + 8) × 10 of work a step, 250 steps, 10 000 a second.
  progress.onRunStart!(big, 1, 2);
  clock = 18_000;
  progress.onStep!(big, 250, 0.5);
  progress.onRunEnd!({spec: big, status: 'ok', steps: 250, points: []}, 1, 2);
  // The batch-2 run's steps are (2 + 8) × 10 = 100 of work each. At its first quarter (step 2 000,
  // at 56 s) 380 000 are done in 56 s; the 6 000 steps left are 600 000 of work: 88 s, not the
  // 149 s its steps would take at the grid's 40.2 steps a second so far.
  progress.onRunStart!(small, 2, 2);
  clock = 56_000;
  progress.onStep!(small, 2000, 0.5);
  t.is(STEP_OVERHEAD_EXAMPLES, 8);
  t.regex(text, /step 2000\/8000 .* grid eta 1m 28s/);
});

test('a grid that varies train.steps: each condition tunes within its own budget, and no two tuning runs share an id', (t) => {
  const dir = workdir(TUNED.replace('seed: [1, 2]', 'seed: [1, 2]\n  train.steps: [90, 270]'));
  const {expanded} = loadExperiment(join(dir, 'tuned.yaml'));
  const tune = tuneSpec(expanded.config.tune!);
  const groups = tuningGroups(expanded, tune);
  t.is(groups.length, 4);
  // Rung 1 of the 270-step conditions (90 steps) trains what rung 2 of the 90-step ones does: same
  // spec, and still two runs, told apart by their rung and budget.
  const runs = [1, 2].flatMap((rung) => rungRuns(expanded, tune, groups, rung, () => tune.values));
  t.deepEqual([...new Set(runs.filter((r) => r.factors.rung === '1').map((r) => r.train.steps))].sort((a, b) => a - b), [30, 90]);
  t.deepEqual([...new Set(runs.filter((r) => r.factors.rung === '2').map((r) => r.train.steps))].sort((a, b) => a - b), [90, 270]);
  t.is(new Set(runs.map((r) => r.run_id)).size, runs.length);
  t.is(new Set(runs.map((r) => r.index)).size, runs.length);
});

test('rows of a value the rung no longer selects (an earlier selection, since redone) are not part of the tuning, and do not make a rung complete', (t) => {
  const tune: TuneSpec = {...TUNE, seeds: [101]};
  // Rung 1 selects 0.1 and 1 (⌈3/2⌉ = 2); rung 2 holds a run at 0.01, left from a selection that
  // no longer holds, and one at 0.1: 1 is missing, so the rung is not decided yet.
  const results = summary([
    ['a', 'none', 0.01, 101, 1, 'ok', '3'], ['b', 'none', 0.1, 101, 1, 'ok', '2'], ['c', 'none', 1, 101, 1, 'ok', '1'],
    ['d', 'none', 0.01, 101, 2, 'ok', '0.1'], ['e', 'none', 0.1, 101, 2, 'ok', '0.5'],
  ]);
  const outcome = tuningOutcome(results, tune, []);
  t.deepEqual(outcome.survivors.get('none · relu'), [[0.01, 0.1, 1], [0.1, 1]]);
  t.deepEqual(outcome.choices, []);
  t.deepEqual(outcome.rows.map((r) => [r.rung, r.value]), [[1, 0.01], [1, 0.1], [1, 1], [2, 0.1]]);
  // With the run at 1 there, rung 2 decides among 0.1 and 1 only.
  const done = tuningOutcome(summary([...results.summary.rows.map((r) => [r[0], r[1], Number(r[4]), Number(r[3]), Number(r[5]), r[6], r[8]] as [string, string, number, number, number, string, string]),
    ['f', 'none', 1, 101, 2, 'ok', '0.7']]), tune, []);
  t.deepEqual(done.choices.map((c) => c.value), [0.1]);
  t.false(done.rows.some((r) => r.rung === 2 && r.value === 0.01));
});

test('validate refuses a tuned key the optimizer does not read, and a range whose points round to one value', async (t) => {
  const deaf = await nb(['validate', 'tuned.yaml'], workdir(TUNED.replace('train.lr: {log_range: [0.01, 1], points: 5}', 'train.momentum: {values: [0.5, 0.9]}')));
  t.is(deaf.code, 2);
  t.regex(deaf.stderr, /tuned\.yaml:\d+:\d+ .*optimizer sgd does not use train\.momentum: every value would train the same\. Tune a key it reads \(train\.lr, train\.clip_norm\)/);
  const same = await nb(['validate', 'tuned.yaml'], workdir(TUNED.replace('log_range: [0.01, 1], points: 5', 'log_range: [1, 1.002], points: 3')));
  t.is(same.code, 2);
  t.regex(same.stderr, /at 3 significant digits the range gives the same value more than once \(1, 1, 1\)/);
});

test('--stage final refuses a tuning.csv that does not say what its tuning runs choose', async (t) => {
  const dir = workdir();
  cpSync(full, join(dir, 'tuned-elsewhere'), {recursive: true});
  chooseAnother(join(dir, 'tuned-elsewhere', 'tuning.csv'));
  const r = await nb(['run', 'tuned.yaml', '--stage', 'final', '--tuning', 'tuned-elsewhere', '--out', 'f', '--quiet', '--backend', 'cpu', '--workers', '1'], dir);
  t.is(r.code, 2);
  t.regex(r.stderr, /tuning\.csv does not say what its tuning runs choose \(for none · relu\): was it edited\?/);
  t.false(existsSync(join(dir, 'f', 'manifest.json')));
});

test('more tune shards than conditions: the shard with none still merges, and the merge is the unsharded tuning', async (t) => {
  const dir = workdir();
  for (const i of [1, 2, 3]) {
    const r = await nb(['run', 'tuned.yaml', '--stage', 'tune', '--shard', `${i}/3`, '--out', `t${i}`, '--quiet', '--backend', 'cpu', '--workers', '1'], dir);
    t.is(r.code, 0, r.stderr);
  }
  t.is(readCsv(join(dir, 't3', 'tuning', 'summary.csv')).length, 0, 'shard 3 has no condition to tune');
  const merged = await nb(['merge', 't1', 't2', 't3', '--out', 'm'], dir);
  t.is(merged.code, 0, merged.stderr);
  sameRun(t, join(dir, 'm'), full, ['tuning.csv', 'tuning/curves.csv', 'tuning/summary.csv']);
});
