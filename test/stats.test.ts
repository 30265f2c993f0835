// The report's statistics where they meet the edges of what a metric can be: intervals clipped to
// it, and differences that round to zero printed as zero.
// backend-independent: arithmetic on numbers only.

import test from './ava.js';
import {describe} from '../src/results/report-stats.js';
import {pairedCell} from '../src/results/report-paired.js';

test('a 95 % interval stays within what the metric can take: steps ≥ 0, an accuracy ≤ 1', (t) => {
  // Steps to a target over 3 seeds: 100, 150, 750. Mean 333.3, sd 361.7, t(0.975, 2) = 4.302653:
  // half-width 898.6, so the plain interval is [−565.2, 1231.9].
  const plain = describe([100, 150, 750]);
  t.is(Number(plain.ci95![0].toFixed(1)), -565.2);
  const steps = describe([100, 150, 750], [0, 1000]);
  t.deepEqual(steps.ci95!.map((x) => Number(x.toFixed(1))), [0, 1000]);
  t.is(steps.mean, plain.mean, 'the mean and sd are not touched');
  // Accuracies 0.99, 1, 1: mean 0.99667, sd 0.005774, half-width 0.01434 → [0.98232, 1].
  const acc = describe([0.99, 1, 1], [0, 1]);
  t.is(Number(acc.ci95![0].toFixed(5)), 0.98232);
  t.is(acc.ci95![1], 1);
});

test('a paired difference that rounds to zero reads 0.0, never -0.0', (t) => {
  const metric = {key: 'final_test_accuracy', label: 'final acc %', kind: 'fraction' as const};
  t.is(pairedCell(metric, {n: 3, mean: -0.0001, sd: 0.0002, ci95: [-0.0004, 0.0002], agree: 2, pairs: [], unpaired: []}), '0.0 [0.0, 0.0] 2/3');
  t.is(pairedCell(metric, {n: 3, mean: 0.012, sd: 0.001, ci95: [0.0095, 0.0144], agree: 3, pairs: [], unpaired: []}), '+1.2 [+0.9, +1.4] 3/3');
  t.is(pairedCell(metric, {n: 3, mean: -0.012, sd: 0.001, ci95: [-0.0144, -0.0095], agree: 3, pairs: [], unpaired: []}), '-1.2 [-1.4, -0.9] 3/3');
});
