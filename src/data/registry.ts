// Datasets by name, one loader each; loaded sets are cached for the life of the process, so a
// grid of runs over the same data reads it once.

import {resolve} from 'node:path';
import type {DatasetName, DatasetSpec} from '../config/schema.js';
import {loadFashionMnist, loadFashionMnistMini} from './fashion-mnist.js';
import {makeSynthetic} from './synthetic.js';
import {limitSplit, type Dataset} from './types.js';

export const DATASET_INFO: Record<DatasetName, string> = {
  'fashion-mnist-mini': 'Fashion-MNIST, stratified real subset bundled in data/ (6000 train / 1000 test)',
  'fashion-mnist': 'Fashion-MNIST, full (60000 train / 10000 test), from the official IDX files',
  synthetic: 'seeded Gaussian clusters, 3 per class, in shifted, unevenly scaled inputs (all configurable)',
};

const cache = new Map<string, Dataset>();

function loadFull(spec: DatasetSpec, dataDir?: string): Dataset {
  switch (spec.name) {
    case 'fashion-mnist-mini':
      return loadFashionMnistMini();
    case 'fashion-mnist':
      // A directory pinned in the experiment is the only place used; --data-dir is searched first.
      return spec.data_dir ? loadFashionMnist(undefined, [resolve(spec.data_dir)]) : loadFashionMnist(dataDir);
    case 'synthetic':
      return makeSynthetic(spec);
  }
}

/** The dataset a run trains on, with train_limit / test_limit applied. */
export function loadDataset(spec: DatasetSpec, dataDir?: string): Dataset {
  const {train_limit, test_limit, ...identity} = spec;
  const key = JSON.stringify([identity, spec.name === 'fashion-mnist' ? (spec.data_dir ?? dataDir) : null]);
  let full = cache.get(key);
  if (!full) {
    full = loadFull(spec, dataDir);
    cache.set(key, full);
  }
  return {
    ...full,
    train: limitSplit(full.train, full.features, train_limit),
    test: limitSplit(full.test, full.features, test_limit),
  };
}
