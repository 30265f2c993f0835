// Datasets by name, one loader each; loaded sets are cached for the life of the process, so a
// grid of runs over the same data reads it once.

import {statSync} from 'node:fs';
import {resolve} from 'node:path';
import type {DatasetName} from '../spec/names.js';
import type {DatasetSpec} from '../spec/experiment.js';
import {fashionMnistNotFound, fashionMnistSearchPath, findFashionMnist, loadFashionMnist, loadFashionMnistMini, MINI_DIR} from './fashion-mnist.js';
import {fashionMnistPaths} from './fashion-mnist-files.js';
import {absolutePath, dataFile, filesOf, loadFiles} from './files.js';
import {fingerprint, type DataFile} from './fingerprint.js';
import {makeAdding, permutedOf, rowsOf} from './sequences.js';
import {standardized} from './standardize.js';
import {makeSynthetic} from './synthetic.js';
import {limitSplit, type Dataset, type Split} from './types.js';
import {holdOutValidation} from './validation.js';

export const DATASET_INFO: Record<DatasetName, string> = {
  'fashion-mnist-mini': 'Fashion-MNIST, stratified real subset bundled in data/ (6000 train / 1000 test)',
  'fashion-mnist': 'Fashion-MNIST, full (60000 train / 10000 test), from the official IDX files',
  synthetic: 'seeded Gaussian clusters, 3 per class, in shifted, unevenly scaled inputs (all configurable)',
  'fashion-mnist-mini-rows': 'sequence: the bundled subset, each image as 28 steps of 28 pixels',
  'fashion-mnist-rows': 'sequence: the full set, each image as 28 steps of 28 pixels',
  'fashion-mnist-mini-permuted': 'sequence: the bundled subset pooled to size×size (14: 196 steps), one pixel per step in a seeded order',
  'fashion-mnist-permuted': 'sequence: the full set pooled to size×size (14: 196 steps), one pixel per step in a seeded order',
  adding: 'sequence regression: the adding problem, length T (and a longer eval_length to test past it)',
  files: 'your own data: CSV (a label column), NPY or IDX files (features + labels), paths relative to the experiment file',
};

const cache = new Map<string, Dataset>();

function loadFull(spec: DatasetSpec, dataDir?: string): Dataset {
  // The full set: a directory pinned in the experiment is the only place used; --data-dir is searched first.
  const full = (pinned?: string) => loadDataset({name: 'fashion-mnist', data_dir: pinned}, dataDir);
  const mini = () => loadDataset({name: 'fashion-mnist-mini'});
  switch (spec.name) {
    case 'fashion-mnist-mini':
      return loadFashionMnistMini();
    case 'fashion-mnist':
      return spec.data_dir ? loadFashionMnist(undefined, [resolve(spec.data_dir)]) : loadFashionMnist(dataDir);
    case 'synthetic':
      return makeSynthetic(spec);
    case 'fashion-mnist-mini-rows':
      return rowsOf(mini(), spec.name);
    case 'fashion-mnist-rows':
      return rowsOf(full(spec.data_dir), spec.name);
    case 'fashion-mnist-mini-permuted':
      return permutedOf(mini(), spec.name, spec.size, spec.permutation_seed);
    case 'fashion-mnist-permuted':
      return permutedOf(full(spec.data_dir), spec.name, spec.size, spec.permutation_seed);
    case 'adding':
      return makeAdding(spec);
    case 'files':
      return loadFiles(spec);
  }
}

/** Whether a data set reads from the full Fashion-MNIST files (and so from --data-dir). */
const usesFullSet = (spec: DatasetSpec) => spec.name === 'fashion-mnist' || spec.name === 'fashion-mnist-rows' || spec.name === 'fashion-mnist-permuted';

const held = new Map<string, {train: Split; validation: Split}>();
const standardizedSets = new Map<string, Dataset>();

/**
 * Where a data set is read from, for a cache key: the pinned or searched directory of the full
 * set; for your own data, the state of each file (a stat), so that a file changed since it was
 * read is read again.
 */
