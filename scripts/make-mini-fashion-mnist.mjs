#!/usr/bin/env node
// Cut the bundled Fashion-MNIST subset (data/fashion-mnist-mini) from the official files.
//
//   npm run build && node scripts/make-mini-fashion-mnist.mjs [SOURCE_DIR] [--train 600] [--test 100]
//
// SOURCE_DIR holds the four official IDX files (default: Debian's dataset-fashion-mnist,
// /usr/share/datasets/fashion-mnist). Stratified and deterministic, no randomness: for each split
// it keeps the first N examples of every class, in the order of the official file, so each class
// has exactly N examples and the cut can be reproduced byte for byte.

import {mkdirSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {readIdx, writeIdx} from '../dist/src/data/idx.js';
import {DEBIAN_DIR, FASHION_MNIST_FILES} from '../dist/src/data/fashion-mnist.js';

const {values, positionals} = parseArgs({
  allowPositionals: true,
  options: {train: {type: 'string', default: '600'}, test: {type: 'string', default: '100'}},
});
const source = positionals[0] ?? DEBIAN_DIR;
const out = resolve(fileURLToPath(import.meta.url), '../../data/fashion-mnist-mini');
mkdirSync(out, {recursive: true});

function cut(imagesBase, labelsBase, perClass) {
  const images = readIdx(join(source, `${imagesBase}.gz`));
  const labels = readIdx(join(source, `${labelsBase}.gz`));
  const [, rows, cols] = images.shape;
  const size = rows * cols;
  const counts = new Array(10).fill(0);
  const keep = [];
  for (let i = 0; i < labels.data.length && keep.length < 10 * perClass; i++) {
    const c = labels.data[i];
    if (counts[c] < perClass) {
      counts[c]++;
      keep.push(i);
    }
  }
  const img = new Uint8Array(keep.length * size);
  keep.forEach((i, r) => img.set(images.data.subarray(i * size, (i + 1) * size), r * size));
  const lab = Uint8Array.from(keep, (i) => labels.data[i]);
  writeIdx(join(out, `${imagesBase}.gz`), {shape: [keep.length, rows, cols], data: img});
  writeIdx(join(out, `${labelsBase}.gz`), {shape: [keep.length], data: lab});
  console.log(`${imagesBase}: ${keep.length} examples (${perClass} per class) from ${source}`);
}

const f = FASHION_MNIST_FILES;
cut(f.trainImages, f.trainLabels, Number(values.train));
cut(f.testImages, f.testLabels, Number(values.test));
