// What the data are: file fingerprints (name, size, SHA-256) and their cache; the check of a
// Fashion-MNIST copy against the official SHA-256s, and what a wrong file is said to hold.
//
// backend-independent: files and digests; no tensors.

import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {gunzipSync, gzipSync} from 'node:zlib';
import test from '../ava.js';
import {REPO, tempDir} from '../helpers.js';
import {DEBIAN_DIR, loadFashionMnist, MINI_DIR, verifyMini} from '../../src/data/fashion-mnist.js';
import {
  FASHION_MNIST_DEBIAN_GZ, FASHION_MNIST_FILES, FASHION_MNIST_MINI_GZ, FASHION_MNIST_RAW, verifyFashionMnist,
} from '../../src/data/fashion-mnist-files.js';
import {cacheDir, compareDataFiles, fingerprint, forgetCachedFingerprints} from '../../src/data/fingerprint.js';
import {writeIdx} from '../../src/data/idx.js';
import {datasetFiles, loadDataset} from '../../src/data/registry.js';
import {UserError} from '../../src/errors.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A fresh, empty cache for this process. */
function freshCache(): string {
  const dir = join(tempDir('normbench-cache-'), 'cache');
  process.env.NORMBENCH_CACHE = dir;
  forgetCachedFingerprints();
  return dir;
}

const readCache = (dir: string) => JSON.parse(readFileSync(join(dir, 'fingerprints.json'), 'utf8')) as {version: number; entries: Record<string, {sha256: string; size: number}>};

test('the cache lives in $NORMBENCH_CACHE, else $XDG_CACHE_HOME/normbench, else ~/.cache/normbench', (t) => {
  t.is(cacheDir({NORMBENCH_CACHE: '/a/b', XDG_CACHE_HOME: '/x'}), '/a/b');
  t.is(cacheDir({XDG_CACHE_HOME: '/x'}), '/x/normbench');
  t.regex(cacheDir({}), /\/\.cache\/normbench$/);
});

test('a fingerprint is the file name, size and SHA-256; it is hashed once, then served from the cache', (t) => {
  const cache = freshCache();
  const dir = tempDir();
  const file = join(dir, 'labels.idx');
  const bytes = Buffer.from('0123456789abcdef'.repeat(100));
  writeFileSync(file, bytes);
  t.deepEqual(fingerprint(file), {name: 'labels.idx', size: 1600, sha256: sha256(bytes)});
  const entries = readCache(cache).entries;
  t.deepEqual(Object.keys(entries), [file]);
  t.is(entries[file]!.sha256, sha256(bytes));
  // Proof that the next lookup hashes nothing: a digest planted in the cache for this exact file state is what comes back.
  const planted = 'f'.repeat(64);
  writeFileSync(join(cache, 'fingerprints.json'), JSON.stringify({version: 1, entries: {[file]: {...entries[file], sha256: planted}}}));
  forgetCachedFingerprints();
  t.is(fingerprint(file).sha256, planted);
});

test('a file replaced by one of the same size with its mtime set back is hashed again (ctime, inode)', (t) => {
  freshCache();
  const dir = tempDir();
  const file = join(dir, 'train-labels-idx1-ubyte');
  writeFileSync(file, Buffer.from([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]));
  const before = fingerprint(file);
  const {atime, mtime} = statSync(file);
  // Relabelled in place, its times put back as `cp -p` or `touch -r` would.
  writeFileSync(file, Buffer.from([0, 0, 8, 1, 0, 0, 0, 4, 4, 3, 2, 1]));
  utimesSync(file, atime, mtime);
  const after = fingerprint(file);
  t.is(after.size, before.size);
  t.not(after.sha256, before.sha256);
  t.deepEqual(compareDataFiles([before], [after]), [`train-labels-idx1-ubyte: SHA-256 ${before.sha256.slice(0, 8)}… → ${after.sha256.slice(0, 8)}… (12 → 12 bytes)`]);
  t.deepEqual(compareDataFiles([before], [before]), []);
  t.deepEqual(compareDataFiles([before], []), ['train-labels-idx1-ubyte: no longer there']);
  t.deepEqual(compareDataFiles([], [after]), ['train-labels-idx1-ubyte: new']);
});

