// Grid cells in worker processes (--workers N): the same files as one process, failures of a
// worker contained, and no worker left behind by Ctrl-C or by a parent killed with -9.
//
// backend-independent: its CLI runs name their backend (wasm).

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {parse} from 'csv-parse/sync';
import type {RunSpec} from '../src/spec/experiment.js';
import {estimatedCost, STEP_OVERHEAD_EXAMPLES} from '../src/run/cost.js';
import {cli, cliInProcess as nb, killWorker, marked, readCsv, start, tempDir, untimed, until, wait} from './helpers.js';

const GRID = `name: grid
question: Do worker processes give the same results?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8, 8]}
train: {optimizer: sgd, lr: 0.2, batch_size: 12, steps: 400, eval_every: 100}
grid:
  norm: [none, batch, layer]
  activation: [relu, tanh]
`;


/** How many runs a grid's plain progress says have started (lines `[n/6] norm · …`). */
const startedRuns = (stderr: string) => (stderr.match(/^\[\d\/6\] \w+ · /gm) ?? []).length;

test('--workers 2 writes exactly what --workers 1 writes (timing aside)', async (t) => {
  const dir = tempDir('normbench-workers-');
  writeFileSync(join(dir, 'g.yaml'), GRID);
  const one = await nb(['run', 'g.yaml', '--out', 'one', '--workers', '1', '--quiet', '--backend', 'wasm'], dir);
  const two = cli(['run', 'g.yaml', '--out', 'two', '--workers', '2', '--backend', 'wasm'], dir);
  t.is(one.code, 0, one.stderr);
  t.is(two.code, 0, two.stderr);
  t.regex(two.stderr, /normbench: 6 runs on backend wasm · 2 worker processes →/);
  for (const file of ['curves.csv', 'summary.csv']) t.deepEqual(untimed(readCsv(join(dir, 'two', file))), untimed(readCsv(join(dir, 'one', file))), file);
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'two', 'manifest.json'), 'utf8')).runs.map((r: {index: number}) => r.index), [0, 1, 2, 3, 4, 5]);
  // Handed out longest first (batch norm's steps cost more than layer norm's, which cost more
  // than none's), grid order among equals; the files above are in grid order all the same.
  const started = [...two.stderr.matchAll(/^\[(\d)\/6\] (\w+) · (\w+) · seed 1 \(/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  t.deepEqual(started, ['3 batch relu', '4 batch tanh', '5 layer relu', '6 layer tanh', '1 none relu', '2 none tanh']);
});

test('the dispatch order: more steps, a larger model, a larger batch or a dearer norm come first', (t) => {
  const base = {train: {steps: 100, batch_size: 10}, model: {kind: 'mlp', hidden: [8, 8]}, norm: {name: 'none', options: {}}};
  const cost = (over: object) => estimatedCost({...base, ...over} as unknown as RunSpec);
  t.is(cost({}), 100 * (10 + STEP_OVERHEAD_EXAMPLES) * 16);
  t.true(cost({train: {steps: 200, batch_size: 10}}) > cost({}));
  t.true(cost({model: {kind: 'mlp', hidden: [16, 8]}}) > cost({}));
  t.true(cost({norm: {name: 'weight', options: {}}}) > cost({norm: {name: 'batch', options: {}}}));
  t.true(cost({norm: {name: 'batch', options: {}}}) > cost({}));
  t.is(cost({model: {kind: 'lstm', hidden: 8, layers: 2}}), 100 * (10 + STEP_OVERHEAD_EXAMPLES) * 8 * 4 * 2);
  // A step has a fixed cost besides its examples: 8 000 steps at batch 2 are more work than 250 at 64.
  t.true(cost({train: {steps: 8000, batch_size: 2}}) > cost({train: {steps: 250, batch_size: 64}}));
});

test('a worker that dies fails only its run: the grid goes on with a new worker', async (t) => {
  const dir = tempDir('normbench-workers-');
  writeFileSync(join(dir, 'g.yaml'), GRID.replace('steps: 400', 'steps: 3000'));
  const mark = `die-${process.pid}`;
  const run = start(['run', 'g.yaml', '--out', 'o', '--workers', '2', '--backend', 'wasm'], dir, mark);
  // Both workers busy with a run (a worker killed before its first run is simply replaced).
  await until(() => startedRuns(run.stderr()) >= 2);
  await wait(500);
  killWorker(mark);
  t.is(await run.done, 1, run.stderr());
  const rows = readCsv(join(dir, 'o', 'summary.csv'));
  t.is(rows.length, 6);
  const failed = rows.filter((r) => r.status === 'failed');
  t.is(failed.length, 1, JSON.stringify(rows.map((r) => r.status)));
  t.regex(failed[0]!.message!, /its worker process died \(SIGKILL\)/);
  t.is(rows.filter((r) => r.status === 'ok').length, 5);
});

test('no worker outlives its grid: not after Ctrl-C (SIGINT to the group), not after kill -9 of the parent', async (t) => {
  const dir = tempDir('normbench-workers-');
  writeFileSync(join(dir, 'g.yaml'), GRID.replace('steps: 400', 'steps: 20000'));
  for (const how of ['SIGINT', 'SIGKILL'] as const) {
    const mark = `${how}-${process.pid}`;
    const run = start(['run', 'g.yaml', '--out', how, '--workers', '2', '--backend', 'wasm'], dir, mark);
    await until(() => startedRuns(run.stderr()) >= 2);
    // A terminal's Ctrl-C reaches every process of the foreground group; here, each by hand.
    for (const p of how === 'SIGINT' ? marked(mark) : [{pid: run.child.pid!}]) process.kill(p.pid, how);
    const code = await run.done;
    t.is(code, how === 'SIGINT' ? 130 : null, run.stderr());
    await until(() => marked(mark).length === 0, 10_000).catch(() => undefined);
    t.deepEqual(marked(mark), [], `${how}: every worker gone`);
    if (how === 'SIGINT') {
      t.regex(run.stderr(), /interrupted \(SIGINT\): kept 0 finished runs of 6 in \S+\. The 2 runs in progress were dropped\./);
      t.is(JSON.parse(readFileSync(join(dir, how, 'manifest.json'), 'utf8')).state, 'interrupted');
    }
  }
});
