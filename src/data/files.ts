// Your own data (`dataset: {name: files, format: csv | npy | idx, train: …, test: …}`): a training
// and a test split read from files, with paths relative to the experiment file.
//
// 1. Read each split: CSV (src/data/csv.ts) — one file, a header, a label column, every other
//    column a feature; NPY (src/data/npy.ts) and IDX (src/data/idx.ts) — a features file [n, …]
//    and a labels file [n]. Every problem is a UserError (exit 2) naming the file, where it can
//    the line and column; both splits are read, so that `validate` reports them together.
// 2. Check what the files must agree on: features finite, the same number per example in train
//    and test (for CSV, the same column names in the same order); labels whole numbers 0 … classes − 1, `classes` given or the largest label + 1 (at
//    least 2). That `shape` multiplies to the features is checked with the experiment's other
//    sizes (src/data/check.ts), where the error points into the experiment file.
// 3. Scale: every feature divided by `scale` (255: bytes to [0, 1]); `standardize` is applied
//    after, by the registry, as for any data set (training statistics only).
// 4. The files' identity: each one's path as written, size and SHA-256 (src/data/fingerprint.ts),
//    which the manifest records and a resume or a verify compares.

import {existsSync, statSync} from 'node:fs';
import {basename, relative, resolve} from 'node:path';
import {throwIfAny, UserError, type SourceLocation} from '../errors.js';
import {imageShapeOf} from '../spec/datasets.js';
import type {FilesSpec, SplitFiles} from '../spec/experiment.js';
import {readCsv} from './csv.js';
import {fingerprint, type DataFile} from './fingerprint.js';
import {readIdx} from './idx.js';
import {FEATURE_DTYPES, LABEL_DTYPES, readNpy} from './npy.js';
import type {Dataset, Split} from './types.js';

/** A split as read, before the checks that need both splits. */
interface Read {
  x: Float32Array;
  /** Labels as read (float32 for NPY and IDX: checked to be whole numbers in step 2). */
  labels: ArrayLike<number>;
  n: number;
  width: number;
  /** The shape of one example, when the file says more than its width ([28, 28] for IDX images). */
  shape?: number[];
  /** Where example i's label is: its file, and for CSV its line and column. */
  labelAt: (i: number) => SourceLocation;
  /** Where the features are (the CSV, or the features file). */
  featuresAt: SourceLocation;
  /** A CSV's feature columns, by name, in order. */
  columns?: string[];
  /** Whether the features may hold NaN or ±inf still (NPY floats; a CSV's cells are checked as read, IDX holds bytes). */
  unchecked?: boolean;
}

/** A path as shown in errors: relative to the working directory when below it. */
function shownPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') ? rel : abs;
}

/** The files of a split, by role: `{file}` for CSV, `{x, y}` for a pair. */
export function splitFiles(files: SplitFiles): Array<[role: string, path: string]> {
  return typeof files === 'string' ? [['', files]] : [['.x', files.x], ['.y', files.y]];
}

/** Every file of the data set, as written, with its key path (`dataset.train.x`). */
export function filesOf(spec: FilesSpec): Array<{key: string; path: string}> {
  return (['train', 'test'] as const).flatMap((split) => splitFiles(spec[split]).map(([role, path]) => ({key: `dataset.${split}${role}`, path})));
}

/** A file's absolute path: relative to the experiment's directory (`root`), else the working directory. */
export const absolutePath = (spec: FilesSpec, path: string) => resolve(spec.root ?? '.', path);

/** Files that are missing or not files, each a located error (the location: where the experiment names it). */
export function missingFiles(spec: FilesSpec, at: (key: string) => SourceLocation): UserError[] {
  return filesOf(spec).flatMap(({key, path}) => {
    const abs = absolutePath(spec, path);
    const stat = existsSync(abs) ? statSync(abs) : undefined;
    if (stat?.isFile()) return [];
    const where = shownPath(abs) === path ? path : `${path} (${shownPath(abs)})`;
    return [new UserError(`${where}: ${stat ? 'not a file' : 'no such file'}; paths are relative to the experiment file`, at(key), 'path')];
  });
}

