// A validation split held out of the training split (`dataset.validation`), so that whatever
// selects — a learning rate, a best step — never reads the test split.
//
// 1. The size: a count, or a fraction of the training split rounded to the nearest example.
// 2. Stratified by class: each class gives its share, n_val · n_k / n rounded down, and the
//    examples left over go to the classes with the largest remainders (ties to the lower class),
//    so the split has the training split's class proportions to within one example a class.
//    A regression task (no classes) draws from all examples alike.
// 3. Which examples of a class: the first of a seeded shuffle keyed by the data set's identity,
//    never by a run seed, so every run of an experiment (every norm, seed and learning rate)
//    holds out the same examples.
// 4. Both parts keep the training split's order: the training batches are drawn from what
//    remains exactly as from any training split.

import {UserError} from '../errors.js';
import {Rng} from '../rng.js';
import type {Split, Task} from './types.js';

/** How many examples a `validation` value holds out of n. */
export function validationSize(value: number, n: number): number {
  return value < 1 ? Math.round(value * n) : value;
}

/** The indices, ascending, of the examples held out (step 2 and 3), keyed by `key`. */
export function validationIndices(split: Split, task: Task, size: number, key: string): Int32Array {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < split.n; i++) {
    const label = task === 'classification' ? split.y[i]! : 0;
    let g = groups.get(label);
    if (!g) groups.set(label, (g = []));
    g.push(i);
  }
  const labels = [...groups.keys()].sort((a, b) => a - b);
  const exact = labels.map((l) => (size * groups.get(l)!.length) / split.n);
  const quota = exact.map(Math.floor);
  const order = labels.map((_, k) => k).sort((a, b) => exact[b]! - quota[b]! - (exact[a]! - quota[a]!) || a - b);
  for (let k = 0, left = size - quota.reduce((a, b) => a + b, 0); left > 0; k++, left--) quota[order[k]!]!++;
  const chosen: number[] = [];
  labels.forEach((label, k) => {
    const members = Int32Array.from(groups.get(label)!);
    new Rng('validation', key, label).shuffle(members);
    chosen.push(...members.subarray(0, quota[k]!));
  });
  return Int32Array.from(chosen).sort();
}

/** The rows of a split at the given indices (ascending), as a split of their own. */
function rows(split: Split, indices: Int32Array): Split {
  const w = split.width;
  const x = new Float32Array(indices.length * w);
  const y = split.y instanceof Int32Array ? new Int32Array(indices.length) : new Float32Array(indices.length);
  indices.forEach((i, r) => {
    x.set(split.x.subarray(i * w, (i + 1) * w), r * w);
    y[r] = split.y[i]!;
  });
  return {x, y, n: indices.length, width: w};
}

/** Step 1–4: the training split without the held-out examples, and those examples. */
export function holdOutValidation(split: Split, task: Task, value: number, key: string, classes: number): {train: Split; validation: Split} {
  const size = validationSize(value, split.n);
  const least = task === 'classification' ? classes : 1;
  if (size < least || size >= split.n) {
    throw new UserError(
      `dataset.validation: ${value} holds out ${size} of the ${split.n} training examples; it must leave some to train on and hold at least ${least}${task === 'classification' ? ' (one per class)' : ''}`,
      undefined, 'config',
    );
  }
  const held = validationIndices(split, task, size, key);
  const mark = new Uint8Array(split.n);
  for (const i of held) mark[i] = 1;
  const kept = new Int32Array(split.n - size);
  let r = 0;
  for (let i = 0; i < split.n; i++) if (!mark[i]) kept[r++] = i;
  return {train: rows(split, kept), validation: rows(split, held)};
}
