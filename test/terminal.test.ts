// What a person sees in a real terminal: the CLI runs inside a pseudo-terminal made by
// `script` (util-linux), which copies everything drawn to its stdout and passes what we type
// (Ctrl-C as the byte 0x03) to the terminal, whose driver turns it into SIGINT.
//
// backend-independent: its CLI runs name their backend (cpu).

import {spawn, spawnSync} from 'node:child_process';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {REPO, tempDir} from './helpers.js';
import {elide} from '../src/run/progress.js';

const BIN = join(REPO, 'bin', 'run.js');
const hasScript = spawnSync('script', ['--version'], {encoding: 'utf8'}).status === 0;
const ptyTest = hasScript ? test : test.skip;

const GRID = `name: long
question: How does the terminal look while a grid trains?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 240, test_size: 60}
model: {kind: mlp, hidden: [16, 16]}
train: {optimizer: sgd, lr: 0.1, batch_size: 12, steps: 2500, eval_every: 500}
grid:
  norm: [none, batch, layer]
`;

interface Session {
  output: () => string;
  type: (text: string) => void;
  done: Promise<number | null>;
  started: number;
  /** Milliseconds from start at which each chunk of output arrived. */
  chunks: Array<{at: number; text: string}>;
}

/** Run the CLI in a pseudo-terminal of 120 columns. */
function inTerminal(args: string[], cwd: string): Session {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-q', '-f', '-e', '-c', `stty cols 120 rows 30; exec ${command}`, '/dev/null'], {
    cwd, env: {...process.env, NORMBENCH_DATA: '', TERM: 'xterm'}, stdio: ['pipe', 'pipe', 'pipe'],
  });
  const started = Date.now();
  const chunks: Session['chunks'] = [];
  child.stdout.on('data', (b: Buffer) => chunks.push({at: Date.now() - started, text: b.toString('utf8')}));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {output: () => chunks.map((c) => c.text).join(''), type: (text) => child.stdin.write(text), done, started, chunks};
}

