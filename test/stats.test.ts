// The report's statistics where they meet the edges of what a metric can be: intervals on the
// logit and log scales, the censored median of steps to a target, differences that round to zero
// printed as zero. Golden values from python3 with numpy (np.log, std(ddof=1)) and the t quantiles
// of src/results/report-stats.ts, written out where they are used; binomial levels from math.comb.
// backend-independent: arithmetic on numbers only.

import type {ExecutionContext} from 'ava';
import test from './ava.js';
import {describe, orderLevel, stepsToTarget} from '../src/results/report-stats.js';
import {ciCell, meanCell} from '../src/results/report-table.js';
import {pairedCell, within} from '../src/results/report-paired.js';

const close = (t: ExecutionContext, actual: number, expected: number, what: string, tol = 1e-7) =>
  t.true(Math.abs(actual - expected) <= tol, `${what}: ${actual} ≠ ${expected}`);

test('an accuracy\'s interval is t on the logit scale, mapped back: inside (0, 1) whatever the spread', (t) => {
  // z = ln(x/(1 − x)) of 0.70, 0.72, 0.74; z̄ ± 4.302653·sd(z)/√3 mapped back by 1/(1 + e^−z):
  // [0.6679942, 0.7672221], centre 0.7202918 (the plain t interval is [0.6703172, 0.7696828]).
  const s = describe([0.7, 0.72, 0.74], {kind: 'logit', epsilon: 0.0005});
  close(t, s.mean!, 0.72, 'mean');
  close(t, s.ci95![0], 0.6679942, 'low');
  close(t, s.ci95![1], 0.7672221, 'high');
  close(t, s.centre!, 0.7202918, 'centre');
  t.is(s.scale, 'logit');
  // 0.99, 1, 1 on 1000 examples: 1 is kept half an example inside, 1 − 0.0005, so its logit is
  // finite: [0.9079128, 0.9999817]. Plain t gives [0.9823245, 1.0110088]: above 100 %.
  const top = describe([0.99, 1, 1], {kind: 'logit', epsilon: 0.0005});
  close(t, top.ci95![0], 0.9079128, 'near 1, low');
  close(t, top.ci95![1], 0.9999817, 'near 1, high');
  t.true(describe([0.99, 1, 1]).ci95![1] > 1, 'the plain t interval passes 100 %');
  // Every seed at 100 %: the interval is the value itself, not 1 − ε.
  t.deepEqual(describe([1, 1, 1], {kind: 'logit', epsilon: 0.0005}).ci95, [1, 1]);
});

test('a loss\'s interval is t on the log scale: above 0, and one blow-up does not drag it', (t) => {
  // ln of 0.60, 0.56, 0.52: [0.4679927, 0.6678147], geometric mean 0.5590460 (plain t: [0.4606345, 0.6593655]).
  const s = describe([0.6, 0.56, 0.52], {kind: 'log'});
  close(t, s.ci95![0], 0.4679927, 'low');
  close(t, s.ci95![1], 0.6678147, 'high');
  close(t, s.centre!, 0.559046, 'geometric mean');
  // The case: nine seeds at 0.4 and one at 500. Plain t: [−62.66, 163.38], below zero.
  // On the log scale: [0.1626228, 4.0956295] around the geometric mean 0.8161143 — an interval for
  // it, which the arithmetic mean 50.36, pulled up by one seed, lies outside of.
  const plain = describe([...Array(9).fill(0.4), 500]);
  close(t, plain.ci95![0], -62.6573637, 'plain t low', 1e-6);
  const blow = describe([...Array(9).fill(0.4), 500], {kind: 'log'});
  close(t, blow.ci95![0], 0.1626228, 'log low');
  close(t, blow.ci95![1], 4.0956295, 'log high', 1e-6);
  close(t, blow.mean!, 50.36, 'arithmetic mean', 1e-9);
  // A loss of exactly 0 has no logarithm: the linear interval, cut at 0, and the scale says so.
  const zero = describe([0, 0.02, 0.04], {kind: 'log'});
  t.is(zero.scale, 'linear');
  t.is(zero.ci95![0], 0);
  t.deepEqual(describe([0.87], {kind: 'log'}), {n: 1, mean: 0.87}, 'n = 1: no sd, no interval');
});

