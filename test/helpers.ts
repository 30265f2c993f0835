import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ExecutionContext} from 'ava';
import {parse} from 'csv-parse/sync';
import {isTimingColumn} from '../src/results/columns.js';
import {useBackend} from '../src/backend.js';
import * as tf from '../src/tf.js';
import {PACKAGE_ROOT} from '../src/version.js';
import {UserError} from '../src/errors.js';

/** The backend the tests compute on: NORMBENCH_TEST_BACKEND (default wasm, the default backend here). */
export const TEST_BACKEND = process.env.NORMBENCH_TEST_BACKEND ?? 'wasm';

/** Tests run on TEST_BACKEND; it loads as named or the hook fails (useBackend never substitutes another). */
export async function setupBackend(): Promise<string> {
  return useBackend(TEST_BACKEND);
}

export const REPO = PACKAGE_ROOT;

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, {recursive: true, force: true});
});

/** A fresh temporary directory, removed when the test process exits: the suite leaves nothing behind. */
export function tempDir(prefix = 'normbench-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', name), 'utf8')) as T;
}

/** Largest absolute difference between two tensors or nested arrays. */
export function maxAbsDiff(a: tf.Tensor | number[] | number[][], b: tf.Tensor | number[] | number[][]): number {
  const av = a instanceof tf.Tensor ? Array.from(a.dataSync()) : (a as number[]).flat(2);
  const bv = b instanceof tf.Tensor ? Array.from(b.dataSync()) : (b as number[]).flat(2);
  if (av.length !== bv.length) return Infinity;
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i]! - bv[i]!));
  return m;
}

export function assertClose(
  t: ExecutionContext,
  actual: tf.Tensor | number[] | number[][],
  expected: tf.Tensor | number[] | number[][],
  tol: number,
  what: string,
  /** Scale the tolerance by |expected| above 1 (float32 sums of values of several units). */
  relativeAboveOne = false,
): void {
  if (!relativeAboveOne) {
    const d = maxAbsDiff(actual, expected);
    t.true(d <= tol, `${what}: max |Δ| = ${d.toExponential(3)} > ${tol}`);
    return;
  }
  const av = actual instanceof tf.Tensor ? Array.from(actual.dataSync()) : (actual as number[]).flat(2);
  const bv = expected instanceof tf.Tensor ? Array.from(expected.dataSync()) : (expected as number[]).flat(2);
  const worst = av.length !== bv.length ? Infinity : Math.max(0, ...av.map((a, i) => Math.abs(a - bv[i]!) / Math.max(1, Math.abs(bv[i]!))));
  t.true(worst <= tol, `${what}: max |Δ|/max(1, |ref|) = ${worst.toExponential(3)} > ${tol}`);
}

export const BIN = join(PACKAGE_ROOT, 'bin', 'run.js');

export type Row = Record<string, string>;

/** A results CSV as rows keyed by column. */
export const readCsv = (file: string): Row[] => parse(readFileSync(file, 'utf8'), {columns: true}) as Row[];

/** The rows without their timing columns: what must be identical between two runs. */
export const untimed = (rows: Row[]): Row[] => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !isTimingColumn(k))));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real CLI (bin/run.js) in `cwd`, with no full data set in reach unless given. */
export function cli(args: string[], cwd: string, options: {uid?: number; timeout?: number; env?: Record<string, string>} = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd, encoding: 'utf8', env: {...process.env, NORMBENCH_DATA: '', ...options.env}, timeout: options.timeout ?? 120_000,
    ...(options.uid === undefined ? {} : {uid: options.uid, gid: options.uid}),
  });
  return {code: r.status, stdout: r.stdout, stderr: r.stderr};
}

let oclifConfig: import('@oclif/core').Config | undefined;

/**
 * The CLI without a new process: `normbench <args>` run by oclif in this process, in `cwd` — the
 * same command lookup, flag parsing, command code and error printing (`error: …`, exit 2) as
 * bin/run.js, with stdout and stderr captured and the exit code it would exit with. It saves the
 * second or so a new process spends loading tfjs, for the many calls that check what a command
 * prints. `cli` stays for what needs a real process: the binary itself, signals, hangs, another
 * user; every command keeps such tests. One call at a time (the tests of a file run one after
 * another, test/ava.ts): for the duration of the call it changes the working directory,
 * process.argv (recorded in manifests as the command line), the environment variables given, and
 * stdout and stderr. A `run` in process also sets this process's tfjs backend: not in files that
 * compute with tensors on the test backend.
 */
