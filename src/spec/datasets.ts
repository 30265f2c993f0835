// What analysis needs to know of a data set without loading it: its task, its classes and the size
// of the split a metric is measured on. `report` reads these to place chance level and to size a
// continuity correction; it never loads data (src/data/ makes the splits these sizes describe, and
// test/report-chance.test.ts checks that the two agree).

import type {DatasetSpec} from './experiment.js';

/** An image's shape, channels last: [height, width, channels]. */
export type ImageShape = [number, number, number];

/**
 * The data sets whose examples are images (a convnet reads them as such; every other model reads
 * the row-major [H·W·C] vector): Fashion-MNIST, 28×28 grey levels. Its sequence forms (rows,
 * permuted) are sequences, not images.
 */
export const IMAGE_SHAPES: Partial<Record<DatasetSpec['name'], ImageShape>> = {
  'fashion-mnist-mini': [28, 28, 1],
  'fashion-mnist': [28, 28, 1],
};

/**
 * The image shape [H, W, C] a convnet reads a data set's examples as: Fashion-MNIST's, or your own
 * data's `shape` when it has two ([H, W], one channel) or three axes. Undefined: not images.
 */
export function imageShapeOf(spec: DatasetSpec): ImageShape | undefined {
  if (spec.name === 'files') {
    const shape = spec.shape;
    if (shape?.length === 2) return [shape[0]!, shape[1]!, 1];
    if (shape?.length === 3) return [shape[0]!, shape[1]!, shape[2]!];
    return undefined;
  }
  return IMAGE_SHAPES[spec.name];
}

/** Fashion-MNIST's splits: the bundled stratified subset, and the official files. */
const FASHION = {mini: {train: 6000, test: 1000}, full: {train: 60000, test: 10000}} as const;

export interface DatasetFacts {
  task: 'classification' | 'regression';
  /** Classes of a classification task (1 for regression; 0 when unknown: your own data that do not say). */
  classes: number;
  /** Examples in each split as trained and evaluated (limits and the validation split applied); undefined where the spec does not say. */
  train?: number;
  test?: number;
  validation?: number;
}

/** The whole training and test splits, before limits. */
function fullSizes(spec: DatasetSpec): {train?: number; test?: number} {
  switch (spec.name) {
    case 'fashion-mnist-mini':
    case 'fashion-mnist-mini-rows':
    case 'fashion-mnist-mini-permuted':
      return FASHION.mini;
    case 'fashion-mnist':
    case 'fashion-mnist-rows':
    case 'fashion-mnist-permuted':
      return FASHION.full;
    case 'synthetic':
    case 'adding':
      return {train: spec.train_size, test: spec.test_size};
    case 'files':
      return {};
  }
}

const limit = (n: number | undefined, cap: number | undefined) => (n === undefined || cap === undefined ? n : Math.min(n, cap));

/** As src/data/registry.ts loads it: the validation split held out of the training split first, then train_limit and test_limit. */
export function datasetFacts(spec: DatasetSpec): DatasetFacts {
  const task = spec.name === 'adding' ? 'regression' : 'classification';
  // Your own data's classes are known here when the experiment gives them (else 0: unknown, and
  // so are its sizes, so that nothing is computed from them).
  const classes = spec.name === 'synthetic' ? spec.classes : spec.name === 'files' ? spec.classes ?? 0 : task === 'regression' ? 1 : 10;
  const full = fullSizes(spec);
  const validation = spec.validation === undefined || full.train === undefined
    ? undefined
    : spec.validation < 1 ? Math.round(spec.validation * full.train) : spec.validation;
  const train = full.train === undefined ? undefined : full.train - (validation ?? 0);
  return {task, classes, train: limit(train, spec.train_limit), test: limit(full.test, spec.test_limit), ...(validation === undefined ? {} : {validation})};
}