test('steps to a target: a censored median with an order-statistic interval and its level', (t) => {
  // Binomial(n, ½) levels of [x_(l), x_(n+1−l)] (sum of comb(n, i) for i in l…n−l, over 2^n):
  for (const [n, l, level] of [[2, 1, 0.5], [3, 1, 0.75], [5, 1, 0.9375], [6, 1, 0.96875], [6, 2, 0.78125], [10, 2, 0.978515625], [10, 3, 0.890625], [20, 6, 0.9586105346679688]] as const) {
    close(t, orderLevel(n, l), level, `level n=${n} l=${l}`, 1e-12);
  }
  // 3 runs of 1000 steps that all reached it at 100, 150, 750: median 150, [100, 750] at 75 %
  // (the t interval of the mean was [−565, 1232]).
  t.deepEqual(stepsToTarget([750, 100, 150], 3, 1000), {n: 3, reached: 3, last: 1000, median: 150, interval: {lo: 100, hi: 750, level: 0.75}});
  // 2 of 3 reached it: the third is past step 1000, so the median is x_(2) = 300 and the top is censored.
  t.deepEqual(stepsToTarget([300, 200], 3, 1000), {n: 3, reached: 2, last: 1000, median: 300, interval: {lo: 200, level: 0.75}});
  // 1 of 3: the median itself is past the end.
  t.deepEqual(stepsToTarget([200], 3, 1000), {n: 3, reached: 1, last: 1000, interval: {lo: 200, level: 0.75}});
  t.deepEqual(stepsToTarget([], 3, 1000), {n: 3, reached: 0, last: 1000, interval: {level: 0.75}});
  // 10 runs, 8 reached: l = 2 (level 0.9785 ≥ 95 %, l = 3 only 0.8906): [x_(2), x_(9)], x_(9) censored; median x_(5).
  t.deepEqual(stepsToTarget([800, 100, 200, 300, 400, 500, 600, 700], 10, 1000), {n: 10, reached: 8, last: 1000, median: 500, interval: {lo: 200, level: 0.978515625}});
  t.deepEqual(stepsToTarget([400], 1, 1000), {n: 1, reached: 1, last: 1000, median: 400}, 'n = 1: no interval');

  const metric = {key: 'steps_to_test_accuracy_0.8', label: 'steps→test acc 0.8', kind: 'steps' as const};
  const cells = (reached: number[], n: number) => {
    const s = {n, steps: stepsToTarget(reached, n, 3000)};
    return [meanCell(metric, s), ciCell(metric, s)];
  };
  t.deepEqual(cells([250, 250, 750], 3), ['250 (3/3)', '[250, 750] 75 %']);
  t.deepEqual(cells([3000], 3), ['>3000 (1/3)', '[3000, >3000] 75 %']);
  t.deepEqual(cells([], 3), ['>3000 (0/3)', '>3000 75 %']);
  t.deepEqual(cells([100, 200, 300, 400, 500, 600], 6), ['300 (6/6)', '[100, 600]'], 'n = 6 reaches 95 %: no level printed');
});

test('a paired difference that rounds to zero reads 0.0, never -0.0', (t) => {
  const metric = {key: 'final_test_accuracy', label: 'final acc %', kind: 'fraction' as const};
  t.is(pairedCell(metric, {n: 3, mean: -0.0001, sd: 0.0002, ci95: [-0.0004, 0.0002], agree: 2, pairs: [], unpaired: []}), '0.0 [0.0, 0.0] 2/3');
  t.is(pairedCell(metric, {n: 3, mean: 0.012, sd: 0.001, ci95: [0.0095, 0.0144], agree: 3, pairs: [], unpaired: []}), '+1.2 [+0.9, +1.4] 3/3');
  t.is(pairedCell(metric, {n: 3, mean: -0.012, sd: 0.001, ci95: [-0.0144, -0.0095], agree: 3, pairs: [], unpaired: []}), '-1.2 [-1.4, -0.9] 3/3');
});

test('a paired interval stays within what a difference can be: ±100 points, ±S steps; a loss difference is left alone', (t) => {
  // Two seeds differing by +0.5 and −0.3: mean 0.1, sd 0.5656854, t(0.975, 1) = 12.706205 →
  // half-width 5.0824820: [−4.98, +5.18], i.e. −498 points. A difference of accuracies lies in [−1, 1].
  const stat = {n: 2, mean: 0.1, sd: 0.5656854, ci95: [-4.982482, 5.182482] as [number, number], agree: 1, pairs: [], unpaired: []};
  t.deepEqual(within(stat, 'fraction', 200).ci95, [-1, 1]);
  t.deepEqual(within(stat, 'steps', 3).ci95, [-3, 3]);
  t.deepEqual(within(stat, 'value', 200).ci95, stat.ci95);
  const metric = {key: 'final_test_accuracy', label: 'final acc %', kind: 'fraction' as const};
  t.is(pairedCell(metric, within(stat, 'fraction', 200)), '+10.0 [-100.0, +100.0] 1/2');
});
