// Ba, Kiros & Hinton 2016, Table 1, as property tests: for each norm and each transformation of
// the weights or the data, the normalised summed inputs are unchanged (✓) or measurably changed
// (✗). Checked on several random draws; both directions are asserted, so a norm that computed
// the wrong statistics would fail one or the other.

import test from '../ava.js';
import {standardise} from '../../src/norms/normalise.js';
import {weightNormKernel} from '../../src/norms/weight.js';
import {dense} from '../../src/nn/dense.js';
import {Rng} from '../../src/rng.js';
import * as tf from '../../src/tf.js';
import {maxAbsDiff, setupBackend} from '../helpers.js';

test.before(setupBackend);

const EPS = 1e-12;
const N = 16;
const D = 6;
const H = 5;

type NormFn = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
// The ops the layers run: the fused standardisation for BN (axis 0) and LN (axis 1).
const NORM_FNS: Record<'batch' | 'weight' | 'layer', NormFn> = {
  batch: (x, w) => standardise(dense(x, w), undefined, undefined, EPS, 0),
  weight: (x, w) => dense(x, weightNormKernel(w, tf.ones([H]) as tf.Tensor1D)),
  layer: (x, w) => standardise(dense(x, w), undefined, undefined, EPS, 1),
};

interface Draw {
  x: tf.Tensor2D;
  w: tf.Tensor2D;
  rng: Rng;
}
type Transform = (d: Draw) => {x: tf.Tensor2D; w: tf.Tensor2D};

const TRANSFORMS: Record<string, Transform> = {
  'weight-matrix rescale': ({x, w}) => ({x, w: tf.mul(w, 3.7)}),
  // The same vector added to every unit's weight vector (every column of our [in, out] kernel).
  'weight-matrix recenter': ({x, w, rng}) => ({x, w: tf.add(w, tf.tensor2d(draw(rng, D, 1))) as tf.Tensor2D}),
  // Each unit's weight vector scaled by its own factor.
  'weight-vector rescale': ({x, w, rng}) => ({x, w: tf.mul(w, tf.tensor1d(Array.from({length: H}, () => 0.5 + 3 * rng.uniform())))}),
  'dataset rescale': ({x, w}) => ({x: tf.mul(x, 2.9), w}),
  'dataset recenter': ({x, w, rng}) => ({x: tf.add(x, tf.tensor2d(draw(rng, 1, D))) as tf.Tensor2D, w}),
  // One example scaled, the others untouched.
  'single-case rescale': ({x, w}) => {
    const scale = tf.tensor2d(Array.from({length: N}, (_, i) => [i === 3 ? 4.2 : 1]));
    return {x: tf.mul(x, scale), w};
  },
};

// Table 1 (✓ = invariant).
const TABLE: Record<keyof typeof NORM_FNS, Record<keyof typeof TRANSFORMS, boolean>> = {
  batch: {'weight-matrix rescale': true, 'weight-matrix recenter': false, 'weight-vector rescale': true, 'dataset rescale': true, 'dataset recenter': true, 'single-case rescale': false},
  weight: {'weight-matrix rescale': true, 'weight-matrix recenter': false, 'weight-vector rescale': true, 'dataset rescale': false, 'dataset recenter': false, 'single-case rescale': false},
  layer: {'weight-matrix rescale': true, 'weight-matrix recenter': true, 'weight-vector rescale': false, 'dataset rescale': true, 'dataset recenter': false, 'single-case rescale': true},
};

function draw(rng: Rng, rows: number, cols: number): number[][] {
  return Array.from({length: rows}, () => Array.from({length: cols}, () => rng.normal() * 2 + 0.5));
}

for (const norm of Object.keys(TABLE) as Array<keyof typeof TABLE>) {
  for (const [name, invariant] of Object.entries(TABLE[norm])) {
    test(`${norm}: ${invariant ? 'invariant' : 'not invariant'} under ${name}`, (t) => {
      for (let trial = 1; trial <= 5; trial++) {
        const rng = new Rng('invariance', norm, name, trial);
        const d = {x: tf.tensor2d(draw(rng, N, D)), w: tf.tensor2d(draw(rng, D, H)), rng};
        const before = NORM_FNS[norm](d.x, d.w);
        const changed = TRANSFORMS[name]!(d);
        const after = NORM_FNS[norm](changed.x, changed.w);
        const diff = maxAbsDiff(before, after);
        if (invariant) t.true(diff < 1e-4, `trial ${trial}: max |Δ| = ${diff}`);
        else t.true(diff > 1e-2, `trial ${trial}: expected a change, max |Δ| = ${diff}`);
      }
    });
  }
}
