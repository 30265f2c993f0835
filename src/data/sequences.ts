// Sequence tasks for recurrent models, built from Fashion-MNIST or generated:
//
// - rows: an image read top to bottom, 28 steps of 28 pixels (the row-wise sequential MNIST of
//   Cooijmans et al. 2016, Le et al. 2015);
// - permuted: the image average-pooled to size × size, then read one pixel per step in a fixed
//   seeded permutation of the pixels (permuted sequential MNIST, Le et al. 2015): size² steps, and
//   dependencies that span the whole sequence. 14×14 gives 196 steps, 7×7 gives 49.
// - adding: the adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): T steps of two
//   inputs, a value drawn from U(0, 1) and a marker that is 1 at exactly two steps, one in each
//   half of the sequence; the target is the sum of the two marked values (regression, MSE). A
//   model that ignores the inputs and predicts 1 scores an MSE of about 1/6 ≈ 0.167.

import {Rng} from '../rng.js';
import type {Dataset, Split} from './types.js';

/** Images [n, 28·28] as 28 steps of 28 pixels: the same values, read row by row. */
export function rowsOf(images: Dataset, name: string): Dataset {
  const {image: _image, ...rest} = images;
  return {...rest, name, inputs: 28, source: `${images.source} (rows: 28 steps × 28 pixels)`};
}

/** Average-pool square images [n, side²] by an integer factor. */
export function poolImages(split: Split, side: number, size: number): Split {
  const k = side / size;
  if (!Number.isInteger(k)) throw new Error(`cannot pool ${side}×${side} images to ${size}×${size}`);
  const x = new Float32Array(split.n * size * size);
  for (let i = 0; i < split.n; i++) {
    const src = i * side * side;
    const dst = i * size * size;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        let sum = 0;
        for (let dr = 0; dr < k; dr++) for (let dc = 0; dc < k; dc++) sum += split.x[src + (r * k + dr) * side + c * k + dc]!;
        x[dst + r * size + c] = sum / (k * k);
      }
    }
  }
  return {x, y: split.y, n: split.n, width: size * size};
}

/** The fixed pixel order of a permuted task, from its own seed. */
export function pixelPermutation(pixels: number, seed: number): Int32Array {
  return new Rng(seed, 'permutation', pixels).shuffle(Int32Array.from({length: pixels}, (_, i) => i)) as Int32Array;
}

function permute(split: Split, order: Int32Array): Split {
  const w = order.length;
  const x = new Float32Array(split.n * w);
  for (let i = 0; i < split.n; i++) for (let j = 0; j < w; j++) x[i * w + j] = split.x[i * w + order[j]!]!;
  return {...split, x};
}

/** Images pooled to size × size, read one pixel per step in a seeded permutation. */
export function permutedOf(images: Dataset, name: string, size: number, seed: number): Dataset {
  const order = pixelPermutation(size * size, seed);
  const prepare = (split: Split) => permute(size === 28 ? split : poolImages(split, 28, size), order);
  const {image: _image, ...rest} = images;
  return {
    ...rest,
    name,
    features: size * size,
    inputs: 1,
    train: prepare(images.train),
    test: prepare(images.test),
    source: `${images.source} (pooled to ${size}×${size}, pixels permuted with seed ${seed}: ${size * size} steps × 1 pixel)`,
  };
}

export interface AddingOptions {
  length: number;
  eval_length?: number;
  train_size: number;
  test_size: number;
  seed: number;
}

function addingSplit(n: number, length: number, rng: Rng): Split {
  const x = new Float32Array(n * length * 2);
  const y = new Float32Array(n);
  const half = Math.floor(length / 2);
  for (let i = 0; i < n; i++) {
    const first = rng.int(half);
    const second = half + rng.int(length - half);
    for (let t = 0; t < length; t++) {
      const value = rng.uniform();
      x[(i * length + t) * 2] = value;
      if (t === first || t === second) {
        x[(i * length + t) * 2 + 1] = 1;
        y[i] = y[i]! + value;
      }
    }
  }
  return {x, y, n, width: length * 2};
}

/** The adding problem; the test split may be longer than the training one (eval_length). */
export function makeAdding(o: AddingOptions): Dataset {
  const evalLength = o.eval_length ?? o.length;
  return {
    name: 'adding',
    task: 'regression',
    features: o.length * 2,
    classes: 1,
    inputs: 2,
    train: addingSplit(o.train_size, o.length, new Rng(o.seed, 'adding', 'train')),
    test: addingSplit(o.test_size, evalLength, new Rng(o.seed, 'adding', 'test')),
    source: `adding(seed=${o.seed}, length=${o.length}, eval_length=${evalLength})`,
  };
}