export async function cliInProcess(args: string[], cwd: string, options: {env?: Record<string, string>} = {}): Promise<CliResult> {
  const {Config, run, settings} = await import('@oclif/core');
  // As bin/run.js: the compiled commands, whatever NODE_ENV says (ava sets it to "test").
  settings.enableAutoTranspile = false;
  oclifConfig ??= await Config.load(PACKAGE_ROOT);
  const env: Record<string, string> = {NORMBENCH_DATA: '', ...options.env};
  const saved = {
    cwd: process.cwd(), argv: process.argv, exitCode: process.exitCode,
    env: Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]])),
    stdout: process.stdout.write, stderr: process.stderr.write,
  };
  let stdout = '';
  let stderr = '';
  const capture = (append: (text: string) => void) => ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    process.chdir(cwd);
    process.argv = [process.execPath, BIN, ...args];
    process.exitCode = undefined;
    Object.assign(process.env, env);
    process.stdout.write = capture((text) => (stdout += text));
    process.stderr.write = capture((text) => (stderr += text));
    await run(args, oclifConfig);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    const e = error as Error & {code?: string; oclif?: {exit?: number}; render?: () => string};
    // this.exit(n): bad input, its message already printed. Anything else is printed as oclif's
    // handler prints it (its own errors rendered, others with their stack), and exits 1 unless
    // it says otherwise.
    if (e.code !== 'EEXIT') stderr += `${e.oclif && e.render ? e.render() : (e.stack ?? String(e))}\n`;
    code = Number(e.oclif?.exit ?? process.exitCode ?? 1);
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    for (const [k, v] of Object.entries(saved.env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.exitCode = saved.exitCode;
    process.argv = saved.argv;
    process.chdir(saved.cwd);
  }
  return {code, stdout, stderr};
}

// Processes of the CLI under test: started with a mark in their environment, so that a test can
// find the CLI and the workers it forked, signal them, and wait for them.

/** Processes whose environment carries `mark` (the CLI and the workers it forked). */
export function marked(mark: string): Array<{pid: number; worker: boolean}> {
  const found: Array<{pid: number; worker: boolean}> = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`NORMBENCH_TEST_MARK=${mark}`)) continue;
      found.push({pid: Number(pid), worker: readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker.js')});
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILL one of the worker processes of the marked CLI. */
export function killWorker(mark: string): void {
  process.kill(marked(mark).find((p) => p.worker)!.pid, 'SIGKILL');
}

/** Poll `check` every 20 ms until it holds; throws after `ms`. */
export async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await wait(20);
  }
}

/** Start the CLI in the background, marked; `done` gives its exit code once its output is all read. */
export function start(args: string[], cwd: string, mark: string) {
  const child = spawn(process.execPath, [BIN, ...args], {cwd, env: {...process.env, NORMBENCH_TEST_MARK: mark}, stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {child, done, stderr: () => stderr};
}

/** Runs committed in a results directory (0 while it has no manifest). */
export function committedRuns(dir: string): number {
  try {
    return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {runs: unknown[]}).runs.length;
  } catch {
    return 0;
  }
}

/**
 * Start the CLI and SIGKILL it once `ready` holds, then `delay` ms later — mid-run or mid-write,
 * wherever it happens to be. Resolves when it is gone.
 */
export function killWhen(args: string[], cwd: string, ready: () => boolean, delay: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd, stdio: 'ignore'});
    const poll = setInterval(() => {
      if (!ready()) return;
      clearInterval(poll);
      setTimeout(() => child.kill('SIGKILL'), delay);
    }, 5);
    child.on('exit', () => {
      clearInterval(poll);
      resolve();
    });
  });
}

/** Run an experiment whole, on cpu in one process, into `<cwd>/full`: what every other way of running it must equal. */
export function runWhole(cwd: string, file: string): string {
  const r = cli(['run', file, '--out', 'full', '--quiet', '--backend', 'cpu', '--workers', '1'], cwd);
  if (r.code !== 0) throw new Error(`the uninterrupted run failed (exit ${r.code}):\n${r.stderr}`);
  return join(cwd, 'full');
}

/** A YAML file with its commented-out examples (`# key: value` lines, at any indent) put back. */
export const uncommentExamples = (text: string): string => text.replace(/^(\s*)# ( *[a-z_.]+:(\s|$))/gm, '$1$2');

/** A tuned experiment small enough for end-to-end tests: two norms × two seeds, lr tuned by halving on a validation split. */
export const TUNED = `name: tuned
question: Does each norm get its own learning rate, and is the result the same however it is run?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 300, test_size: 90, separation: 3, seed: 5, validation: 0.2}
model: {kind: mlp, hidden: [8]}
train: {optimizer: sgd, lr: 0.1, batch_size: 16, steps: 90, eval_every: 30}
grid:
  norm: [none, batch]
  seed: [1, 2]
tune:
  train.lr: {log_range: [0.01, 1], points: 5}
  metric: val_loss_auc
  seeds: [101]
  schedule: halving
`;

/** The message of the UserError `fn` throws (anything else thrown is a failure). */
export function userErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
  throw new Error('expected a UserError');
}

/** An .npy file (format 1.0) of `data`'s bytes, with the header NumPy writes for this descr and shape. */
export function encodeNpy(descr: string, shape: number[], data: ArrayBufferView, fortran = false): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${dims}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
