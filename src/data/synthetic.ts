// A seeded synthetic classification set: class c has centre μ_c ~ N(0, s²·I) (s = separation),
// and an example of class c is μ_c + N(0, I). Labels cycle through the classes, so every class
// has the same count (±1). Small and fast: for tests and smoke runs.

import {Rng} from '../rng.js';
import type {Dataset, Split} from './types.js';

export interface SyntheticOptions {
  features: number;
  classes: number;
  train_size: number;
  test_size: number;
  separation: number;
  seed: number;
}

function draw(centres: Float32Array[], n: number, features: number, rng: Rng): Split {
  const x = new Float32Array(n * features);
  const y = new Int32Array(n);
  const classes = centres.length;
  const order = rng.shuffle(Int32Array.from({length: n}, (_, i) => i % classes)) as Int32Array;
  for (let i = 0; i < n; i++) {
    const c = order[i]!;
    y[i] = c;
    const centre = centres[c]!;
    for (let j = 0; j < features; j++) x[i * features + j] = centre[j]! + rng.normal();
  }
  return {x, y, n};
}

export function makeSynthetic(o: SyntheticOptions): Dataset {
  const rng = new Rng(o.seed, 'synthetic', 'centres');
  const centres = Array.from({length: o.classes}, () =>
    Float32Array.from({length: o.features}, () => rng.normal() * o.separation),
  );
  return {
    name: 'synthetic',
    features: o.features,
    classes: o.classes,
    train: draw(centres, o.train_size, o.features, new Rng(o.seed, 'synthetic', 'train')),
    test: draw(centres, o.test_size, o.features, new Rng(o.seed, 'synthetic', 'test')),
    source: `synthetic(seed=${o.seed}, features=${o.features}, classes=${o.classes}, separation=${o.separation})`,
  };
}
