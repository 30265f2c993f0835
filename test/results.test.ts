// The results directory over its life: append-only writes, kill -9 at any moment, resume,
// the rerun rules, shards and merge, provenance — all through the CLI: the real binary for the
// runs that are killed, the first run of each test and the provenance it records; the same
// commands in this process (helpers' cliInProcess) for the reruns, refusals, shards and merges.
//
// backend-independent: its CLI runs name their backend (cpu, wasm).

import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {parse} from 'csv-parse/sync';
import {BIN, cli, cliInProcess as nb, committedRuns, killWhen, readCsv, runWhole, tempDir, untimed} from './helpers.js';

const GRID = `name: grid
question: Do resumed, sharded and merged grids give the same results?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8, 8]}
train: {optimizer: sgd, lr: 0.2, batch_size: 12, steps: 150, eval_every: 50}
grid:
  norm: [none, batch, layer]
  activation: [relu, tanh]
targets: {test_accuracy: 0.6}
`;
const POINTS = 4; // steps 0, 50, 100, 150

function workdir(): string {
  const dir = tempDir('normbench-results-');
  writeFileSync(join(dir, 'grid.yaml'), GRID);
  return dir;
}

/** The grid run whole, on cpu in one process: what every other way of running it must equal. */
let full: string;

test.before(() => {
  full = runWhole(workdir(), 'grid.yaml');
});

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

function sameResults(t: import('ava').ExecutionContext, a: string, b: string): void {
  for (const file of ['curves.csv', 'summary.csv']) {
    t.deepEqual(untimed(readCsv(join(a, file))), untimed(readCsv(join(b, file))), `${file}: ${a} vs ${b}`);
  }
}


/** Files as left: whole CSV, and each run's curve rows all there, together. */
function wholeRuns(t: import('ava').ExecutionContext, dir: string, when: string): number {
  if (!existsSync(join(dir, 'manifest.json'))) return 0;
  const curves = readCsv(join(dir, 'curves.csv'));
  const summary = readCsv(join(dir, 'summary.csv'));
  const ids = curves.map((r) => r.run_id!);
  const runs = [...new Set(ids)];
  for (const id of runs) {
    const first = ids.indexOf(id);
    t.deepEqual(ids.slice(first, first + POINTS), Array(POINTS).fill(id), `${when}: run ${id} is whole and together`);
    t.is(ids.filter((x) => x === id).length, POINTS, `${when}: run ${id} once`);
  }
  t.true(summary.every((r) => runs.includes(r.run_id!)), `${when}: every summary row has its curves`);
  const committed = manifestOf(dir).runs.map((r: {run_id: string}) => r.run_id);
  t.true(committed.every((id: string) => runs.includes(id)), `${when}: every committed run is in the files`);
  return committed.length;
}

test('kill -9 at any moment leaves whole runs; resuming ends identical to an uninterrupted run', async (t) => {
  const dir = workdir();
  // Two worker processes: runs reach the files in the order they finish, not in grid order.
  const args = ['run', 'grid.yaml', '--out', 'killed', '--quiet', '--backend', 'cpu', '--workers', '2'];
  const out = join(dir, 'killed');
  const seen: number[] = [];
  // While it starts; just after the first commit; a little after the third; mid-run of a later one.
  for (const [atLeast, delay] of [[0, 300], [1, 0], [3, 40], [4, 120]] as const) {
    await killWhen(args, dir, () => committedRuns(out) >= atLeast, delay);
    seen.push(wholeRuns(t, out, `killed after ${atLeast} runs + ${delay} ms`));
  }
  t.true(seen.some((n) => n > 0 && n < 6), `committed runs after each kill: ${seen.join(', ')}`);
  if (seen.at(-1)! < 6) t.is(manifestOf(out).state, 'running', 'a killed process leaves the state it had');
  const resumed = cli(args, dir);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stderr, /resumed: kept \d finished runs?, trained \d/);
  sameResults(t, join(dir, 'killed'), full);
  const m = manifestOf(join(dir, 'killed'));
  t.is(m.state, 'complete');
  t.true(m.sessions.length >= 2);
  t.is(m.sessions.reduce((n: number, s: {runs: number}) => n + s.runs, 0), 6, 'each run trained once over all sessions');
});

