// Sequence tasks: what each step holds, seeded and fixed, and the adding problem's rules.
//
// backend-independent: data sets built as typed arrays; no tensors.

import test from '../ava.js';
import {loadDataset} from '../../src/data/registry.js';
import {makeAdding, pixelPermutation} from '../../src/data/sequences.js';

test('rows: each image is 28 steps of its 28 pixel rows, the same values as the flat image', (t) => {
  const flat = loadDataset({name: 'fashion-mnist-mini', train_limit: 10});
  const rows = loadDataset({name: 'fashion-mnist-mini-rows', train_limit: 10});
  t.is(rows.inputs, 28);
  t.is(rows.train.width, 784);
  t.deepEqual(rows.train.x, flat.train.x);
  t.deepEqual(rows.train.y, flat.train.y);
});

test('permuted: pooled to size × size, one pixel per step in an order fixed by its own seed', (t) => {
  const flat = loadDataset({name: 'fashion-mnist-mini', train_limit: 5});
  const p = loadDataset({name: 'fashion-mnist-mini-permuted', size: 14, permutation_seed: 1, train_limit: 5});
  t.is(p.inputs, 1);
  t.is(p.train.width, 196);
  const order = pixelPermutation(196, 1);
  t.deepEqual([...order].sort((a, b) => a - b), Array.from({length: 196}, (_, i) => i), 'a permutation');
  t.notDeepEqual(Array.from(order), Array.from(pixelPermutation(196, 2)), 'another seed, another order');
  t.deepEqual(Array.from(order), Array.from(pixelPermutation(196, 1)), 'the same seed, the same order');
  // Step j of example i is pooled pixel order[j]: the mean of a 2×2 block of the image.
  for (const [i, j] of [[0, 0], [2, 77], [4, 195]] as const) {
    const q = order[j]!;
    const r = Math.floor(q / 14);
    const c = q % 14;
    const img = (rr: number, cc: number) => flat.train.x[i * 784 + rr * 28 + cc]!;
    const mean = (img(2 * r, 2 * c) + img(2 * r, 2 * c + 1) + img(2 * r + 1, 2 * c) + img(2 * r + 1, 2 * c + 1)) / 4;
    t.true(Math.abs(p.train.x[i * 196 + j]! - mean) < 1e-6, `example ${i}, step ${j}`);
  }
  t.is(loadDataset({name: 'fashion-mnist-mini-permuted', size: 7, permutation_seed: 1, test_limit: 3}).test.width, 49);
});

test('adding: two markers per sequence, one in each half; the target is the sum of the marked values; tests may be longer', (t) => {
  const data = makeAdding({length: 10, eval_length: 30, train_size: 200, test_size: 50, seed: 3});
  t.is(data.task, 'regression');
  t.is(data.classes, 1);
  t.is(data.train.width, 20);
  t.is(data.test.width, 60);
  for (const [split, steps] of [[data.train, 10], [data.test, 30]] as const) {
    for (let i = 0; i < split.n; i++) {
      let sum = 0;
      const marked: number[] = [];
      for (let s = 0; s < steps; s++) {
        const value = split.x[(i * steps + s) * 2]!;
        t.true(value >= 0 && value < 1);
        if (split.x[(i * steps + s) * 2 + 1] === 1) {
          marked.push(s);
          sum += value;
        }
      }
      if (marked.length !== 2 || marked[0]! >= steps / 2 || marked[1]! < Math.floor(steps / 2) || Math.abs(split.y[i]! - sum) > 1e-6) {
        t.fail(`example ${i}: markers at ${marked}, target ${split.y[i]} vs ${sum}`);
        return;
      }
    }
  }
  t.deepEqual(makeAdding({length: 10, train_size: 5, test_size: 5, seed: 3}).train.x, makeAdding({length: 10, train_size: 5, test_size: 5, seed: 3}).train.x);
});