function whereKey(spec: DatasetSpec, dataDir?: string): unknown {
  if (usesFullSet(spec)) return (spec as {data_dir?: string}).data_dir ?? dataDir;
  if (spec.name !== 'files') return null;
  return filesOf(spec).map(({path}) => {
    const stat = statSync(absolutePath(spec, path), {throwIfNoEntry: false});
    return stat ? [stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino] : null;
  });
}

/**
 * The dataset a run trains on: the validation split held out first (src/data/validation.ts),
 * then train_limit / test_limit applied, then with `standardize` every split standardized by the
 * statistics of the training split that is left (src/data/standardize.ts).
 */
export function loadDataset(spec: DatasetSpec, dataDir?: string): Dataset {
  // The raw data, their validation split and their cache entries are those of the spec without
  // `standardize`: standardized or not, a run holds out the same examples.
  const {standardize, ...raw} = spec;
  if (!standardize) return loadSplits(raw, dataDir);
  const key = JSON.stringify([spec, whereKey(spec, dataDir)]);
  let data = standardizedSets.get(key);
  if (!data) {
    data = standardized(loadSplits(raw, dataDir));
    standardizedSets.set(key, data);
  }
  return data;
}

/**
 * A data set's entry in the manifest's `data`: its name, and `<name>, standardized` for its
 * standardized inputs, so that a grid over `dataset.standardize` records both.
 */
export const dataEntry = (spec: DatasetSpec): string => (spec.standardize ? `${dataKey(spec)}, standardized` : dataKey(spec));

/**
 * What names a data set in the manifest's `data_files`: its name, and for your own data the files
 * as the experiment writes them (`files: train.csv, test.csv`), so that two sets of files in one
 * grid are two entries.
 */
export const dataKey = (spec: DatasetSpec): string => (spec.name === 'files' ? `files: ${filesOf(spec).map((f) => f.path).join(', ')}` : spec.name);

function loadSplits(spec: DatasetSpec, dataDir?: string): Dataset {
  const {train_limit, test_limit, validation, ...identity} = spec;
  const key = JSON.stringify([identity, whereKey(spec, dataDir)]);
  let full = cache.get(key);
  if (!full) {
    full = loadFull(spec, dataDir);
    cache.set(key, full);
  }
  if (validation === undefined) return {...full, train: limitSplit(full.train, train_limit), test: limitSplit(full.test, test_limit)};
  // The split is keyed by what the data are, never by where they were read from or by a run.
  const {data_dir: _where, root: _root, ...what} = identity as typeof identity & {data_dir?: string; root?: string};
  const splitKey = JSON.stringify([key, validation]);
  let parts = held.get(splitKey);
  if (!parts) {
    parts = holdOutValidation(full.train, full.task, validation, JSON.stringify(what), full.classes);
    held.set(splitKey, parts);
  }
  return {...full, train: limitSplit(parts.train, train_limit), validation: parts.validation, test: limitSplit(full.test, test_limit)};
}

/**
 * The fingerprints of the files a data set would be read from, without reading them (a stat per
 * file once they are cached): what the data are, for a check that the data have not changed since
 * results were made. Undefined for a generated set (synthetic, adding), whose spec is its identity.
 * The files are not checked against the official digests here (loadDataset and checkData do that);
 * a full set that cannot be found is the loader's UserError.
 */
export function datasetFiles(spec: DatasetSpec, dataDir?: string): DataFile[] | undefined {
  if (spec.name === 'synthetic' || spec.name === 'adding') return undefined;
  if (spec.name === 'files') return filesOf(spec).map(({path}) => dataFile(spec, path));
  let dir = MINI_DIR;
  if (usesFullSet(spec)) {
    const pinned = (spec as {data_dir?: string}).data_dir;
    const places = pinned ? [resolve(pinned)] : fashionMnistSearchPath(dataDir);
    const found = findFashionMnist(places);
    if (!found) throw fashionMnistNotFound(places);
    dir = found;
  }
  return Object.values(fashionMnistPaths(dir)).map((path) => fingerprint(path));
}
