// verify, the CI gate: copies of a real results directory with known edits, through the CLI (the
// reference run and the first verify in a process of their own; the rerun it is compared with and
// the other calls in this process, helpers' cliInProcess).
//
// backend-independent: its CLI runs name their backend (cpu); verify reads results files.

import {cpSync, readFileSync, truncateSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {toleranceFor} from '../src/results/verify.js';
import {cli, cliInProcess as nb, readCsv, REPO, tempDir, untimed} from './helpers.js';

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
  t.regex(r.stdout, /\nOK: 2 runs, \d+ values within tolerance \(rtol 0\.0001 \[default\], atol 0\.000001 \[default\]; train_loss_auc: rtol 0\.01 \[verify\.metrics\]\)\.$/m);
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
  t.false(/seed 1 +train_loss_auc/.test(r.stdout), 'a 0.5 % change is within the experiment\'s per-metric rtol of 1 %');
  t.regex(r.stdout, /FAILED: 1 value outside tolerance in 1 run \(rtol 0\.0001 \[default\], atol 0\.000001 \[default\]; train_loss_auc: rtol 0\.01 \[verify\.metrics\]\)\.$/m);
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

test('the tolerances applied: each metric\'s rtol and atol from the flag, its verify.metrics entry, the verify block, or the default', async (t) => {
  // rtol and atol are decided one at a time: --atol alone leaves train_loss_auc its own rtol.
  const atol = await nb(['verify', 'now', '--reference', 'ref', '--atol', '0.5'], base);
  t.regex(atol.stdout, /^OK: 2 runs, 16 values within tolerance \(rtol 0\.0001 \[default\], atol 0\.5 \[--atol\]; train_loss_auc: rtol 0\.01 \[verify\.metrics\]\)\.$/m);
  const rtol = await nb(['verify', 'now', '--reference', 'ref', '--rtol', '1e-3'], base);
  t.regex(rtol.stdout, /^OK: 2 runs, 16 values within tolerance \(rtol 0\.001 \[--rtol\], atol 0\.000001 \[default\]\)\.$/m, '--rtol overrides the metric\'s own');

  const json = JSON.parse((await nb(['verify', 'now', '--reference', 'ref', '--json'], base)).stdout);
  t.deepEqual(json.tolerance.per_metric.train_loss_auc, {rtol: 0.01, atol: 1e-6, from: {rtol: 'verify.metrics.train_loss_auc.rtol', atol: 'default'}});
  t.deepEqual(json.tolerance.per_metric.final_test_accuracy, {rtol: 1e-4, atol: 1e-6, from: {rtol: 'default', atol: 'default'}});
  t.deepEqual(Object.keys(json.tolerance.per_metric), ['steps', 'final_test_loss', 'final_test_accuracy', 'best_test_accuracy', 'best_step', 'train_loss_auc', 'params'], 'every compared metric, status (exact) aside');
  t.like(json.tolerance, {rtol: 1e-4, atol: 1e-6, from: {rtol: 'default', atol: 'default'}});
  const curves = JSON.parse((await nb(['verify', 'now', '--reference', 'ref', '--json', '--curves', '--metric', 'test_loss'], base)).stdout);
  t.deepEqual(Object.keys(curves.tolerance.per_metric), ['test_loss'], 'with --curves and --metric: the metrics compared');

  // The checked results' verify: block decides (not the reference's); a changed block is not a different experiment.
  t.is((await nb(['run', 'gate.yaml', '--out', 'loose', '--quiet', '--backend', 'cpu', '--workers', '1', '--set', 'verify.rtol=0.001'], base)).code, 0);
  const loose = await nb(['verify', 'loose', '--reference', 'ref'], base);
  t.is(loose.code, 0, loose.stdout);
  t.regex(loose.stdout, /^OK: 2 runs, 16 values within tolerance \(rtol 0\.001 \[verify\.rtol\], atol 0\.000001 \[default\]; train_loss_auc: rtol 0\.01 \[verify\.metrics\]\)\.$/m);

  // The verify block's own defaults come between the metric's and the built-in ones.
  const spec = {rtol: 1e-3, metrics: {train_loss_auc: {atol: 0.5}}};
  t.deepEqual(toleranceFor('train_loss_auc', spec), {rtol: 1e-3, atol: 0.5, from: {rtol: 'verify.rtol', atol: 'verify.metrics.train_loss_auc.atol'}});
  t.deepEqual(toleranceFor('steps', spec, {atol: 0}), {rtol: 1e-3, atol: 0, from: {rtol: 'verify.rtol', atol: '--atol'}});

  // The help names no default that would not apply.
  const help = await nb(['verify', '--help'], base);
  t.false(/\[default: 0\.0001\]/.test(help.stdout), help.stdout);
  t.regex(help.stdout, /--rtol=<value> +\[default: the YAML’s verify:, else 0\.0001\]/);
  t.regex(help.stdout, /Tolerances, rtol and atol each on its own: --rtol\/--atol when given/);
});

/** A copy of the reference with its CSVs changed as `edit` says, the manifest left as normbench wrote it. */
function changedReference(name: string, edit: Partial<Record<'curves.csv' | 'summary.csv', (text: string) => string>>): string {
  const dir = join(base, name);
  cpSync(join(base, 'ref'), dir, {recursive: true});
  for (const [file, change] of Object.entries(edit)) writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));
  return name;
}

const crlf = (text: string) => text.replaceAll('\n', '\r\n');