async function until(session: Session, pattern: RegExp, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(session.output())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${session.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The terminal is restored: after the last time the cursor was hidden and wrapping turned off, both came back. */
function restored(output: string): {cursor: boolean; wrap: boolean} {
  return {
    cursor: output.lastIndexOf('\x1b[?25h') > output.lastIndexOf('\x1b[?25l'),
    wrap: output.lastIndexOf('\x1b[?7h') > output.lastIndexOf('\x1b[?7l'),
  };
}

function workdir(): string {
  const dir = tempDir('normbench-tty-');
  writeFileSync(join(dir, 'long.yaml'), GRID);
  return dir;
}

ptyTest('progress bars move while a run trains, at most ~10 frames a second, with steps/s and ETAs for the run and the grid', async (t) => {
  const dir = workdir();
  const s = inTerminal(['run', 'long.yaml', '--out', 'o', '--backend', 'cpu', '--set', 'grid.norm=[none]', '--set', 'train.steps=1500'], dir);
  const code = await s.done;
  t.is(code, 0, s.output().slice(-1500));
  const out = s.output();
  // Frames of the run bar drawn before the run ended: distinct, increasing step counts.
  const beforeEnd = out.slice(0, out.indexOf('ok · test acc'));
  const steps = [...beforeEnd.matchAll(/ run \s*\|[^|]*\| (\d+)\/1500 steps · (\d+) steps\/s · eta (\S+)/g)].map((m) => Number(m[1]));
  t.true(steps.length >= 5, `only ${steps.length} frames during the run`);
  t.true(new Set(steps).size >= 5, `frames: ${steps.join(', ')}`);
  t.true(steps.every((x, i) => i === 0 || x >= steps[i - 1]!), 'step counts only grow');
  t.true(steps.some((x) => x > 0 && x < 1500), 'frames mid-run');
  t.regex(out, / grid \s*\|[^|]*\| 0\/1 runs · \d+ steps\/s · \S+ elapsed · eta \S+/);
  t.regex(out, /loss \d\.\d+ · test acc \d\.\d{4} \(step \d+\)/);
  // Bounded rate: frames per second of training stay near 10 (cli-progress's own timer may add a few).
  const seconds = (s.chunks.at(-1)!.at - s.chunks[0]!.at) / 1000;
  t.true(steps.length <= 15 * seconds + 5, `${steps.length} frames in ${seconds.toFixed(1)} s`);
  t.deepEqual(restored(out), {cursor: true, wrap: true});
});

ptyTest('Ctrl-C stops cleanly: finished runs kept, the manifest says interrupted, how to continue, exit 130, terminal restored', async (t) => {
  const dir = workdir();
  const s = inTerminal(['run', 'long.yaml', '--out', 'o', '--backend', 'cpu', '--workers', '1'], dir);
  await until(s, /ok · test acc/);
  await until(s, /\[2\/3\]/);
  s.type('\x03');
  const code = await s.done;
  const out = s.output();
  t.is(code, 130, out.slice(-1500));
  t.regex(out, /interrupted \(SIGINT\): kept 1 finished run of 3 in \S+\/o\. The run in progress was dropped\./);
  t.regex(out, /Continue with the same command — it resumes where this one stopped:\r?\n {2}node \S*run\.js run long\.yaml --out o --backend cpu --workers 1/);
  t.deepEqual(restored(out), {cursor: true, wrap: true});
  const manifest = JSON.parse(readFileSync(join(dir, 'o', 'manifest.json'), 'utf8'));
  t.is(manifest.state, 'interrupted');
  t.is(manifest.runs.length, 1);
  t.is(readFileSync(join(dir, 'o', 'summary.csv'), 'utf8').trim().split('\n').length, 2, 'header and one run');
});

ptyTest('SIGTERM stops cleanly too (exit 143); an error mid-grid also gives the terminal back', async (t) => {
  const dir = workdir();
  const s = inTerminal(['run', 'long.yaml', '--out', 'o', '--backend', 'cpu', '--workers', '1'], dir);
  await until(s, /\[1\/3\]/);
  const pid = Number(readFileSync(join(dir, 'o', '.normbench.lock'), 'utf8').split(' ')[0]);
  process.kill(pid, 'SIGTERM');
  t.is(await s.done, 143, s.output().slice(-1500));
  t.regex(s.output(), /interrupted \(SIGTERM\): kept 0 finished runs of 3/);
  t.deepEqual(restored(s.output()), {cursor: true, wrap: true});
  t.is(JSON.parse(readFileSync(join(dir, 'o', 'manifest.json'), 'utf8')).state, 'interrupted');

  // The results directory vanishes under a running grid: the commit fails, the process exits with the error.
  const e = inTerminal(['run', 'long.yaml', '--out', 'gone', '--backend', 'cpu', '--workers', '1'], dir);
  await until(e, /\[1\/3\]/);
  rmSync(join(dir, 'gone'), {recursive: true, force: true});
  const code = await e.done;
  t.not(code, 0);
  t.regex(e.output(), /ENOENT/);
  t.deepEqual(restored(e.output()), {cursor: true, wrap: true});
});

test('a line wider than the terminal loses its middle to "…", keeping which run it is and its id and steps', (t) => {
  const line = '[37/72] batch · relu · seed 101 · train.batch_size=64 · train.steps=1563 · train.eval_every=62 · model.dropout=0 · train.lr=0.01 · rung=1 (f3683f2a005d): 521 steps';
  const fitted = elide(line, 120);
  t.is([...fitted].length, 120);
  t.true(fitted.startsWith('[37/72] batch · relu · seed 101 · train.batch_size=64'), fitted);
  t.true(fitted.endsWith('rung=1 (f3683f2a005d): 521 steps'), fitted);
  t.regex(fitted, /…/);
  t.is(elide('short line', 120), 'short line');
  t.is(elide(line, undefined), line, 'not a terminal: left whole');
});

ptyTest('in a narrow terminal, the lines above the bars are fitted to its width, not piled into its last column', async (t) => {
  const dir = workdir();
  writeFileSync(join(dir, 'wide.yaml'), GRID.replace('norm: [none, batch, layer]', 'norm: [none]\n  model.hidden: [[16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16]]').replace('steps: 2500', 'steps: 200'));
  const s = inTerminal(['run', 'wide.yaml', '--out', 'o', '--backend', 'cpu'], dir);
  const code = await s.done;
  t.is(code, 0, s.output().slice(-1500));
  const start = /\[1\/1\] [^\n]*\): 200 steps/.exec(s.output());
  t.truthy(start, s.output().slice(0, 2000));
  t.regex(start![0], /…/, 'elided');
  t.true(start![0].length <= 120, `${start![0].length} columns: ${start![0]}`);
});