/** Step 1 for one split. */
function readSplit(spec: FilesSpec, split: 'train' | 'test'): Read {
  const key = `dataset.${split}`;
  const files = spec[split];
  if (spec.format === 'csv') {
    const abs = absolutePath(spec, files as string);
    const shown = shownPath(abs);
    const table = readCsv(abs, {shown, key, label: spec.label!});
    const labelCol = (line: number) => ({file: shown, line, path: key});
    return {x: table.x, labels: table.y, n: table.n, width: table.width, labelAt: (i) => labelCol(table.lineOf(i)), featuresAt: {file: shown, path: key}, columns: table.columns};
  }
  const pair = files as {x: string; y: string};
  const xAbs = absolutePath(spec, pair.x);
  const yAbs = absolutePath(spec, pair.y);
  const xAt = {file: shownPath(xAbs), path: `${key}.x`};
  const yAt = {file: shownPath(yAbs), path: `${key}.y`};
  const errors: UserError[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      errors.push(...error.all);
      return undefined;
    }
  };
  let features: {shape: number[]; data: Float32Array} | undefined;
  let labels: {shape: number[]; data: ArrayLike<number>} | undefined;
  if (spec.format === 'npy') {
    features = attempt(() => readNpy(xAbs, xAt, FEATURE_DTYPES, 'features'));
    labels = attempt(() => readNpy(yAbs, yAt, LABEL_DTYPES, 'labels'));
  } else {
    features = attempt(() => readIdxAt(xAbs, xAt));
    labels = attempt(() => readIdxAt(yAbs, yAt));
  }
  if (features && features.shape.length < 2) errors.push(new UserError(`the features are an array of shape (${features.shape.join(', ')}): one example a row, [examples, features…]`, xAt, 'data'));
  if (labels && !(labels.shape.length === 1 || (labels.shape.length === 2 && labels.shape[1] === 1))) {
    errors.push(new UserError(`the labels are an array of shape (${labels.shape.join(', ')}): one class label an example, [examples]`, yAt, 'data'));
  }
  if (features && labels && errors.length === 0 && features.shape[0] !== labels.shape[0]) {
    errors.push(new UserError(`${labels.shape[0]} labels for ${features.shape[0]} examples (${xAt.file}): one label an example`, yAt, 'data'));
  }
  throwIfAny(errors);
  const [n, ...rest] = features!.shape as [number, ...number[]];
  if (n === 0) throw new UserError('the array holds no examples', xAt, 'data');
  const width = rest.reduce((a, b) => a * b, 1);
  return {x: features!.data, labels: labels!.data, n, width, ...(rest.length > 1 && {shape: rest}), labelAt: () => yAt, featuresAt: xAt, unchecked: spec.format === 'npy'};
}

/** An IDX file's values as float32; its problems located at the key that names it. */
function readIdxAt(abs: string, at: SourceLocation): {shape: number[]; data: Float32Array} {
  if (statSync(abs).size === 0) throw new UserError('the file is empty: an IDX file starts with its magic number and sizes', at, 'data');
  try {
    const {shape, data} = readIdx(abs);
    return {shape, data: Float32Array.from(data)};
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(error.detail, at, 'data');
  }
}

/** Step 2: the features are finite (NPY floats; CSV and IDX are checked as read). */
function checkFinite(read: Read): UserError | undefined {
  for (let k = 0; k < read.x.length; k++) {
    const v = read.x[k]!;
    if (!Number.isFinite(v)) {
      const i = Math.floor(k / read.width);
      return new UserError(`example ${i} (from 0), feature ${k - i * read.width} is ${v} (NaN and ±inf are not allowed: every feature must be a finite number)`, read.featuresAt, 'data');
    }
  }
  return undefined;
}