test('rerun rules: the same run resumes (and says so), anything else is refused with what differs, --force retrains', async (t) => {
  const dir = workdir();
  // One process (--workers 1): what is resumed or refused does not depend on the workers.
  const args = ['run', 'grid.yaml', '--out', 'o', '--quiet', '--backend', 'cpu', '--workers', '1'];
  t.is(cli(args, dir).code, 0);
  const curves = join(dir, 'o', 'curves.csv');
  const before = readFileSync(curves, 'utf8');

  const again = await nb(args, dir);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stderr, /all 6 runs were already in \S+ \(same experiment, normbench and backend\): nothing to train\. --force retrains them\./);
  t.regex(again.stdout, /final test accuracy %/, 'the table is printed from the files');
  t.is(readFileSync(curves, 'utf8'), before, 'nothing rewritten');

  const other = await nb([...args, '--set', 'train.lr=0.3'], dir);
  t.is(other.code, 2);
  t.regex(other.stderr, /holds results of another experiment: none of its 6 finished runs are in the new grid\. What changed:\n {4}train\.lr: 0\.2 → 0\.3\nUse --force to replace these results/);
  const backend = await nb(['run', 'grid.yaml', '--out', 'o', '--quiet', '--backend', 'wasm'], dir);
  t.is(backend.code, 2);
  t.regex(backend.stderr, /- the backend differs \(cpu → wasm\)\nUse --force to retrain every run, --resume --force to keep the finished runs anyway/);
  t.is(readFileSync(curves, 'utf8'), before, 'refusals leave the results alone');

  const forced = await nb([...args, '--set', 'train.lr=0.3', '--force'], dir);
  t.is(forced.code, 0, forced.stderr);
  t.is(manifestOf(join(dir, 'o')).config.train.lr, 0.3);

  const noResults = await nb(['run', 'grid.yaml', '--out', 'empty', '--resume', '--quiet'], dir);
  t.is(noResults.code, 2);
  t.regex(noResults.stderr, /--resume: \S+empty holds no results to resume/);
  mkdirSync(join(dir, 'foreign'));
  writeFileSync(join(dir, 'foreign', 'notes.txt'), 'mine');
  const foreign = await nb(['run', 'grid.yaml', '--out', 'foreign', '--quiet'], dir);
  t.is(foreign.code, 2);
  t.regex(foreign.stderr, /foreign is not empty and holds no normbench results \(no manifest\.json\); refusing to write into it/);
});

test('a failed run is redone on resume; finished runs are appended, the files are not rewritten', async (t) => {
  const dir = workdir();
  // The batch_size 24 cells fail (on purpose: a batch larger than the data is refused before training).
  const env = {NORMBENCH_FAIL_CELLS: 'train.batch_size=24'};
  const failing = ['run', 'grid.yaml', '--out', 'o', '--quiet', '--backend', 'cpu', '--set', 'grid.train.batch_size=[12, 24]', '--set', 'grid.norm=[none]'];
  const first = cli(failing, dir, {env});
  t.is(first.code, 1);
  const inode = statSync(join(dir, 'o', 'curves.csv')).ino;
  t.deepEqual(readCsv(join(dir, 'o', 'summary.csv')).map((r) => r.status), ['ok', 'failed', 'ok', 'failed']);
  t.is(inode, statSync(join(dir, 'o', 'curves.csv')).ino);
  // Same experiment: the two failed runs are trained again (and fail again); the two ok ones are kept.
  const again = await nb(failing, dir, {env});
  t.is(again.code, 1);
  t.regex(again.stderr, /resumed: kept 2 finished runs, trained 2/);
  t.deepEqual(readCsv(join(dir, 'o', 'summary.csv')).map((r) => `${r.activation}/${r['train.batch_size']}/${r.status}`),
    ['relu/12/ok', 'relu/24/failed', 'tanh/12/ok', 'tanh/24/failed'], 'grid order after the redo');
  const m = manifestOf(join(dir, 'o'));
  t.deepEqual(m.runs.map((r: {session: number}) => r.session), [0, 1, 0, 1], 'each run records the session that made it');
  // Progress numbers a run by its place in the grid, whatever is left to train: the redone runs
  // are cells 2 and 4 of 4, as they were the first time.
  const numbered = await nb(failing.filter((a) => a !== '--quiet').concat(['--workers', '1']), dir, {env});
  t.deepEqual([...numbered.stderr.matchAll(/^\[(\d)\/4\] none · (\w+) · seed 1 · train\.batch_size=(\d+) /gm)].map((x) => `${x[1]} ${x[2]} ${x[3]}`), ['2 relu 24', '4 tanh 24']);
});

