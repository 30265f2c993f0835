// What can be known about an experiment's data before any of it is read in full, checked in one
// pass so that `validate` can say everything and `run` can refuse before it writes anything:
//
// 1. --data-dir and dataset.data_dir name directories that hold the four IDX files.
// 2. Every data set can be found, and its files are the right ones (their SHA-256s,
//    src/data/fashion-mnist-files.ts; cached, so a check costs a stat per file).
// 2b. Your own data (`files`) are read in full, once (the registry keeps them for the run): every
//    bad file is an error here, located in the file (src/data/files.ts), before anything trains.
// 3. The sizes the experiment asks for fit the splits: the validation hold-out leaves examples to
//    train on, train_limit and test_limit do not ask for more examples than there are, and a batch
//    is no larger than what is left to train on.
//
// Sizes come from the spec (generated sets) or from the check (a verified copy of Fashion-MNIST
// has known sizes), so no image is read. Each problem is a UserError located where the experiment
// sets the value (file:line:col and key path, at the grid entry when the grid varies it).

import {statSync} from 'node:fs';
import {resolve} from 'node:path';
import {UserError, type SourceLocation} from '../errors.js';
import type {DatasetSpec, ExpandedExperiment, RunSpec} from '../spec/experiment.js';
import {gridBlocks} from '../spec/grid.js';
import {stableStringify} from '../util/canonical.js';
import {fashionMnistNotFound, fashionMnistSearchPath, findFashionMnist, verifyMini} from './fashion-mnist.js';
import {FASHION_MNIST_FILES, FASHION_MNIST_SIZES, missingFashionMnistFiles, verifyFashionMnist} from './fashion-mnist-files.js';
import {missingFiles} from './files.js';
import {loadDataset} from './registry.js';
import type {Task} from './types.js';
import {validationSize} from './validation.js';

export type KeyPath = ReadonlyArray<string | number>;

export interface DataCheckOptions {
  /** --data-dir as given. */
  dataDir?: string;
  /** The runs to check (default: every run of the grid). */
  runs?: readonly RunSpec[];
  /** Where the experiment sets a key (ConfigSources.locate); default: the key path alone. */
  locate?: (path: KeyPath) => SourceLocation;
}

/** What a data set holds, as far as the checks need it. */
interface Sizes {
  train: number;
  test: number;
  classes: number;
  task: Task;
  /** Features of an example (your own data, for `shape`). */
  features?: number;
}

const FULL_SET: ReadonlyArray<DatasetSpec['name']> = ['fashion-mnist', 'fashion-mnist-rows', 'fashion-mnist-permuted'];
const MINI_SET: ReadonlyArray<DatasetSpec['name']> = ['fashion-mnist-mini', 'fashion-mnist-mini-rows', 'fashion-mnist-mini-permuted'];
const FOUR_FILES = `the four Fashion-MNIST IDX files (${Object.values(FASHION_MNIST_FILES).join(', ')}; .gz or raw)`;

/** Every problem with the data of `expanded`'s runs, deduplicated; none when all is well. */
export function checkData(expanded: ExpandedExperiment, options: DataCheckOptions = {}): UserError[] {
  const {config} = expanded;
  const runs = options.runs ?? expanded.runs;
  const locate = options.locate ?? ((path: KeyPath) => ({file: config.name, path: path.join('.')}));
  const errors: UserError[] = [];

  // 1. --data-dir: it must be a directory whatever the data sets (as `run` has always required).
  const dataDir = options.dataDir;
  let dataDirUsable = true;
  if (dataDir !== undefined) {
    const stat = statSync(resolve(dataDir), {throwIfNoEntry: false});
    if (!stat || !stat.isDirectory()) {
      errors.push(new UserError(`--data-dir ${dataDir}: ${stat ? 'not a directory' : 'no such directory'}; it names a directory holding ${FOUR_FILES}`, undefined, 'path'));
      dataDirUsable = false;
    }
  }

  // 2. Each data set once; 3. each run's sizes.
  const sizes = new Map<string, Sizes | undefined>();
  for (const run of runs) {
    const at = (key: string) => locate(keyPath(expanded, run, key));
    const {train_limit: _t, test_limit: _e, validation: _v, standardize: _s, ...identity} = run.dataset;
    const id = stableStringify(identity);
    if (!sizes.has(id)) sizes.set(id, sizesOf(run.dataset, dataDirUsable ? dataDir : undefined, dataDir !== undefined && !dataDirUsable, at, errors));
    // Files that could not be read have no sizes to check against.
    const known = sizes.get(id);
    if (known) errors.push(...fits(run, known, at));
  }
  return [...new Map(errors.map((e) => [e.message, e])).values()];
}

/** Where a run's value of `key` is set: its grid entry when the grid varies the key or its section. */
function keyPath(expanded: ExpandedExperiment, run: RunSpec, key: string): KeyPath {
  const grid = expanded.config.grid;
  const blocks = gridBlocks(grid);
  const same = (v: unknown, k: string) => stableStringify(v) === stableStringify(run.factor_values[k]);
  const b = run.block ?? 0;
  const block = blocks[b] ?? {};
  const at = Array.isArray(grid) ? ['grid', b] : ['grid'];
  const entry = (k: string) => block[k]!.findIndex((v) => same(v, k));
  if (block[key]) return [...at, key, entry(key)];
  const [section, ...rest] = key.split('.');
  if (block[section!]) return [...at, section!, entry(section!), ...rest];
  return key.split('.');
}

