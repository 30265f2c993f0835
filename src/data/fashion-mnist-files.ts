// The files of Fashion-MNIST and how a copy is known to be the real one: their names, the
// SHA-256 of every form of the official files normbench accepts, those of the bundled subset, and
// the check of a copy against them. MNIST digits and any other IDX set can carry the same names
// and shapes, so the checksum decides; what a wrong file holds is said in words.
//
// The digests are compared with the files' fingerprints (src/data/fingerprint.ts), cached on disk,
// so that checking a copy that has been checked before costs a stat per file.

import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {UserError, UserErrors} from '../errors.js';
import {fingerprint, gunzippedSha256, type DataFile} from './fingerprint.js';
import {readIdx, type IdxArray} from './idx.js';

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type FashionMnistFile = keyof typeof FASHION_MNIST_FILES;
const KEYS = Object.keys(FASHION_MNIST_FILES) as FashionMnistFile[];

/** A file as published: its name, size and SHA-256 (the shape of a downloadable file, src/data/downloads.ts). */
export interface PublishedFile {
  name: string;
  bytes: number;
  sha256: string;
}

// The official release's .gz files. Zalando's README publishes MD5s only (train-images
// 8d4fb7e6c68d591d4c3dfef9ec88bf0d, train-labels 25c81989df183df01b3e8a0aad5dffbe, t10k-images
// bef4ecab320f06d8554ea6380940ec79, t10k-labels bb300cfdad3c16e7a12a480ee83cd310). The SHA-256s and
// sizes are those pinned for the same URLs by TensorFlow Datasets
// (tensorflow_datasets/url_checksums/fashion_mnist.txt) and torchvision's prototype FashionMNIST.
// Checked locally against Debian's dataset-fashion-mnist: its .gz files carry the same deflate streams,
// but strip-nondeterminism rewrote their gzip headers (file name dropped, MTIME set to the 2020 build
// date), so their own MD5s differ from the README's. Putting back the name and the original MTIME
// (1504176606 for train, 1504176627 for t10k, i.e. 2017-08-31 10:50 UTC, found by trying MTIMEs until
// the README's MD5 came out) reproduces files with the README's MD5s, these sizes and these SHA-256s.
// test/data/fetch.test.ts repeats that check whenever the Debian package is installed.
export const FASHION_MNIST_OFFICIAL_GZ: Record<FashionMnistFile, PublishedFile> = {
  trainImages: {name: `${FASHION_MNIST_FILES.trainImages}.gz`, bytes: 26_421_880, sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84'},
  trainLabels: {name: `${FASHION_MNIST_FILES.trainLabels}.gz`, bytes: 29_515, sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845'},
  testImages: {name: `${FASHION_MNIST_FILES.testImages}.gz`, bytes: 4_422_102, sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073'},
  testLabels: {name: `${FASHION_MNIST_FILES.testLabels}.gz`, bytes: 5_148, sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5'},
};

// Debian's .gz files (dataset-fashion-mnist 0.0~git20200523.55506a9-1, in DEBIAN_DIR): the official
// deflate streams under the rewritten gzip header described above; `sha256sum` of the installed files.
// The raw files: `gunzip -c <file> | sha256sum` of the same Debian files, which decompress to the
// official bytes because their deflate streams are the official ones (the official .gz rebuilt from
// them has the README's MD5, test/data/fetch.test.ts). A .gz of any other make is accepted when it
// decompresses to these.
export const FASHION_MNIST_DEBIAN_GZ: Record<FashionMnistFile, string> = {
  trainImages: 'b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7',
  trainLabels: '0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056',
  testImages: 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa',
  testLabels: '8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05',
};
export const FASHION_MNIST_RAW: Record<FashionMnistFile, PublishedFile> = {
  trainImages: {name: FASHION_MNIST_FILES.trainImages, bytes: 47_040_016, sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888'},
  trainLabels: {name: FASHION_MNIST_FILES.trainLabels, bytes: 60_008, sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9'},
  testImages: {name: FASHION_MNIST_FILES.testImages, bytes: 7_840_016, sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b'},
  testLabels: {name: FASHION_MNIST_FILES.testLabels, bytes: 10_008, sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34'},
};

// The bundled subset (data/fashion-mnist-mini), as scripts/make-mini-fashion-mnist.mjs writes it
// byte for byte: `sha256sum data/fashion-mnist-mini/*`. Rebuilding the subset means updating these.
export const FASHION_MNIST_MINI_GZ: Record<FashionMnistFile, PublishedFile> = {
  trainImages: {name: `${FASHION_MNIST_FILES.trainImages}.gz`, bytes: 2_624_807, sha256: '8ee4cb70eb7388831ec8c2e8fafbf3aeb1797b10adae0071f7fc62f8d9653b78'},
  trainLabels: {name: `${FASHION_MNIST_FILES.trainLabels}.gz`, bytes: 2_821, sha256: 'c19f57cf47fcbe632dfdaa7503de15b59920f4badde8b1fd2e4844d08043dbd4'},
  testImages: {name: `${FASHION_MNIST_FILES.testImages}.gz`, bytes: 437_704, sha256: 'cccc296cbc59a7ed8ccbc682de3c727f5ec7165a92f415f2f8f6de68551427cb'},
  testLabels: {name: `${FASHION_MNIST_FILES.testLabels}.gz`, bytes: 480, sha256: '6e8ed870be0289377580b612631f8ec187991f98c161b06a8c8780a912d504f8'},
};

/** Which copy a directory should hold: the official full set, or the bundled subset. */
export type FashionMnistCopy = 'full' | 'mini';

/** Examples per split of each copy: what a verified copy holds, known without reading it. */
export const FASHION_MNIST_SIZES: Record<FashionMnistCopy, {train: number; test: number}> = {
  full: {train: 60_000, test: 10_000},
  mini: {train: 6_000, test: 1_000},
};

/** The path of each file present in `dir`, gzipped or raw (the .gz first). */
export function fashionMnistPaths(dir: string): Partial<Record<FashionMnistFile, string>> {
  const paths: Partial<Record<FashionMnistFile, string>> = {};
  for (const key of KEYS) {
    const base = FASHION_MNIST_FILES[key];
    const path = [`${base}.gz`, base].map((name) => join(dir, name)).find((p) => existsSync(p));
    if (path) paths[key] = path;
  }
  return paths;
}

/** The files missing from `dir`, by their base names. */
export function missingFashionMnistFiles(dir: string): string[] {
  const paths = fashionMnistPaths(dir);
  return KEYS.filter((k) => !paths[k]).map((k) => FASHION_MNIST_FILES[k]);
}

/** Whether `sha256` (of the file at `path`) is one of the forms of the official file. */
function isOfficial(key: FashionMnistFile, path: string, sha256: string): boolean {
  if (sha256 === FASHION_MNIST_OFFICIAL_GZ[key].sha256 || sha256 === FASHION_MNIST_DEBIAN_GZ[key] || sha256 === FASHION_MNIST_RAW[key].sha256) return true;
  if (!path.endsWith('.gz')) return false;
  try {
    return gunzippedSha256(path) === FASHION_MNIST_RAW[key].sha256;
  } catch {
    return false; // not gzip after all: described below
  }
}

/** `60 000`: thousands apart, as the Fashion-MNIST paper writes them. */
const count = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ' ');

// The first labels of MNIST's digits (LeCun et al.), whose files have Fashion-MNIST's names and shapes.
const MNIST_FIRST_LABELS: Record<'train' | 'test', string> = {train: '5 0 4 1 9 2 1 3 1 4', test: '7 2 1 0 4 1 4 9 5 9'};

function labelsText(idx: IdxArray): string {
  if (idx.shape.length !== 1) return `an IDX array of shape [${idx.shape.join(', ')}]`;
  let lo = Infinity;
  let hi = -Infinity;
  const seen = new Set<number>();
  for (const v of idx.data) {
    seen.add(v);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const n = idx.shape[0]!;
  return n === 0 ? 'no labels' : `${count(n)} labels of ${seen.size} class${seen.size === 1 ? '' : 'es'} (${lo}–${hi})`;
}

function imagesText(idx: IdxArray): string {
  return idx.shape.length === 3 ? `${count(idx.shape[0]!)} images of ${idx.shape[1]}×${idx.shape[2]}` : `an IDX array of shape [${idx.shape.join(', ')}]`;
}

/** What a file that failed its checksum holds, against what it should: one line. */
function describe(key: FashionMnistFile, path: string, copy: FashionMnistCopy, sha256: string): string {
  let idx: IdxArray;
  try {
    idx = readIdx(path);
  } catch (error) {
    if (error instanceof UserError) return error.detail;
    throw error;
  }
  const split = key.startsWith('train') ? 'train' : 'test';
  const n = FASHION_MNIST_SIZES[copy][split];
  const labels = key.endsWith('Labels');
  const found = labels ? labelsText(idx) : imagesText(idx);
  const wanted = labels ? `${count(n)} labels of 10 classes (0–9)` : `${count(n)} images of 28×28`;
  if (found !== wanted) return `${found}, expected ${wanted}`;
  const mnist = labels && Array.from(idx.data.subarray(0, 10)).join(' ') === MNIST_FIRST_LABELS[split]
    ? `; its first labels, ${MNIST_FIRST_LABELS[split]}, are those of MNIST's handwritten digits`
    : '';
  return `${found} as expected, but other values than the official file's (SHA-256 ${sha256.slice(0, 16)}…)${mnist}`;
}

/**
 * The fingerprints of the copy of Fashion-MNIST in `dir` — the official full set, or the bundled
 * subset — after checking each file's SHA-256. A file that is not the right one is a UserError
 * (code `data`, exit 2) saying what it holds; all four are checked and reported together.
 */
export function verifyFashionMnist(dir: string, copy: FashionMnistCopy = 'full'): DataFile[] {
  const paths = fashionMnistPaths(dir);
  const missing = missingFashionMnistFiles(dir);
  if (missing.length) throw new UserError(`${dir} lacks ${missing.join(', ')} (.gz or raw)`, {file: dir}, 'data');
  const files: DataFile[] = [];
  const wrong: Array<{path: string; text: string}> = [];
  for (const key of KEYS) {
    const path = paths[key]!;
    const file = fingerprint(path);
    const ok = copy === 'mini' ? file.sha256 === FASHION_MNIST_MINI_GZ[key].sha256 : isOfficial(key, path, file.sha256);
    if (ok) files.push(file);
    else wrong.push({path, text: describe(key, path, copy, file.sha256)});
  }
  if (wrong.length === 0) return files;
  const advice = copy === 'mini'
    ? `the bundled Fashion-MNIST subset in ${dir} is damaged (its files differ from those normbench was released with): reinstall normbench.`
    : 'These are not the official Fashion-MNIST files, which normbench knows by their SHA-256 (MNIST digits and other IDX sets carry the same names). ' +
      `Put the official files there (normbench data fetch fashion-mnist --dir ${dir} --force; or, on Debian, apt-get install dataset-fashion-mnist), ` +
      'or point --data-dir or dataset.data_dir at a directory that holds them.';
  const errors = wrong.map(({path, text}, i) => new UserError(i === wrong.length - 1 ? `${text}\n${advice}` : text, {file: path}, 'data'));
  throw errors.length === 1 ? errors[0]! : new UserErrors(errors);
}
