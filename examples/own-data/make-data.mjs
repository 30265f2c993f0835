#!/usr/bin/env node
// The CSV files of the "your own data" example, cut from the Fashion-MNIST subset bundled in
// data/fashion-mnist-mini: the first 1000 training and 300 test images, each average-pooled from
// 28 × 28 to 7 × 7 (4 × 4 blocks, rounded to the nearest integer, 0 … 255), one image a line:
//
//   class,p0_0,p0_1,…,p6_6
//   9,0,0,0,12,…
//
// No randomness: the same bytes every time (test/own-data.test.ts checks that they are).
//
//   node examples/own-data/make-data.mjs [OUT_DIR]     (default: this directory)

import {readFileSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gunzipSync} from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const mini = join(here, '..', '..', 'data', 'fashion-mnist-mini');
const out = resolve(process.argv[2] ?? here);

/** An IDX file's sizes and bytes (big-endian header: 0, 0, type, dims, then one uint32 a dim). */
function readIdx(file) {
  const bytes = gunzipSync(readFileSync(join(mini, file)));
  const dims = bytes[3];
  const shape = Array.from({length: dims}, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  return {shape, data: bytes.subarray(4 + 4 * dims)};
}

const SIDE = 7;
const BLOCK = 28 / SIDE;

function write(name, images, labels, count) {
  const header = ['class'];
  for (let r = 0; r < SIDE; r++) for (let c = 0; c < SIDE; c++) header.push(`p${r}_${c}`);
  const lines = [header.join(',')];
  for (let i = 0; i < count; i++) {
    const row = [labels.data[i]];
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        let sum = 0;
        for (let dr = 0; dr < BLOCK; dr++) for (let dc = 0; dc < BLOCK; dc++) sum += images.data[i * 784 + (r * BLOCK + dr) * 28 + c * BLOCK + dc];
        row.push(Math.round(sum / (BLOCK * BLOCK)));
      }
    }
    lines.push(row.join(','));
  }
  writeFileSync(join(out, name), `${lines.join('\n')}\n`);
}

write('train.csv', readIdx('train-images-idx3-ubyte.gz'), readIdx('train-labels-idx1-ubyte.gz'), 1000);
write('test.csv', readIdx('t10k-images-idx3-ubyte.gz'), readIdx('t10k-labels-idx1-ubyte.gz'), 300);
console.log(`wrote ${join(out, 'train.csv')} (1000 images) and ${join(out, 'test.csv')} (300), 7 × 7 pixels each`);
