// The order in which a run sees its training data: a fresh seeded permutation every epoch,
// cut into consecutive batches; the last, incomplete batch of an epoch is dropped so that every
// batch has the same size (batch statistics depend on it). Keyed by the run seed only, so every
// norm and activation sees exactly the same batches in the same order.

import {Rng} from '../rng.js';
import type {Split} from './types.js';

export class Batcher {
  private readonly rng: Rng;
  private order: Int32Array = new Int32Array(0);
  private cursor = 0;
  /** Completed epochs (permutations started minus one). */
  epoch = -1;

  constructor(
    readonly n: number,
    readonly batchSize: number,
    seed: number,
  ) {
    if (batchSize > n) throw new Error(`batch_size ${batchSize} is larger than the ${n} training examples`);
    this.rng = new Rng(seed, 'batches');
  }

  /** Indices of the next batch. */
  next(): Int32Array {
    if (this.epoch < 0 || this.cursor + this.batchSize > this.n) {
      this.order = this.rng.shuffle(Int32Array.from({length: this.n}, (_, i) => i)) as Int32Array;
      this.cursor = 0;
      this.epoch++;
    }
    const batch = this.order.slice(this.cursor, this.cursor + this.batchSize);
    this.cursor += this.batchSize;
    return batch;
  }
}

/** The first `n` rows of a split: the fixed batch the probes measure on. */
export function leadingBatch(split: Split, n: number): {x: Float32Array; y: Int32Array | Float32Array} {
  return gatherBatch(split, Int32Array.from({length: n}, (_, i) => i));
}

/** Copy the rows `indices` of a split into one contiguous batch. */
export function gatherBatch(split: Split, indices: Int32Array): {x: Float32Array; y: Int32Array | Float32Array} {
  const w = split.width;
  const x = new Float32Array(indices.length * w);
  const y = split.y instanceof Int32Array ? new Int32Array(indices.length) : new Float32Array(indices.length);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    x.set(split.x.subarray(i * w, (i + 1) * w), r * w);
    y[r] = split.y[i]!;
  }
  return {x, y};
}