/** Step 2: labels are whole numbers from 0, below `classes` when given; the largest label. */
function checkLabels(read: Read, classes: number | undefined): {largest: number; error?: UserError} {
  let largest = -1;
  for (let i = 0; i < read.n; i++) {
    const v = read.labels[i]!;
    const problem = !Number.isInteger(v) ? `is ${v}, not a whole number` : v < 0 ? `is ${v}, negative` : classes !== undefined && v >= classes ? `is ${v}, out of range for classes: ${classes} (labels 0 … ${classes - 1})` : undefined;
    if (problem) return {largest, error: new UserError(`the label of example ${i} (from 0) ${problem}`, read.labelAt(i), 'data')};
    if (v > largest) largest = v;
  }
  return {largest};
}

/** Steps 1–4: the data set, or every problem found in its files (a UserError, exit 2). */
export function loadFiles(spec: FilesSpec, at: (key: string) => SourceLocation = (key) => ({file: '(experiment)', path: key})): Dataset {
  throwIfAny(missingFiles(spec, at));
  const errors: UserError[] = [];
  const reads: Partial<Record<'train' | 'test', Read>> = {};
  for (const split of ['train', 'test'] as const) {
    try {
      reads[split] = readSplit(spec, split);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      errors.push(...error.all);
    }
  }
  throwIfAny(errors);
  const {train, test} = reads as Record<'train' | 'test', Read>;
  for (const read of [train, test].filter((r) => r.unchecked)) {
    const finite = checkFinite(read);
    if (finite) errors.push(finite);
  }
  if (test.width !== train.width) {
    errors.push(new UserError(`the test split has ${test.width} features an example, the training split ${train.width} (${train.featuresAt.file}): they must be the same`, test.featuresAt, 'data'));
  } else if (train.columns && test.columns) {
    // The same features in another order would be read as other features: the names must agree.
    const c = train.columns.findIndex((name, j) => test.columns![j] !== name);
    if (c >= 0) {
      errors.push(new UserError(`feature column ${c + 1} is "${test.columns[c]}" here and "${train.columns[c]}" in the training file (${train.featuresAt.file}): ` +
        'the test file must have the training file\'s columns, in its order', {...test.featuresAt, line: 1}, 'data'));
    }
  }
  const checked = [checkLabels(train, spec.classes), checkLabels(test, spec.classes)];
  errors.push(...checked.flatMap((c) => (c.error ? [c.error] : [])));
  const classes = spec.classes ?? Math.max(...checked.map((c) => c.largest)) + 1;
  if (errors.length === 0 && classes < 2) {
    errors.push(new UserError(`every label is ${classes - 1}: a classification needs at least 2 classes`, train.labelAt(0), 'data'));
  }
  throwIfAny(errors);
  // `shape` against the features is a check of the experiment, located there (src/data/check.ts).
  const shape = spec.shape ?? train.shape;
  // Images for a convnet: the shape given, [H, W] or [H, W, C] (src/spec/datasets.ts).
  const image = imageShapeOf(spec);

  const split = (read: Read): Split => {
    if (spec.scale !== undefined) for (let k = 0; k < read.x.length; k++) read.x[k] = read.x[k]! / spec.scale;
    return {x: read.x, y: Int32Array.from(read.labels), n: read.n, width: read.width};
  };
  const files = filesOf(spec).map(({path}) => dataFile(spec, path));
  const named = (which: 'train' | 'test') => splitFiles(spec[which]).map(([, p]) => p).join(' + ');
  const scaled = spec.scale === undefined ? '' : ` · features ÷ ${spec.scale}`;
  return {
    name: 'files',
    task: 'classification',
    features: train.width,
    classes,
    train: split(train),
    test: split(test),
    ...(shape && {shape}),
    ...(image && {image}),
    source: `${spec.format} files: ${named('train')} (${train.n} × ${train.width}), ${named('test')} (${test.n} × ${test.width}), ` +
      `${classes} classes${spec.classes === undefined ? ' (from the labels)' : ''}${shape ? ` · shape [${shape.join(', ')}]` : ''}${scaled}`,
    files,
  };
}

/** Step 4: one file's identity, its path as the experiment writes it. */
export function dataFile(spec: FilesSpec, path: string): DataFile {
  const {size, sha256} = fingerprint(absolutePath(spec, path));
  return {name: basename(path), path, size, sha256};
}
