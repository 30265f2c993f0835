// Hostile and broken input (test/fixtures/hostile/cases.json): every case is bad input — a clear,
// located message, exit 2 — and leaves nothing written, whatever the input tries.

import {cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {gzipSync} from 'node:zlib';
import test from 'ava';
import {encodeIdx} from '../src/data/idx.js';
import {cli, REPO, tempDir} from './helpers.js';

interface Case {
  name: string;
  args: string[];
  exit: number;
  stderr: string;
}

const FIXTURES = join(REPO, 'test', 'fixtures', 'hostile');
const {cases} = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as {cases: Case[]};
const NAMES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

/** Data directories with the four Fashion-MNIST file names: a corrupt gzip, a truncated IDX, none at all. */
function makeData(root: string): void {
  const labels = gzipSync(encodeIdx({shape: [10], data: new Uint8Array(10)}));
  const images = (n: number) => encodeIdx({shape: [n, 28, 28], data: new Uint8Array(n * 784)});
  const write = (name: string, trainImages: Buffer) => {
    const dir = join(root, 'data', name);
    mkdirSync(dir, {recursive: true});
    for (const file of NAMES) writeFileSync(join(dir, file), file.startsWith('train-images') ? trainImages : file.includes('labels') ? labels : gzipSync(images(10)));
  };
  const gz = gzipSync(images(10));
  write('corrupt-gzip', Buffer.concat([gz.subarray(0, 20), Buffer.from('this is not deflate data at all'), gz.subarray(40)]));
  write('truncated', gzipSync(images(10).subarray(0, 16 + 3000)));
  mkdirSync(join(root, 'data', 'empty'));
}

for (const c of cases) {
  test(`hostile input: ${c.name}`, (t) => {
    const dir = tempDir('normbench-hostile-');
    cpSync(FIXTURES, dir, {recursive: true});
    makeData(dir);
    const before = readdirSync(dir).sort();
    const args = c.args.map((a) => a.replace(/\{data:([\w-]+)\}/, (_, name: string) => join(dir, 'data', name)));
    const r = cli(args, dir, {timeout: 30_000});
    t.is(r.code, c.exit, `${args.join(' ')}\n${r.stderr}`);
    t.true(r.stderr.includes(c.stderr), `expected "${c.stderr}" in:\n${r.stderr}`);
    t.false(r.stderr.includes('    at '), 'no stack trace');
    t.deepEqual(readdirSync(dir).sort(), before, 'nothing written');
  });
}