test('shards run disjoint parts of the grid; merged, they equal the unsharded run, and verify agrees', async (t) => {
  const dir = workdir();
  for (const i of [1, 2, 3]) {
    const r = await nb(['run', 'grid.yaml', '--shard', `${i}/3`, '--quiet', '--backend', 'cpu', '--workers', '1'], dir);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(manifestOf(join(dir, 'results', `grid-shard-${i}-of-3`)).runs.map((r: {index: number}) => r.index), [i - 1, i + 2]);
  }
  const shards = [1, 2, 3].map((i) => join('results', `grid-shard-${i}-of-3`));
  const partial = await nb(['merge', shards[0]!, shards[2]!, '--out', 'partial'], dir);
  t.is(partial.code, 2);
  t.regex(partial.stderr, /2 of the grid's 6 runs are in none of the directories \(a shard missing, or not finished\):\n {2}- \w+ \(#1 none · tanh · seed 1\)\n {2}- \w+ \(#4 layer · relu · seed 1\)/);
  const twice = await nb(['merge', ...shards, shards[1]!, '--out', 'twice'], dir);
  t.is(twice.code, 2);
  t.regex(twice.stderr, /runs appear in more than one directory/);
  const merged = await nb(['merge', ...shards, '--out', 'merged'], dir);
  t.is(merged.code, 0, merged.stderr);
  sameResults(t, join(dir, 'merged'), full);
  t.is(manifestOf(join(dir, 'merged')).state, 'complete');
  const verify = await nb(['verify', 'merged', '--reference', full, '--curves'], dir);
  t.is(verify.code, 0, verify.stdout);
  t.regex(verify.stdout, /OK: 6 runs, \d+ values within tolerance/);
  const bad = await nb(['run', 'grid.yaml', '--shard', '3/2'], dir);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--shard takes I\/N with 1 ≤ I ≤ N \(e\.g\. --shard 1\/4\), got "3\/2"/);
});

test('the manifest records provenance: absolute experiment path, its repository state, normbench, command, host, per-run maker', (t) => {
  const dir = workdir();
  const git = (...args: string[]) => execFileSync('git', args, {cwd: dir, stdio: 'ignore'});
  git('init', '-q');
  git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'empty');
  const r = cli(['run', 'grid.yaml', '--out', 'o', '--quiet', '--backend', 'cpu', '--set', 'grid.norm=[none]', '--set', 'grid.activation=[relu]'], dir);
  t.is(r.code, 0, r.stderr);
  const m = manifestOf(join(dir, 'o'));
  t.is(m.experiment_file, join(dir, 'grid.yaml'));
  t.regex(m.experiment_repo.commit, /^[0-9a-f]{40}$/);
  t.true(m.experiment_repo.dirty, 'grid.yaml is not committed');
  t.is(m.normbench.version, JSON.parse(readFileSync(join(BIN, '..', '..', 'package.json'), 'utf8')).version);
  t.regex(m.normbench.build, /^[0-9a-f]{12}$/);
  t.deepEqual(m.command.slice(1), [BIN, 'run', 'grid.yaml', '--out', 'o', '--quiet', '--backend', 'cpu', '--set', 'grid.norm=[none]', '--set', 'grid.activation=[relu]']);
  t.is(m.cwd, dir);
  t.true(m.host.cores >= 1 && m.host.cpu.length > 0);
  t.like(m.runs[0], {normbench_version: m.normbench.version, backend: 'cpu', session: 0, status: 'ok'});
  t.deepEqual(m.files, {curves: statSync(join(dir, 'o', 'curves.csv')).size, summary: statSync(join(dir, 'o', 'summary.csv')).size});
});