test('a reference changed outside normbench: CRLF line endings verify, with a note; a file grown, cut or rewritten is named as such', async (t) => {
  // git's core.autocrlf on a Windows runner: every line ends in CRLF. Read as LF, it is what normbench wrote.
  const windows = changedReference('crlf', {'curves.csv': crlf, 'summary.csv': crlf});
  const r = await nb(['verify', 'now', '--reference', windows, '--curves'], base);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /^ {2}note: crlf\/curves\.csv has CRLF line endings \(a git checkout with core\.autocrlf\?\); read as LF, as normbench wrote it: \d+ bytes, the length the manifest committed$/m);
  t.regex(r.stdout, /^ {2}note: crlf\/summary\.csv has CRLF line endings/m);
  t.regex(r.stdout, /^OK: 2 runs, \d+ values within tolerance/m);
  t.is(JSON.parse((await nb(['verify', 'now', '--reference', windows, '--json'], base)).stdout).notes.length, 2);

  // Bytes after the committed length of complete results: no crash leaves them; ignored (the contract), and said.
  const appended = changedReference('appended', {'summary.csv': (text) => `${text}an,extra,line\n`});
  const a = await nb(['verify', 'now', '--reference', appended], base);
  t.is(a.code, 0, a.stdout + a.stderr);
  t.regex(a.stdout, /note: appended\/summary\.csv has 14 bytes after the \d+ the manifest committed, in complete results: not written by normbench/);

  const cases: Array<[string, RegExp]> = [
    // Cut short.
    [changedReference('truncated', {'curves.csv': (text) => text.slice(0, -10)}),
      /truncated\/curves\.csv: is (\d+) bytes long, 10 bytes shorter than the manifest records \(\d+\): it was cut short or changed outside normbench/],
    // A tool rewrote it, one byte longer: no row ends where the manifest's length does.
    [changedReference('rewritten', {'summary.csv': (text) => text.replace(',ok,', ',ok ,')}),
      /rewritten\/summary\.csv: changed outside normbench: no line ends at the \d+ bytes the manifest committed; the file is 1 byte longer than the manifest records, so what comes before them is not what normbench wrote/],
    // CRLF and a rewritten cell: the CRLF is read past, the rest is named.
    [changedReference('crlf-rewritten', {'summary.csv': (text) => crlf(text.replace(',ok,', ',ok ,'))}),
      /crlf-rewritten\/summary\.csv: changed outside normbench: no line ends at the \d+ bytes the manifest committed; the file is 1 byte longer than the manifest records with its CRLF line endings read as LF \(\d+ bytes on disk\)/],
    // Same length, not CSV: a field's comma where a decimal point was.
    [changedReference('not-csv', {'summary.csv': (text) => text.replace(/\n([^\n]*)\.([^\n]*\n)$/, '\n$1,$2')}),
      /not-csv\/summary\.csv:3: is not valid CSV: line 3 has \d+ fields, the header \d+, in the \d+ bytes the manifest committed: not what normbench wrote, so the file was changed outside normbench\. Restore it/],
  ];
  for (const [dir, message] of cases) {
    const v = await nb(['verify', 'now', '--reference', dir], base);
    t.is(v.code, 2, `${dir}: ${v.stdout}${v.stderr}`);
    t.regex(v.stderr, message);
  }
});

test('resuming into results with CRLF line endings rewrites them in LF first, and ends as an uninterrupted run', async (t) => {
  // An interrupted copy of the rerun: the second run (batch) not committed, its rows left after
  // the committed lengths (as a kill leaves them); then every line turned into CRLF.
  const dir = join(base, 'resume-crlf');
  cpSync(join(base, 'now'), dir, {recursive: true});
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const dropped = m.runs.pop().run_id as string;
  for (const [name, file] of [['curves', 'curves.csv'], ['summary', 'summary.csv']] as const) {
    const text = readFileSync(join(dir, file), 'utf8');
    m.files[name] = Buffer.byteLength(text.slice(0, text.indexOf(`\n${dropped},`) + 1));
    writeFileSync(join(dir, file), crlf(text));
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({...m, state: 'interrupted'}));
  truncateSync(join(dir, 'summary.csv'), readFileSync(join(dir, 'summary.csv')).length - 5);

  const r = await nb(['run', 'gate.yaml', '--out', 'resume-crlf', '--backend', 'cpu', '--workers', '1'], base);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /note: curves\.csv, summary\.csv in \S+resume-crlf had CRLF line endings \(a git checkout with core\.autocrlf\?\): rewritten with LF, as normbench writes them, before appending/);
  for (const file of ['curves.csv', 'summary.csv']) {
    t.false(readFileSync(join(dir, file), 'utf8').includes('\r'), `${file}: LF only`);
    t.deepEqual(untimed(readCsv(join(dir, file))), untimed(readCsv(join(base, 'now', file))), file);
  }
  const v = await nb(['verify', 'resume-crlf', '--reference', 'ref', '--curves'], base);
  t.is(v.code, 0, v.stdout);
  t.false(v.stdout.includes('note:'));
});

test('the line that keeps a reference\'s bytes from git\'s line-ending conversion: in .gitattributes, the CI-gate example and the README', (t) => {
  const line = 'results/reference/** -text';
  for (const file of ['.gitattributes', 'examples/github-actions/reproducibility-gate.yml', 'README.md']) {
    t.true(readFileSync(join(REPO, file), 'utf8').split('\n').some((l) => l.replace(/^[#\s]+/, '') === line), `${file} has "${line}"`);
  }
});
