// A seeded synthetic classification set, small and fast (tests and smoke runs), built so that
// normalizations give different results on it. After scikit-learn's make_classification:
//
// 1. Each class is a mixture of `clusters_per_class` Gaussian clusters. A cluster's centre is
//    drawn once, μ ~ N(0, s²·I) (s = separation) in the first `informative` features and 0 in
//    the others; an example of the cluster is μ + N(0, I) in every feature. A class made of
//    several clusters in a few features is not linearly separable, so the hidden layers have
//    work to do, and neighbouring clusters overlap, so no model reaches 100 %.
// 2. The inputs are then badly conditioned, the same way in both splits: feature j becomes
//    scale_j · (x_j + shift). The scales are spaced geometrically over a ratio of `scale_range`
//    (geometric mean 1) and given to the features in a seeded random order. BatchNorm centres
//    each unit over the batch and so cancels the shift; LayerNorm and WeightNorm do not.
//
// Labels cycle through the clusters before shuffling, so every class (and every cluster) has
// the same count (±1). With clusters_per_class 1, informative = features, scale_range 1 and
// shift 0 the data are exactly those of the original generator (one unit-variance Gaussian per
// class). Each kind of draw has its own generator, keyed by purpose.

import {Rng} from '../rng.js';
import type {DatasetSpec} from '../spec/experiment.js';
import {SYNTHETIC_DEFAULTS} from '../spec/names.js';
import type {Dataset, Split} from './types.js';

/** The generator's options: the data set's spec without its name, limits, validation split and standardization (src/spec/experiment.ts). */
export type SyntheticOptions = Omit<Extract<DatasetSpec, {name: 'synthetic'}>, 'name' | 'train_limit' | 'test_limit' | 'validation' | 'standardize'>;

const DEFAULTS = SYNTHETIC_DEFAULTS;

type Resolved = Required<SyntheticOptions>;

/** Per-feature scales, or undefined when the inputs are left as drawn. */
function featureScales(o: Resolved): Float64Array | undefined {
  if (o.scale_range === 1 && o.shift === 0) return undefined;
  const rank = new Rng(o.seed, 'synthetic', 'scales').shuffle(Int32Array.from({length: o.features}, (_, j) => j)) as Int32Array;
  return Float64Array.from(rank, (r) => o.scale_range ** ((o.features === 1 ? 0.5 : r / (o.features - 1)) - 0.5));
}

function draw(o: Resolved, centres: Float32Array[], scales: Float64Array | undefined, n: number, split: 'train' | 'test'): Split {
  const {features, classes} = o;
  const x = new Float32Array(n * features);
  const y = new Int32Array(n);
  const rng = new Rng(o.seed, 'synthetic', split);
  // Cluster q belongs to class q % classes, so cycling through the clusters cycles the classes.
  const order = rng.shuffle(Int32Array.from({length: n}, (_, i) => i % centres.length)) as Int32Array;
  for (let i = 0; i < n; i++) {
    const q = order[i]!;
    y[i] = q % classes;
    const centre = centres[q]!;
    for (let j = 0; j < features; j++) {
      const v = centre[j]! + rng.normal();
      x[i * features + j] = scales ? scales[j]! * (v + o.shift) : v;
    }
  }
  return {x, y, n, width: features};
}

export function makeSynthetic(options: SyntheticOptions): Dataset {
  const o: Resolved = {
    ...options,
    clusters_per_class: options.clusters_per_class ?? DEFAULTS.clusters_per_class,
    informative: Math.min(options.informative ?? DEFAULTS.informative, options.features),
    scale_range: options.scale_range ?? DEFAULTS.scale_range,
    shift: options.shift ?? DEFAULTS.shift,
  };
  const rng = new Rng(o.seed, 'synthetic', 'centres');
  const centres = Array.from({length: o.classes * o.clusters_per_class}, () => {
    const centre = new Float32Array(o.features);
    for (let j = 0; j < o.informative; j++) centre[j] = rng.normal() * o.separation;
    return centre;
  });
  const scales = featureScales(o);
  return {
    name: 'synthetic',
    task: 'classification',
    features: o.features,
    classes: o.classes,
    train: draw(o, centres, scales, o.train_size, 'train'),
    test: draw(o, centres, scales, o.test_size, 'test'),
    source:
      `synthetic(seed=${o.seed}, features=${o.features}, classes=${o.classes}, separation=${o.separation}, ` +
      `clusters_per_class=${o.clusters_per_class}, informative=${o.informative}, scale_range=${o.scale_range}, shift=${o.shift})`,
  };
}
