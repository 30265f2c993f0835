// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 28×28 grey images of 10 clothing classes,
// 60 000 train / 10 000 test, in the IDX files of the official release. Pixels are scaled to
// [0, 1]. The full set is looked for in a list of places; a stratified real subset ships in data/.
// Both are checked against their SHA-256s before they are read (src/data/fashion-mnist-files.ts).

import {join, resolve} from 'node:path';
import {UserError, type SourceLocation} from '../errors.js';
import {PACKAGE_ROOT} from '../version.js';
import {FASHION_MNIST_FILES, FASHION_MNIST_RAW, fashionMnistPaths, missingFashionMnistFiles, verifyFashionMnist, type FashionMnistFile} from './fashion-mnist-files.js';
import {fingerprint, type DataFile} from './fingerprint.js';
import {readIdx} from './idx.js';
import {IMAGE_SHAPES} from '../spec/datasets.js';
import type {Dataset, Split} from './types.js';

export {FASHION_MNIST_FILES} from './fashion-mnist-files.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** The bundled mini set. */
export const MINI_DIR = join(PACKAGE_ROOT, 'data', 'fashion-mnist-mini');

const hasAllFiles = (dir: string) => missingFashionMnistFiles(dir).length === 0;

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

function readSplit(paths: Partial<Record<FashionMnistFile, string>>, images: FashionMnistFile, labels: FashionMnistFile): Split {
  const imagesFile = paths[images]!;
  const labelsFile = paths[labels]!;
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

/**
 * Load the four IDX files from one directory, as they are: no checksum is compared here
 * (loadFashionMnist and loadFashionMnistMini do that first). `files`: their fingerprints, when the
 * caller has them from the check; else they are taken (cached, src/data/fingerprint.ts).
 */
export function loadFashionMnistFrom(dir: string, name = 'fashion-mnist', files?: DataFile[]): Dataset {
  const paths = fashionMnistPaths(dir);
  const missing = missingFashionMnistFiles(dir);
  if (missing.length) throw new UserError(`${dir} lacks ${missing.join(', ')} (.gz or raw)`, {file: dir}, 'data');
  return {
    name,
    task: 'classification',
    features: 784,
    image: IMAGE_SHAPES['fashion-mnist']!,
    classes: 10,
    train: readSplit(paths, 'trainImages', 'trainLabels'),
    test: readSplit(paths, 'testImages', 'testLabels'),
    source: dir,
    files: files ?? Object.values(paths).map((p) => fingerprint(p)),
  };
}

/** The first of `places` that holds all four files, if any. */
export function findFashionMnist(places = fashionMnistSearchPath()): string | undefined {
  return places.find(hasAllFiles);
}

/** The full set is in none of `places`: where it was looked for, and how to get it. */
export function fashionMnistNotFound(places: readonly string[], location?: SourceLocation): UserError {
  return new UserError(
    `Fashion-MNIST not found. Looked for ${Object.values(FASHION_MNIST_FILES).join(', ')} (.gz or raw) in:\n` +
      places.map((p) => `  - ${p}`).join('\n') +
      '\nGet it with one of:\n' +
      '  - normbench data fetch fashion-mnist      (downloads them into ./data/fashion-mnist, checked)\n' +
      '  - apt-get install dataset-fashion-mnist   (Debian; installs to ' + DEBIAN_DIR + ')\n' +
      '  - point --data-dir, dataset.data_dir or $NORMBENCH_DATA at a directory holding them\n' +
      'or use the bundled subset: dataset: {name: fashion-mnist-mini}',
    location,
    'data',
  );
}

/** The full set from the first place (of `places`) that has all four files, checked against the official SHA-256s. */
export function loadFashionMnist(dataDir?: string, places = fashionMnistSearchPath(dataDir)): Dataset {
  const dir = findFashionMnist(places);
  if (!dir) throw fashionMnistNotFound(places);
  verifyFashionMnist(dir, 'full');
  // The official set in any accepted form (.gz of any make, or raw) is one content: its identity
  // is its raw files, so that a copy in another form is the same data to a resume or a verify.
  const content = Object.values(FASHION_MNIST_RAW).map((f) => ({name: f.name, size: f.bytes, sha256: f.sha256}));
  return loadFashionMnistFrom(dir, 'fashion-mnist', content);
}

/** The stratified subset bundled with normbench, checked against the digests it was released with. */
export function loadFashionMnistMini(): Dataset {
  return loadFashionMnistFrom(MINI_DIR, 'fashion-mnist-mini', verifyMini());
}

/** The bundled subset's fingerprints, checked; a UserError (code `data`) naming what is missing or damaged. */
export function verifyMini(): DataFile[] {
  if (!hasAllFiles(MINI_DIR)) {
    throw new UserError(`the bundled Fashion-MNIST subset lacks ${missingFashionMnistFiles(MINI_DIR).join(', ')}: the installation is incomplete; reinstall normbench`, {file: MINI_DIR}, 'data');
  }
  return verifyFashionMnist(MINI_DIR, 'mini');
}
