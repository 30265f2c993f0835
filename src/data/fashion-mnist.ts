// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 28×28 grey images of 10 clothing classes,
// 60 000 train / 10 000 test, in the IDX files of the official release. Pixels are scaled to
// [0, 1]. The full set is looked for in a list of places; a stratified real subset ships in data/.

import {existsSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {UserError} from '../errors.js';
import {PACKAGE_ROOT} from '../version.js';
import {readIdx} from './idx.js';
import type {Dataset, Split} from './types.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** The bundled mini set. */
export const MINI_DIR = join(PACKAGE_ROOT, 'data', 'fashion-mnist-mini');

/** The file's path in `dir`, raw or gzipped, if present. */
function findFile(dir: string, base: string): string | undefined {
  for (const name of [`${base}.gz`, base]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function hasAllFiles(dir: string): boolean {
  return Object.values(FASHION_MNIST_FILES).every((base) => findFile(dir, base));
}

/** The places searched for the full set, in order. */
export function fashionMnistSearchPath(dataDir?: string): string[] {
  const dirs: string[] = [];
  if (dataDir) dirs.push(resolve(dataDir));
  if (process.env.NORMBENCH_DATA) {
    dirs.push(resolve(process.env.NORMBENCH_DATA), resolve(process.env.NORMBENCH_DATA, 'fashion-mnist'));
  }
  dirs.push(resolve('data'), resolve('data', 'fashion-mnist'), DEBIAN_DIR);
  return [...new Set(dirs)];
}

function readSplit(dir: string, images: string, labels: string): Split {
  const imagesFile = findFile(dir, images)!;
  const labelsFile = findFile(dir, labels)!;
  const img = readIdx(imagesFile);
  const lab = readIdx(labelsFile);
  const n = img.shape[0]!;
  if (img.shape.length !== 3 || img.shape[1] !== 28 || img.shape[2] !== 28) {
    throw new UserError(`${imagesFile}: expected images of shape [n, 28, 28], got [${img.shape.join(', ')}]`);
  }
  if (lab.shape.length !== 1 || lab.shape[0] !== n) {
    throw new UserError(`${labelsFile}: expected ${n} labels, got shape [${lab.shape.join(', ')}]`);
  }
  const x = new Float32Array(img.data.length);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i]! / 255;
  const y = Int32Array.from(lab.data);
  if (y.some((c) => c > 9)) throw new UserError(`${labelsFile}: labels must be 0–9`);
  return {x, y, n, width: 784};
}

/** Load the four IDX files from one directory. */
export function loadFashionMnistFrom(dir: string, name = 'fashion-mnist'): Dataset {
  const f = FASHION_MNIST_FILES;
  return {
    name,
    task: 'classification',
    features: 784,
    classes: 10,
    train: readSplit(dir, f.trainImages, f.trainLabels),
    test: readSplit(dir, f.testImages, f.testLabels),
    source: dir,
  };
}

/** The first of `places` that holds all four files, if any. */
export function findFashionMnist(places = fashionMnistSearchPath()): string | undefined {
  return places.find(hasAllFiles);
}

/** The full set from the first place (of `places`) that has all four files. */
export function loadFashionMnist(dataDir?: string, places = fashionMnistSearchPath(dataDir)): Dataset {
  const dir = findFashionMnist(places);
  if (!dir) {
    throw new UserError(
      `Fashion-MNIST not found. Looked for ${Object.values(FASHION_MNIST_FILES).join(', ')} (.gz or raw) in:\n` +
        places.map((p) => `  - ${p}`).join('\n') +
        '\nGet it with one of:\n' +
        '  - apt-get install dataset-fashion-mnist   (Debian; installs to ' + DEBIAN_DIR + ')\n' +
        '  - download the four files from the official Fashion-MNIST release into ./data/fashion-mnist\n' +
        '  - point --data-dir, dataset.data_dir or $NORMBENCH_DATA at a directory holding them\n' +
        'or use the bundled subset: dataset: {name: fashion-mnist-mini}',
    );
  }
  return loadFashionMnistFrom(dir);
}

/** The stratified subset bundled with normbench. */
export function loadFashionMnistMini(): Dataset {
  if (!hasAllFiles(MINI_DIR)) {
    throw new Error(`The bundled Fashion-MNIST subset is missing from ${MINI_DIR}; the installation is incomplete.`);
  }
  return loadFashionMnistFrom(MINI_DIR, 'fashion-mnist-mini');
}