test('a corrupt cache is ignored and replaced; an unwritable one is ignored', (t) => {
  const cache = freshCache();
  mkdirSync(cache, {recursive: true});
  writeFileSync(join(cache, 'fingerprints.json'), '{"version": 1, "entries": {"/x": {"sha256": "no"}}, ');
  const file = join(tempDir(), 'a');
  writeFileSync(file, 'abc');
  t.is(fingerprint(file).sha256, sha256(Buffer.from('abc')));
  t.deepEqual(Object.keys(readCache(cache).entries), [file], 'rewritten whole, without the bad entry');
  // A cache path under a file cannot be created; a read-only directory cannot be written.
  process.env.NORMBENCH_CACHE = join(file, 'cache');
  forgetCachedFingerprints();
  t.is(fingerprint(file).sha256, sha256(Buffer.from('abc')));
  const locked = join(tempDir(), 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o500);
  process.env.NORMBENCH_CACHE = locked;
  forgetCachedFingerprints();
  t.is(fingerprint(file).sha256, sha256(Buffer.from('abc')));
  t.deepEqual(readdirSync(locked).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
});

test('processes writing the cache at once leave a valid cache and no temporary files', async (t) => {
  const cache = freshCache();
  const dir = tempDir();
  const files = Array.from({length: 24}, (_, i) => join(dir, `f${i}`));
  files.forEach((f, i) => writeFileSync(f, `file ${i}`));
  const module = join(REPO, 'dist', 'src', 'data', 'fingerprint.js');
  // Six processes, four files each, all started together.
  const script = `const {fingerprint} = await import(${JSON.stringify(module)}); for (const f of process.argv.slice(1)) fingerprint(f);`;
  await Promise.all(Array.from({length: 6}, (_, p) => new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...files.slice(4 * p, 4 * p + 4)], {env: {...process.env, NORMBENCH_CACHE: cache}, stdio: 'inherit'});
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`exit ${code}`))));
  })));
  const entries = readCache(cache).entries;
  t.true(Object.keys(entries).length >= 4, 'at least the last writer\'s entries');
  for (const [path, e] of Object.entries(entries)) t.is(e.sha256, sha256(readFileSync(path)));
  t.deepEqual(readdirSync(cache), ['fingerprints.json']);
});

/** The four files of a small IDX set with Fashion-MNIST's names: `n` train images, n / 4 test images, labels cycling through `classes`. */
function fakeSet(dir: string, n: number, classes: number, firstLabels: number[] = []): void {
  mkdirSync(dir, {recursive: true});
  const labels = (m: number) => ({shape: [m], data: Uint8Array.from({length: m}, (_, i) => firstLabels[i] ?? i % classes)});
  const images = (m: number) => ({shape: [m, 28, 28], data: new Uint8Array(m * 784)});
  writeIdx(join(dir, `${FASHION_MNIST_FILES.trainImages}.gz`), images(n));
  writeIdx(join(dir, `${FASHION_MNIST_FILES.trainLabels}.gz`), labels(n));
  writeIdx(join(dir, `${FASHION_MNIST_FILES.testImages}.gz`), images(n / 4));
  writeIdx(join(dir, `${FASHION_MNIST_FILES.testLabels}.gz`), labels(n / 4));
}

test('a 2-class, 400-image set under Fashion-MNIST\'s names is refused (exit 2, code data), each file said in words', (t) => {
  freshCache();
  const dir = join(tempDir(), 'two');
  fakeSet(dir, 400, 2);
  const error = t.throws(() => loadFashionMnist(undefined, [dir]), {instanceOf: UserError})!;
  t.is(error.exitCode, 2);
  t.deepEqual(error.all.map((e) => e.code), ['data', 'data', 'data', 'data']);
  t.deepEqual(error.message.split('\n').slice(0, 4), [
    `${dir}/train-images-idx3-ubyte.gz: 400 images of 28×28, expected 60 000 images of 28×28`,
    `${dir}/train-labels-idx1-ubyte.gz: 400 labels of 2 classes (0–1), expected 60 000 labels of 10 classes (0–9)`,
    `${dir}/t10k-images-idx3-ubyte.gz: 100 images of 28×28, expected 10 000 images of 28×28`,
    `${dir}/t10k-labels-idx1-ubyte.gz: 100 labels of 2 classes (0–1), expected 10 000 labels of 10 classes (0–9)`,
  ]);
  t.regex(error.message, new RegExp(`These are not the official Fashion-MNIST files.*normbench data fetch fashion-mnist --dir ${dir} --force`));
});