/** The sizes of a data set, and whether it is there and what it should be (errors go to `errors`). */
function sizesOf(spec: DatasetSpec, dataDir: string | undefined, dataDirBad: boolean, at: (key: string) => SourceLocation, errors: UserError[]): Sizes | undefined {
  if (spec.name === 'files') {
    const missing = missingFiles(spec, at);
    if (missing.length) return void errors.push(...missing);
    try {
      const {train_limit: _t, test_limit: _e, validation: _v, standardize: _s, ...raw} = spec;
      const data = loadDataset(raw);
      return {train: data.train.n, test: data.test.n, classes: data.classes, task: data.task, features: data.features};
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      return void errors.push(...error.all);
    }
  }
  if (spec.name === 'synthetic') return {train: spec.train_size, test: spec.test_size, classes: spec.classes, task: 'classification'};
  if (spec.name === 'adding') return {train: spec.train_size, test: spec.test_size, classes: 1, task: 'regression'};
  const copy = MINI_SET.includes(spec.name) ? 'mini' : FULL_SET.includes(spec.name) ? 'full' : undefined;
  if (copy === undefined) throw new Error(`checkData: no sizes for data set ${spec.name}`);
  try {
    if (copy === 'mini') verifyMini();
    else {
      const dir = locateFullSet(spec as DatasetSpec & {data_dir?: string}, dataDir, dataDirBad, at, errors);
      if (dir !== undefined) verifyFashionMnist(dir, 'full');
    }
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    errors.push(...error.all);
  }
  // The only copy that will ever be read is the checked one, so its sizes are known even when it is missing.
  return {...FASHION_MNIST_SIZES[copy], classes: 10, task: 'classification'};
}

/** The directory the full set would be read from, or undefined with the reason in `errors`. */
function locateFullSet(spec: {data_dir?: string}, dataDir: string | undefined, dataDirBad: boolean, at: (key: string) => SourceLocation, errors: UserError[]): string | undefined {
  if (spec.data_dir !== undefined) {
    // Pinned: that directory and no other.
    const dir = resolve(spec.data_dir);
    const shown = dir === spec.data_dir ? dir : `${spec.data_dir} (${dir})`;
    const stat = statSync(dir, {throwIfNoEntry: false});
    const problem = !stat ? 'no such directory' : !stat.isDirectory() ? 'is a file, not a directory' : undefined;
    if (problem) {
      errors.push(new UserError(`${shown}: ${problem}; dataset.data_dir names a directory holding ${FOUR_FILES}`, at('dataset.data_dir'), 'path'));
      return undefined;
    }
    const missing = missingFashionMnistFiles(dir);
    if (missing.length) {
      errors.push(new UserError(`${shown} lacks ${missing.join(', ')} (.gz or raw); dataset.data_dir names a directory holding ${FOUR_FILES}`, at('dataset.data_dir'), 'data'));
      return undefined;
    }
    return dir;
  }
  if (dataDirBad) return undefined; // said once, above
  if (dataDir !== undefined) {
    // Searched first: a --data-dir without the files would be passed over for another copy, unseen.
    const missing = missingFashionMnistFiles(resolve(dataDir));
    if (missing.length) {
      errors.push(new UserError(`--data-dir ${dataDir} lacks ${missing.join(', ')} (.gz or raw); it names a directory holding ${FOUR_FILES}`, undefined, 'data'));
      return undefined;
    }
  }
  const places = fashionMnistSearchPath(dataDir);
  const dir = findFashionMnist(places);
  if (dir === undefined) errors.push(fashionMnistNotFound(places, at('dataset.name')));
  return dir;
}

/** Step 3 for one run: the hold-out, the limits and the batch against the sizes of its data. */
function fits(run: RunSpec, s: Sizes, at: (key: string) => SourceLocation): UserError[] {
  const {name, validation, train_limit, test_limit} = run.dataset;
  const errors: UserError[] = [];
  const shape = run.dataset.name === 'files' ? run.dataset.shape : undefined;
  if (shape && s.features !== undefined && shape.reduce((a, b) => a * b, 1) !== s.features) {
    errors.push(new UserError(`shape [${shape.join(', ')}] holds ${shape.reduce((a, b) => a * b, 1)} values, and an example has ${s.features} features: ` +
      'the product must be the number of features', at('dataset.shape')));
  }
  const of = `the ${s.train} training examples of ${name}`;
  let held = 0;
  if (validation !== undefined) {
    held = validationSize(validation, s.train);
    const least = s.task === 'classification' ? s.classes : 1;
    if (held < least || held >= s.train) {
      errors.push(new UserError(
        `validation ${validation} holds out ${held} of ${of}; it must leave some to train on and hold at least ${least}${s.task === 'classification' ? ' (one per class)' : ''}`,
        at('dataset.validation')));
      return errors;
    }
  }
  const left = s.train - held;
  const afterHoldOut = held ? ` (${left} after the validation hold-out of ${held})` : '';
  if (train_limit !== undefined && train_limit > left) {
    errors.push(new UserError(`train_limit ${train_limit} asks for more than ${of}${afterHoldOut}: at most ${left}, or leave it out to train on all of them`, at('dataset.train_limit')));
  }
  if (test_limit !== undefined && test_limit > s.test) {
    errors.push(new UserError(`test_limit ${test_limit} asks for more than the ${s.test} test examples of ${name}: at most ${s.test}, or leave it out to test on all of them`, at('dataset.test_limit')));
  }
  const train = Math.min(train_limit ?? left, left);
  const batch = run.train.batch_size;
  if (batch > train) {
    const limited = train < left ? `, ${train} with train_limit ${train_limit}` : '';
    errors.push(new UserError(
      `batch_size ${batch} is larger than the training split: ${s.train} examples of ${name}${held ? `, ${left} after the validation hold-out of ${held}` : ''}${limited}. ` +
        `A batch holds at most ${train} examples`,
      at('train.batch_size')));
  }
  return errors;
}
