// report on a sweep: a summary metric against each numeric grid factor (the log-axis decision, one
// line per condition, the interval band, diverged and failed runs shown), runs stuck at chance
// flagged without touching summary.csv, steps to a target censored, --x and --y. On the fixture
// test/fixtures/report/sweep (make-fixture.mjs there: the rules that made each number), and the
// data set facts the chance rule reads checked against the loaded data.
//
// backend-independent: report reads results files; the data sets load without tensors.

import {cpSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import type {ExecutionContext} from 'ava';
import test from './ava.js';
import {datasetFacts} from '../src/spec/datasets.js';
import type {DatasetSpec} from '../src/spec/experiment.js';
import {loadDataset} from '../src/data/registry.js';
import {readResults} from '../src/results/read.js';
import {makeConditions, makeSources} from '../src/results/report-data.js';
import {metricsOf, summarise} from '../src/results/report-summary.js';
import {chanceReport, chanceRule} from '../src/results/report-chance.js';
import {numericFactors, spansDecade, sweepChoices, sweepPlot, tiedFactors} from '../src/results/report-sweep.js';
import type {ConditionSummary} from '../src/results/report-summary.js';
import {normColours} from '../src/results/plots.js';
import {cliInProcess as nb, REPO, tempDir} from './helpers.js';

const SWEEP = join(REPO, 'test', 'fixtures', 'report', 'sweep');

const close = (t: ExecutionContext, actual: number, expected: number, what: string, tol = 1e-7) =>
  t.true(Math.abs(actual - expected) <= tol, `${what}: ${actual} ≠ ${expected}`);

let base: string;

test.before(() => {
  base = tempDir('normbench-sweep-');
  cpSync(SWEEP, join(base, 'sweep'), {recursive: true});
});

/** The fixture's sources, conditions, statistics and runs at chance, as makeReport makes them. */
function load() {
  const sources = makeSources([readResults(SWEEP)]);
  const {conditions} = makeConditions(sources);
  const metrics = metricsOf(sources);
  const chance = chanceReport(sources, conditions);
  return {sources, conditions, metrics, chance, summaries: summarise(sources, conditions, metrics, chance.runs)};
}

test('the data set facts the report reads are the sizes the loaders make', (t) => {
  const specs: DatasetSpec[] = [
    {name: 'fashion-mnist-mini'},
    {name: 'fashion-mnist-mini', test_limit: 300, train_limit: 500, validation: 0.1},
    {name: 'fashion-mnist-mini-rows', validation: 250},
    {name: 'synthetic', features: 4, classes: 5, train_size: 200, test_size: 80, separation: 2, seed: 3, validation: 0.25},
    {name: 'adding', length: 6, train_size: 50, test_size: 40, seed: 1},
  ];
  for (const spec of specs) {
    const data = loadDataset(spec);
    const facts = datasetFacts(spec);
    const expected = {
      task: data.task, classes: data.classes, train: data.train.n, test: data.test.n,
      ...(data.validation ? {validation: data.validation.n} : {}),
    };
    t.deepEqual(facts, expected, JSON.stringify(spec));
  }
  t.like(datasetFacts({name: 'fashion-mnist', test_limit: 2000}), {classes: 10, train: 60000, test: 2000});
});

test('the chance level: 1/K + 3 SE of a guesser on the evaluation split; the adding problem: its mean', (t) => {
  // 10 classes, 1000 examples: 0.1 + 3·√(0.1·0.9/1000) = 0.1284605 (python3: 0.12846049894151543).
  const mini = chanceRule({name: 'fashion-mnist-mini'}, ['best_test_accuracy'])!;
  t.like(mini, {kind: 'accuracy', column: 'best_test_accuracy', chance: 0.1, examples: 1000, classes: 10});
  close(t, mini.threshold, 0.1284605, 'mini');
  close(t, chanceRule({name: 'fashion-mnist'}, ['best_test_accuracy'])!.threshold, 0.109, 'full set, 10000 examples');
  // Only a validation accuracy: its split's size (0.1 of 6000 = 600 examples).
  const val = chanceRule({name: 'fashion-mnist-mini', validation: 0.1}, ['best_val_accuracy'])!;
  t.like(val, {column: 'best_val_accuracy', examples: 600});
  // The adding problem: 1/6 − 3·√(7/180/1000) = 0.1479584; a sequence regression without a known mean has no rule.
  close(t, chanceRule({name: 'adding', length: 10, train_size: 10, test_size: 1000, seed: 1}, [])!.threshold, 0.1479584, 'adding');
  t.is(chanceRule({name: 'synthetic', features: 2, classes: 2, train_size: 10, test_size: 10, separation: 1, seed: 1}, [])?.column, undefined, 'no accuracy column: no rule');
});

test('runs stuck at chance are flagged in the table and the JSON; summary.csv keeps its status', async (t) => {
  const before = readFileSync(join(base, 'sweep', 'summary.csv'));
  const r = await nb(['report', 'sweep', '--out', 'out'], base);
  t.is(r.code, 0, r.stderr);
  // none · lr 1 · batch 16: seed 1 never left 0.1 (at chance), seed 2 reached 0.129 > 0.1284605 once (not), seed 3 diverged.
  t.regex(r.stdout, /^none +relu +1 +16 +2 +1 +0 +1 +10\.0 ± 0\.0 +11\.5 ± 2\.1 /m);
  t.regex(r.stdout, /^none +relu +0\.1 +16 +3 +0 +0 +0 /m);
  t.regex(r.stdout, /best test accuracy ≤ 12\.8 % \(chance 1\/10 \+ 3 SE on 1000 test examples\)\. At chance: 2 runs: none · relu · train\.lr=1 · train\.batch_size=16 · seed 1; none · relu · train\.lr=1 · train\.batch_size=32 · seed 1\./);
  t.true(readFileSync(join(base, 'sweep', 'summary.csv')).equals(before), 'summary.csv untouched');
  const stuckRow = readFileSync(join(base, 'sweep', 'summary.csv'), 'utf8').split('\n').find((l) => /^\w+,none,relu,1,1,16,/.test(l))!;
  t.regex(stuckRow, /,ok,200,22\.00000,0\.100000,0\.100000,/, 'its status is still ok');

  const json = JSON.parse((await nb(['report', 'sweep', '--out', 'out', '--json'], base)).stdout);
  t.like(json.chance[0], {results: 'sweep-fixture', kind: 'accuracy', column: 'best_test_accuracy', classes: 10, examples: 1000});
  close(t, json.chance[0].threshold, 0.1284605, 'threshold');
  const cond = (norm: string, lr: number, size: number) =>
    json.conditions.find((c: {norm: string; factors: Record<string, number>}) => c.norm === norm && c.factors['train.lr'] === lr && c.factors['train.batch_size'] === size);
  const stuck = cond('none', 1, 16);
  t.like(stuck, {runs: 3, n: 2, diverged: 1, at_chance: 1});
  const seed1 = readResults(SWEEP).manifest.runs.find((x) => x.norm === 'none' && x.seed === 1 && x.factors?.['train.lr'] === 1 && x.factors['train.batch_size'] === 16)!;
  t.deepEqual(stuck.at_chance_runs, [seed1.run_id]);
  t.is(json.conditions.reduce((a: number, c: {at_chance: number}) => a + c.at_chance, 0), 2);

  // Steps to 0.8, censored at 200: none · lr 0.1 · batch 16 ended at 0.79, 0.80, 0.81 → 2 of 3 reached it at
  // step 200; the median is x_(2) = 200; its interval [x_(1), x_(3)] = [200, >200] at 75 %.
  t.deepEqual(cond('none', 0.1, 16).metrics['steps_to_test_accuracy_0.8'], {n: 3, reached: 2, last_step: 200, median: 200, interval: [200, null], level: 0.75});
  t.regex(r.stdout, /^none +relu +0\.1 +16 +3 .* 200 \(2\/3\)$/m);
  t.regex(r.stdout, /^none +relu +0\.1 +16 +\[.* \[200, >200\] 75 %$/m);
  // batch · lr 0.1 · batch 16: 0.84, 0.85, 0.86 on the logit scale with ε = 0.5/1000 (python3/numpy):
  // [0.8236004, 0.8733762], centre 0.8501833; final loss 0.32, 0.30, 0.28 on the log scale: [0.2537658, 0.3536061].
  const batch = cond('batch', 0.1, 16).metrics;
  close(t, batch.final_test_accuracy.ci95[0], 0.8236004, 'accuracy low');
  close(t, batch.final_test_accuracy.ci95[1], 0.8733762, 'accuracy high');
  close(t, batch.final_test_loss.ci95[0], 0.2537658, 'loss low');
  close(t, batch.final_test_loss.ci95[1], 0.3536061, 'loss high');
});

test('the sweep plot: log x when the values span a decade, one line per condition, the interval as band, bad runs shown', (t) => {
  const {sources, metrics, summaries} = load();
  const numeric = numericFactors(sources);
  t.deepEqual([...numeric.entries()], [['train.lr', [0.01, 0.1, 1]], ['train.batch_size', [16, 32]]]);
  t.true(spansDecade([0.01, 0.1, 1]), 'max/min = 100');
  t.true(spansDecade([1, 10]), 'exactly a decade');
  t.false(spansDecade([16, 32]), 'max/min = 2');
  t.false(spansDecade([0, 1, 10]), 'not all positive');
  // Defaults: every numeric factor × final test accuracy and training-loss AUC.
  const choices = sweepChoices(sources, metrics, summaries, {});
  t.deepEqual(choices.map((c) => `${c.x} ${c.y.key}`), ['train.lr final_test_accuracy', 'train.lr train_loss_auc', 'train.batch_size final_test_accuracy', 'train.batch_size train_loss_auc']);
  const colours = normColours(['none', 'batch']);
  const accuracy = metrics.find((m) => m.key === 'final_test_accuracy')!;
  const lr = sweepPlot(sources, summaries, 'train.lr', [0.01, 0.1, 1], accuracy, colours);
  t.true(lr.logX);
  // One line per condition without train.lr: norm × batch size.
  t.deepEqual(lr.lines, ['sweep-fixture · none · relu · train.batch_size=16', 'sweep-fixture · none · relu · train.batch_size=32', 'sweep-fixture · batch · relu · train.batch_size=16', 'sweep-fixture · batch · relu · train.batch_size=32']);
  const spec = lr.spec as unknown as {data: {values: Array<Record<string, unknown>>}; facet: {sort: string[]}; spec: {layer: Array<{encoding: {x: {scale: {type?: string}}}}>}};
  t.is(spec.spec.layer[0]!.encoding.x.scale.type, 'log');
  t.deepEqual(spec.facet.sort, ['relu · train.batch_size=16', 'relu · train.batch_size=32']);
  const values = spec.data.values;
  const series = values.filter((d) => d.kind === 'series');
  t.is(series.length, 12, 'a point per condition');
  const point = series.find((d) => d.norm === 'batch' && d.x === 0.1 && d.panel === 'relu · train.batch_size=16')!;
  close(t, point.y as number, 0.8501833, 'centre');
  close(t, point.lo as number, 0.8236004, 'band low');
  close(t, point.hi as number, 0.8733762, 'band high');
  // 33 ok runs as dots (two at chance, as rings); 2 diverged and 1 failed as ×, not dropped.
  t.is(values.filter((d) => d.kind === 'run').length, 33);
  t.is(values.filter((d) => d.mark === 'a run at chance').length, 2);
  t.deepEqual(values.filter((d) => d.kind === 'bad').map((d) => `${d.norm} ${d.x} ${d.panel} ${d.status}`), [
    'none 1 relu · train.batch_size=16 diverged', 'none 1 relu · train.batch_size=32 diverged', 'batch 0.01 relu · train.batch_size=32 failed',
  ]);
  t.regex(lr.caption, /\(log axis\).*× at the bottom edge = a diverged or failed run/);
  // Against the batch size (16, 32): a linear axis, one line per norm and learning rate, a panel per learning rate.
  const size = sweepPlot(sources, summaries, 'train.batch_size', [16, 32], accuracy, colours);
  t.false(size.logX);
  t.is(size.lines.length, 6);
  t.is((size.spec as unknown as {spec: {layer: Array<{encoding: {x: {scale: {type?: string}}}}>}}).spec.layer[0]!.encoding.x.scale.type, undefined);
});

test('the rendered sweeps: in report.md, one drawn line per condition, the same bytes twice; --x and --y choose, and refuse what is not there', async (t) => {
  const r = await nb(['report', 'sweep', '--out', 'chosen', '--x', 'train.lr', '--y', 'best_test_accuracy'], base);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(readdirSync(join(base, 'chosen', 'plots')).sort(), ['sweep-train.lr-best_test_accuracy.svg', 'test_accuracy.svg', 'train_loss.svg']);
  const svg = readFileSync(join(base, 'chosen', 'plots', 'sweep-train.lr-best_test_accuracy.svg'), 'utf8');
  t.is((svg.match(/<g class="mark-line role-mark /g) ?? []).length, 4, 'four lines: none and batch in two panels');
  for (const text of ['train.lr (log scale)', 'relu', 'train.batch_size=16', 'diverged or failed run (at the edge)', 'a run at chance', 'best acc % vs train.lr']) {
    t.true(svg.includes(`>${text}<`), `"${text}" in the SVG`);
  }
  const md = readFileSync(join(base, 'chosen', 'report.md'), 'utf8');
  t.regex(md, /### best acc % vs train\.lr\n\n!\[best acc % vs train\.lr\]\(plots\/sweep-train\.lr-best_test_accuracy\.svg\)\n\n\*Figure 3\.\* `best_test_accuracy` at each `train\.lr` \(log axis\), one line per condition/);
  t.is((await nb(['report', 'sweep', '--out', 'again', '--x', 'train.lr', '--y', 'best_test_accuracy'], base)).code, 0);
  t.true(readFileSync(join(base, 'again', 'plots', 'sweep-train.lr-best_test_accuracy.svg')).equals(Buffer.from(svg)), 'the same bytes');

  // One value per flag: the directory may follow --x.
  const order = await nb(['report', '--x', 'train.batch_size', 'sweep', '--out', 'order'], base);
  t.is(order.code, 0, order.stderr);
  t.true(readdirSync(join(base, 'order', 'plots')).includes('sweep-train.batch_size-train_loss_auc.svg'));

  const cases: Array<[string[], RegExp]> = [
    [['--x', 'train.lrr'], /--x train\.lrr: not a grid factor of the results — did you mean "train\.lr"\? \(factors: train\.lr, train\.batch_size\)/],
    [['--y', 'final_test_acuracy'], /--y final_test_acuracy: not a metric of the report — did you mean "final_test_accuracy"\?/],
  ];
  for (const [flags, message] of cases) {
    const bad = await nb(['report', 'sweep', '--out', 'bad', ...flags], base);
    t.is(bad.code, 2, flags.join(' '));
    t.regex(bad.stderr, message);
  }
  t.false(readdirSync(base).includes('bad'), 'nothing written on bad input');
});

test('factors that move with x (grid blocks tying train.steps to the batch size) neither split lines nor panels, and get no sweep of their own', (t) => {
  const cond = (factors: Record<string, string>) => ({condition: {factors}}) as unknown as ConditionSummary;
  const fake = [
    cond({'train.batch_size': '16', 'train.steps': '6250', 'model.dropout': '0', 'train.lr': '0.1'}),
    cond({'train.batch_size': '16', 'train.steps': '6250', 'model.dropout': '0.2', 'train.lr': '0.1'}),
    cond({'train.batch_size': '64', 'train.steps': '1563', 'model.dropout': '0', 'train.lr': '0.1'}),
    cond({'train.batch_size': '64', 'train.steps': '1563', 'model.dropout': '0.2', 'train.lr': '0.1'}),
  ];
  // steps is a function of the batch size and varies; dropout varies independently; lr is constant.
  t.deepEqual(tiedFactors(fake, 'train.batch_size'), ['train.steps']);
  t.deepEqual(tiedFactors(fake, 'model.dropout'), []);
  // The fixture's two numeric factors are crossed: neither moves with the other.
  const {summaries} = load();
  t.deepEqual(tiedFactors(summaries, 'train.lr'), []);
  t.deepEqual(tiedFactors(summaries, 'train.batch_size'), []);
  // The committed bn-regularization: batch size, steps and eval_every move together.
  const sources = makeSources([readResults(join(REPO, 'results', 'reference', 'bn-regularization'))]);
  const {conditions} = makeConditions(sources);
  const metrics = metricsOf(sources);
  const reg = summarise(sources, conditions, metrics);
  t.deepEqual(tiedFactors(reg, 'train.batch_size'), ['train.steps', 'train.eval_every']);
  const choices = sweepChoices(sources, metrics, reg, {});
  t.deepEqual([...new Set(choices.map((c) => c.x))], ['train.batch_size', 'model.dropout'], 'no sweep over train.steps or train.eval_every');
  const gap = sweepPlot(sources, reg, 'train.batch_size', [16, 64, 256], metrics.find((m) => m.key === 'gap_loss')!, normColours(['none', 'batch']));
  t.is(gap.lines.length, 4, 'none and batch, with and without dropout');
  t.false(gap.lines.some((l) => l.includes('train.steps')), gap.lines.join('; '));
  t.regex(gap.caption, /`train\.steps`, `train\.eval_every` move with it/);
});