test('files of the right shape but other values (MNIST digits: the same names, the same shapes) are refused by their checksum', (t) => {
  freshCache();
  const dir = join(tempDir(), 'mnist');
  // MNIST's first training labels are 5 0 4 1 9 2 1 3 1 4; its first test labels 7 2 1 0 4 1 4 9 5 9.
  fakeSet(dir, 60_000, 10, [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  writeIdx(join(dir, `${FASHION_MNIST_FILES.testLabels}.gz`), {shape: [10_000], data: Uint8Array.from({length: 10_000}, (_, i) => [7, 2, 1, 0, 4, 1, 4, 9, 5, 9][i] ?? i % 10)});
  writeIdx(join(dir, `${FASHION_MNIST_FILES.testImages}.gz`), {shape: [10_000, 28, 28], data: new Uint8Array(10_000 * 784)});
  const error = t.throws(() => verifyFashionMnist(dir), {instanceOf: UserError})!;
  const lines = error.all.map((e) => e.detail.split('\n')[0]!);
  t.is(lines.length, 4);
  t.regex(lines[0]!, /^60 000 images of 28×28 as expected, but other values than the official file's \(SHA-256 [0-9a-f]{16}…\)$/);
  t.regex(lines[1]!, /^60 000 labels of 10 classes \(0–9\) as expected, but other values than the official file's \(SHA-256 [0-9a-f]{16}…\); its first labels, 5 0 4 1 9 2 1 3 1 4, are those of MNIST's handwritten digits$/);
  t.regex(lines[3]!, /its first labels, 7 2 1 0 4 1 4 9 5 9, are those of MNIST's handwritten digits$/);
});

test('the bundled subset has the SHA-256s it was released with; a damaged copy is named', (t) => {
  freshCache();
  const files = verifyMini();
  t.deepEqual(files, Object.values(FASHION_MNIST_MINI_GZ).map((f) => ({name: f.name, size: f.bytes, sha256: f.sha256})));
  for (const f of files) t.is(f.sha256, sha256(readFileSync(join(MINI_DIR, f.name))));
  const copy = tempDir();
  for (const f of files) copyFileSync(join(MINI_DIR, f.name), join(copy, f.name));
  const labels = join(copy, FASHION_MNIST_MINI_GZ.testLabels.name);
  const raw = gunzipSync(readFileSync(labels));
  raw[8] = (raw[8]! + 1) % 10;
  writeFileSync(labels, gzipSync(raw));
  const error = t.throws(() => verifyFashionMnist(copy, 'mini'), {instanceOf: UserError})!;
  t.is(error.location?.file, labels);
  t.regex(error.message, /1 000 labels of 10 classes \(0–9\) as expected, but other values than the official file's/);
  t.regex(error.message, /the bundled Fashion-MNIST subset in \S+ is damaged \(its files differ from those normbench was released with\): reinstall normbench/);
});

test('every file-backed data set carries its files\' fingerprints, its variants too; generated ones carry none', (t) => {
  freshCache();
  const mini = Object.values(FASHION_MNIST_MINI_GZ).map((f) => ({name: f.name, size: f.bytes, sha256: f.sha256}));
  t.deepEqual(loadDataset({name: 'fashion-mnist-mini', train_limit: 10}).files, mini);
  t.deepEqual(loadDataset({name: 'fashion-mnist-mini-rows'}).files, mini);
  t.deepEqual(loadDataset({name: 'fashion-mnist-mini-permuted', size: 7, permutation_seed: 1}).files, mini);
  t.is(loadDataset({name: 'synthetic', features: 4, classes: 2, train_size: 20, test_size: 10, separation: 1, seed: 1}).files, undefined);
  t.is(loadDataset({name: 'adding', length: 4, train_size: 8, test_size: 4, seed: 1}).files, undefined);
  // The same fingerprints without loading the data.
  t.deepEqual(datasetFiles({name: 'fashion-mnist-mini-rows'}), mini);
  t.is(datasetFiles({name: 'adding', length: 4, train_size: 8, test_size: 4, seed: 1}), undefined);
  const two = join(tempDir(), 'two');
  fakeSet(two, 8, 2);
  t.deepEqual(datasetFiles({name: 'fashion-mnist-permuted', size: 7, permutation_seed: 1, data_dir: two})!.map((f) => f.name), Object.values(FASHION_MNIST_FILES).map((f) => `${f}.gz`));
  t.throws(() => datasetFiles({name: 'fashion-mnist', data_dir: join(two, 'nowhere')}), {message: /^Fashion-MNIST not found/});
});

const HAVE_DEBIAN = Object.values(FASHION_MNIST_FILES).every((f) => {
  try {
    return statSync(join(DEBIAN_DIR, `${f}.gz`)).isFile();
  } catch {
    return false;
  }
});
const debianTest = HAVE_DEBIAN ? test : test.skip;
const needsDebian = HAVE_DEBIAN ? '' : ` [skipped: ${DEBIAN_DIR} not installed (apt-get install dataset-fashion-mnist)]`;

debianTest(`the official files are accepted as Debian's .gz, raw, or gzipped anew; their fingerprints come with the data${needsDebian}`, (t) => {
  const cache = freshCache();
  const keys = Object.keys(FASHION_MNIST_FILES) as Array<keyof typeof FASHION_MNIST_FILES>;
  const debian = verifyFashionMnist(DEBIAN_DIR);
  t.deepEqual(debian.map((f) => f.sha256), keys.map((k) => FASHION_MNIST_DEBIAN_GZ[k]));
  // One copy of each form: Debian's .gz (linked), raw, and a .gz made here (other bytes, the official content).
  const dir = tempDir();
  const base = (k: keyof typeof FASHION_MNIST_FILES) => FASHION_MNIST_FILES[k];
  symlinkSync(join(DEBIAN_DIR, `${base('trainImages')}.gz`), join(dir, `${base('trainImages')}.gz`));
  writeFileSync(join(dir, base('trainLabels')), gunzipSync(readFileSync(join(DEBIAN_DIR, `${base('trainLabels')}.gz`))));
  const regzipped = gzipSync(gunzipSync(readFileSync(join(DEBIAN_DIR, `${base('testImages')}.gz`))), {level: 1});
  writeFileSync(join(dir, `${base('testImages')}.gz`), regzipped);
  writeFileSync(join(dir, base('testLabels')), gunzipSync(readFileSync(join(DEBIAN_DIR, `${base('testLabels')}.gz`))));
  const files = verifyFashionMnist(dir);
  t.deepEqual(files.map((f) => f.name), [`${base('trainImages')}.gz`, base('trainLabels'), `${base('testImages')}.gz`, base('testLabels')]);
  t.is(files[1]!.sha256, FASHION_MNIST_RAW.trainLabels.sha256);
  t.is(files[1]!.size, FASHION_MNIST_RAW.trainLabels.bytes);
  t.is(files[2]!.sha256, sha256(regzipped));
  const entry = readCache(cache).entries[join(dir, `${base('testImages')}.gz`)] as {gunzipped?: string};
  t.is(entry.gunzipped, FASHION_MNIST_RAW.testImages.sha256, 'the content digest of a .gz of another make is cached too');
  const data = loadDataset({name: 'fashion-mnist', data_dir: dir});
  t.is(data.train.n, 60_000);
  // Every form is the same content, and the data's identity says so: the raw files, wherever they came from.
  const raw = keys.map((k) => ({name: FASHION_MNIST_RAW[k].name, size: FASHION_MNIST_RAW[k].bytes, sha256: FASHION_MNIST_RAW[k].sha256}));
  t.deepEqual(data.files, raw);
  t.deepEqual(loadDataset({name: 'fashion-mnist', data_dir: DEBIAN_DIR}).files, raw);
});
