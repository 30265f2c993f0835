// Hostile and broken input (test/fixtures/hostile/cases.json): every case is bad input — a clear,
// located message, exit 2 — and leaves nothing written, whatever the input tries.
//
// Cases marked "cli" run the real CLI. The others are experiment files that loading rejects: they
// run in this process through the calls the CLI makes (`run` and `validate` alike: find the file,
// load it, expand its grid), in the same working directory, and must throw the UserError that the
// CLI would print as `error: <message>` and exit 2 on.
//
// backend-independent: bad input, refused by loading or by the CLI before any training.

import {cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {gzipSync} from 'node:zlib';
import type {ExecutionContext} from 'ava';
import test from './ava.js';
import {expandExperiment} from '../src/config/expand.js';
import {findExperiment} from '../src/config/find.js';
import {loadExperiment} from '../src/config/load.js';
import {checkData} from '../src/data/check.js';
import {encodeIdx} from '../src/data/idx.js';
import {throwIfAny, UserError} from '../src/errors.js';
import {cli, encodeNpy, REPO, tempDir} from './helpers.js';

interface Case {
  name: string;
  args: string[];
  exit: number;
  /** A fragment of stderr, or several, each expected. */
  stderr: string | string[];
  /** Run the real CLI (errors from flag parsing or from after loading need it). */
  cli?: boolean;
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

/**
 * Your own data's binary files beside own/*.csv: good .npy and IDX pairs (own-npy.yaml,
 * own-idx.yaml), and broken ones — not .npy, big-endian, Fortran order, truncated, NaN.
 */
function makeOwnData(root: string): void {
  const own = (name: string, bytes: Buffer) => writeFileSync(join(root, 'own', name), bytes);
  const x = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const good = encodeNpy('<f4', [4, 3], x);
  own('x.npy', good);
  own('y.npy', encodeNpy('<i8', [4], BigInt64Array.from([0n, 1n, 2n, 1n])));
  own('not-npy.npy', Buffer.from('a,b,c\n1,2,3\n'));
  own('big-endian.npy', encodeNpy('>f4', [4, 3], x));
  own('fortran.npy', encodeNpy('<f4', [4, 3], x, true));
  own('truncated.npy', good.subarray(0, good.length - 5));
  own('nan.npy', encodeNpy('<f8', [4, 3], Float64Array.from([0, 1, 2, 3, 4, NaN, 6, 7, 8, 9, 10, 11])));
  const images = encodeIdx({shape: [4, 2, 2], data: Uint8Array.from({length: 16}, (_, i) => i * 10)});
  own('images.idx', images);
  own('labels.idx', encodeIdx({shape: [4], data: Uint8Array.from([0, 1, 2, 1])}));
  own('truncated.idx', images.subarray(0, images.length - 3));
}

/** A copy of the fixtures with the data directories, and the case's arguments with {data:NAME} filled in. */
function setUp(c: Case): {dir: string; args: string[]} {
  const dir = tempDir('normbench-hostile-');
  cpSync(FIXTURES, dir, {recursive: true});
  makeData(dir);
  makeOwnData(dir);
  return {dir, args: c.args.map((a) => a.replace(/\{data:([\w-]+)\}/, (_, name: string) => join(dir, 'data', name)))};
}

function expectText(t: ExecutionContext, c: Case, text: string): void {
  for (const fragment of typeof c.stderr === 'string' ? [c.stderr] : c.stderr) t.true(text.includes(fragment), `expected "${fragment}" in:\n${text}`);
  t.false(text.includes('    at '), 'no stack trace');
}

/**
 * `normbench run|validate FILE [--set k=v]…` up to the end of the checks: what
 * src/commands/run.ts and validate.ts call, in order (run's runExperiment expands first), then
 * the data checks they make before training (src/data/check.ts).
 */
function loadAsTheCli(args: string[]): void {
  const [command, file, ...rest] = args;
  const set: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] !== '--set' || rest[i + 1] === undefined) throw new Error(`only --set can run in process, got ${rest.slice(i).join(' ')}: mark the case "cli": true`);
    set.push(rest[i + 1]!);
  }
  if ((command !== 'run' && command !== 'validate') || file === undefined) throw new Error(`only run and validate of a file can run in process, got ${args.join(' ')}: mark the case "cli": true`);
  const found = findExperiment(file);
  const loaded = loadExperiment(found.file, {set: set.length ? set : undefined});
  expandExperiment(loaded);
  // The data checks that validate and run make before anything is written (your own data are read here).
  throwIfAny(checkData(loaded.expanded, {locate: (path) => loaded.sources.locate(path)}), loaded.sources.layers.map((l) => l.file));
}

for (const c of cases) {
  if (c.cli) {
    test(`hostile input: ${c.name} (CLI)`, (t) => {
      const {dir, args} = setUp(c);
      const before = readdirSync(dir).sort();
      const r = cli(args, dir, {timeout: 30_000});
      t.is(r.code, c.exit, `${args.join(' ')}\n${r.stderr}`);
      expectText(t, c, r.stderr);
      t.deepEqual(readdirSync(dir).sort(), before, 'nothing written');
    });
    continue;
  }
  test(`hostile input: ${c.name} (in process)`, (t) => {
    const {dir, args} = setUp(c);
    const before = readdirSync(dir).sort();
    const cwd = process.cwd();
    let error: unknown;
    // The CLI's working directory: file names are shown relative to it.
    process.chdir(dir);
    try {
      loadAsTheCli(args);
    } catch (e) {
      error = e;
    } finally {
      process.chdir(cwd);
    }
    if (!(error instanceof UserError)) return void t.fail(`${args.join(' ')}: expected a UserError, got ${error instanceof Error ? error.stack : String(error)}`);
    t.is(error.exitCode, c.exit, 'a UserError exits with code 2');
    // What the CLI prints (src/cli.ts, BaseCommand.catch); several errors are one message, a line each.
    expectText(t, c, `error: ${error.message}`);
    t.is(error.message, error.all.map((e) => e.message).join('\n'), 'the message is every error found, a line each');
    t.deepEqual(readdirSync(dir).sort(), before, 'nothing written');
  });
}
