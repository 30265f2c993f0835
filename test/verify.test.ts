// verify, the CI gate: copies of a real results directory with known edits, through the CLI (the
// reference run and the first verify in a process of their own; the rerun it is compared with and
// the other calls in this process, helpers' cliInProcess).
//
// backend-independent: its CLI runs name their backend (cpu); verify reads results files.

import {cpSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {cli, cliInProcess as nb, tempDir} from './helpers.js';

const EXPERIMENT = `name: gate
question: Does a rerun reproduce the reference?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8]}
train: {optimizer: sgd, lr: 0.2, batch_size: 12, steps: 40, eval_every: 20}
grid:
  norm: [none, batch]
verify:
  metrics:
    train_loss_auc: {rtol: 0.01}
`;

let base: string;

test.before(async () => {
  base = tempDir('normbench-verify-');
  writeFileSync(join(base, 'gate.yaml'), EXPERIMENT);
  // One process each (--workers 1): the files are the same with any number of workers
  // (test/workers.test.ts), without starting worker processes for two tiny runs.
  const r = cli(['run', 'gate.yaml', '--out', 'ref', '--quiet', '--backend', 'cpu', '--workers', '1'], base);
  if (r.code !== 0) throw new Error(r.stderr);
  const again = await nb(['run', 'gate.yaml', '--out', 'now', '--quiet', '--backend', 'cpu', '--workers', '1'], base);
  if (again.code !== 0) throw new Error(again.stderr);
});

/** A copy of the rerun with `edit` applied to one file; the manifest's committed lengths follow. */
function copyWith(name: string, file: 'summary.csv' | 'curves.csv' | 'manifest.json', edit: (text: string) => string): string {
  const dir = join(base, name);
  cpSync(join(base, 'now'), dir, {recursive: true});
  const path = join(dir, file);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  if (file !== 'manifest.json') {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    m.files[file === 'summary.csv' ? 'summary' : 'curves'] = Buffer.byteLength(readFileSync(path));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  }
  return name;
}

/** Replace the value of `column` in the summary row of `norm`. */
function setCell(text: string, norm: string, column: string, value: (old: string) => string): string {
  const [header, ...rows] = text.trimEnd().split('\n');
  const c = header!.split(',').indexOf(column);
  return `${[header, ...rows.map((row) => {
    const cells = row.split(',');
    if (cells[1] === norm) cells[c] = value(cells[c]!);
    return cells.join(',');
  })].join('\n')}\n`;
}

test('a rerun with the same backend verifies exactly, summary and curves; timing columns differ and are never compared', async (t) => {
  const r = cli(['verify', 'now', '--reference', 'ref', '--curves'], base);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /^verify now\n {2}against ref\n {2}experiment gate · config \w+ \(same as the reference\)\n {2}backend cpu \(reference cpu\)/);
  t.regex(r.stdout, /\nOK: 2 runs, \d+ values within tolerance \(rtol 0\.0001, atol 0\.000001\)\.$/m);
  const json = JSON.parse((await nb(['verify', 'now', '--reference', 'ref', '--json'], base)).stdout);
  t.true(json.ok);
  t.deepEqual(json.drift, []);
  t.is(json.values_compared, 2 * 8, 'per run: status, steps, final_test_loss, final_test_accuracy, best_test_accuracy, best_step, train_loss_auc, params');
});

test('drift beyond tolerance: a table of run, metric, reference, now, difference, allowed; exit 1', async (t) => {
  const dir = copyWith('drift', 'summary.csv', (text) =>
    setCell(setCell(text, 'batch', 'final_test_accuracy', () => '0.100000'), 'none', 'train_loss_auc', (old) => (Number(old) * 1.005).toPrecision(7)));
  const r = await nb(['verify', dir, '--reference', 'ref'], base);
  t.is(r.code, 1, r.stdout);
  t.regex(r.stdout, /run +metric +step +reference +now +difference +allowed/);
  t.regex(r.stdout, /batch · relu · seed 1 +final_test_accuracy +0\.\d{6} +0\.100000 +-?\d\.\d+(e-\d+)? +\d\.\d+e-\d+/);
  t.false(r.stdout.includes('train_loss_auc'), 'a 0.5 % change is within the experiment\'s per-metric rtol of 1 %');
  t.regex(r.stdout, /FAILED: 1 value outside tolerance in 1 run \(rtol 0\.0001, atol 0\.000001\)\.$/m);
  // --atol given on the command line applies to every metric.
  t.is((await nb(['verify', dir, '--reference', 'ref', '--atol', '1'], base)).code, 0);
  t.is((await nb(['verify', dir, '--reference', 'ref', '--metric', 'best_test_accuracy'], base)).code, 0, 'only the chosen metric is compared');
});

test('a changed status, missing and extra runs, a different experiment and incomplete results all fail the gate', async (t) => {
  const diverged = copyWith('status', 'summary.csv', (text) => setCell(text, 'none', 'status', () => 'diverged'));
  t.regex((await nb(['verify', diverged, '--reference', 'ref'], base)).stdout, /none · relu · seed 1 +status +ok +diverged/);

  const missing = copyWith('missing', 'manifest.json', (text) => {
    const m = JSON.parse(text);
    m.state = 'interrupted';
    return JSON.stringify(m);
  });
  const r = await nb(['verify', missing, '--reference', 'ref', '--json'], base);
  t.is(r.code, 1);
  t.like(JSON.parse(r.stdout), {ok: false, state: {now: 'interrupted', reference: 'complete'}});

  writeFileSync(join(base, 'other.yaml'), EXPERIMENT.replace('lr: 0.2', 'lr: 0.3'));
  t.is((await nb(['run', 'other.yaml', '--out', 'other', '--quiet', '--backend', 'cpu', '--workers', '1'], base)).code, 0);
  const other = await nb(['verify', 'other', '--reference', 'ref'], base);
  t.is(other.code, 1);
  t.regex(other.stdout, /the experiments differ in: train\.lr\n {4}train\.lr: 0\.2 \(reference\) → 0\.3\n {2}missing run \w+ \(none · relu · seed 1\)\n {2}missing run \w+ \(batch · relu · seed 1\)\n {2}extra run/);
  t.regex(other.stdout, /FAILED: a different experiment; 2 runs missing; 2 extra runs\.$/m);
});

test('bad input is exit 2: not a results directory, a corrupt CSV, an incompatible format, a bad flag, the same directory twice', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['verify', 'now', '--reference', '.'], /is not a normbench results directory \(it has no manifest\.json\)/],
    [['verify', 'nowhere', '--reference', 'ref'], /nowhere: no such directory/],
    [['verify', copyWith('corrupt', 'summary.csv', (text) => text.replace(/\n([^\n]*)\n$/, '\n$1,extra"cell\n')), '--reference', 'ref'], /corrupt\/summary\.csv:3: is not valid CSV/],
    [['verify', copyWith('old', 'manifest.json', (text) => JSON.stringify({...JSON.parse(text), format: undefined})), '--reference', 'ref'], /was written in results format 1 .*this normbench reads format 2/],
    [['verify', copyWith('short', 'curves.csv', (text) => text), '--reference', 'ref', '--rtol', 'x'], /--rtol takes a number ≥ 0, got "x"/],
    [['verify', 'now', '--reference', 'now'], /the results and the reference are the same directory/],
    [['verify', 'now', '--reference', 'ref', '--metric', 'final_test_acuracy'], /--metric final_test_acuracy: no such metric — did you mean "final_test_accuracy"\?/],
  ];
  for (const [args, message] of cases) {
    const r = await nb(args, base);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    t.regex(r.stderr, message);
  }
});
