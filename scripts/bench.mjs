#!/usr/bin/env node
// Speed beside the PyTorch peer on the same machine, measured side by side (never a timed test).
//
//   npm run bench [-- --workload mlp|lstm|cnn] [--norm batch,none] [--activation sigmoid] [--batch N]
//                 [--width 100] [--steps 300] [--repeats 3] [--backend wasm,tensorflow] [--json]
//   npm run bench -- --grid [--seeds 1,2,3] [--workers N] [--stack] [--json]
//   npm run bench -- --help   (every option, with its default)
//
// Per step (target: ≥ 0.5× PyTorch on one thread): the workloads of
// ../shared/reference/torch_bench.py —
//   mlp   784-100-100-100-10, norm after each hidden linear map, `activation` (default sigmoid),
//         softmax cross-entropy, plain SGD lr 0.1, batch 60, random data;
//   lstm  one LSTM layer of 100 units over 28 steps of 28 inputs, classifier on the last h,
//         SGD lr 0.1, batch 64; `batch` is recurrent BN (BN-LSTM, γ 0.1), `layer` LN-LSTM;
//   cnn   28×28×1 → conv 3×3 16 → max pool 2 → conv 3×3 32 → max pool 2 → conv 3×3 32 → global
//         average pooling → 10, the norm after each convolution, ReLU, SGD lr 0.1, batch 32 (the
//         issue's 8 / 32 / 128 by --batch). Its peer is this project's scripts/torch-cnn-bench.py
//         (torch.nn.Conv2d; the shared torch_bench.py has no convnet).
// --width sets the MLP's hidden width (784-W-W-W-10) or the LSTM's units, for the backend
// comparison at a larger size; the peer runs only at its own width, 100.
// Each measurement trains `steps` steps after 20 warm-up steps (steps/s counts training only),
// alternating with the peer on one thread (wasm is single-threaded), `repeats` times; the table
// gives medians, and the ratio is the median of the paired ratios, since the machine's speed
// drifts. Also reported: tensors left behind by training (must be 0) and peak resident memory.
//
// Per grid (target: no slower than PyTorch): the quickstart with --seeds (36 runs for 1,2,3),
// normbench at its defaults (`normbench run`, worker processes = cores) on --backend (default
// wasm, what a fresh install uses) against torch_grid.py at its defaults (a plain loop over the
// same cells), wall time each, one after the other. --stack passes `normbench run --stack` (the
// seeds of each stackable cell train as one stacked model).
//
// --json prints one JSON object per line. Results also go to results/bench/bench.json.

import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {cpus, tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {PACKAGE_ROOT as ROOT} from '../dist/src/version.js';
import {parseOptions} from './args.mjs';

const PER_STEP = 'PER STEP (the default)';
const GRID = 'PER GRID (--grid)';
const values = parseOptions({
  name: 'npm run bench --',
  about: 'Speed beside the PyTorch peer on this machine: normbench\'s training step, or a whole grid, against PyTorch\'s on the same workload.',
  usage: [
    '[--workload mlp|lstm|cnn] [--norm <list>] [--activation <name>] [--batch <n>] [--width <n>] [--steps <n>] [--repeats <n>] [--backend <list>] [--json]',
    '--grid [--seeds <list>] [--workers <n>] [--stack] [--backend <name>] [--json]',
  ],
  options: {
    backend: {type: 'string', value: 'list', default: 'wasm', description: 'The tfjs backends, comma-separated (--grid: one)'},
    json: {type: 'boolean', default: false, description: 'Print one JSON object per line instead of the table'},
    reference: {type: 'string', value: 'dir', default: process.env.NORMBENCH_REFERENCE ?? resolve(ROOT, '../shared/reference'),
      defaultHelp: '$NORMBENCH_REFERENCE, else ../shared/reference beside the package', description: 'Where the peer\'s torch_bench.py and torch_grid.py are'},
    workload: {type: 'string', value: 'mlp|lstm|cnn', default: 'mlp', choices: ['mlp', 'lstm', 'cnn'], group: PER_STEP,
      description: 'What to train: mlp, a 784-W-W-W-10 MLP, SGD lr 0.1; lstm, one LSTM layer of 100 (--width) units over 28 steps × 28 inputs; cnn, a 3-block convnet on 28×28×1'},
    norm: {type: 'string', value: 'list', defaultHelp: 'none,batch,layer,weight (mlp); none,layer,batch (lstm); none,batch,group (cnn)', group: PER_STEP,
      description: 'Norms, comma-separated (lstm: batch is BN-LSTM, layer LN-LSTM)'},
    activation: {type: 'string', value: 'name', default: 'sigmoid', group: PER_STEP, description: 'The MLP\'s activation'},
    batch: {type: 'string', value: 'n', number: 'integer', defaultHelp: '60 (mlp), 64 (lstm), 32 (cnn)', group: PER_STEP, description: 'Batch size'},
    width: {type: 'string', value: 'n', number: 'integer', default: '100', group: PER_STEP, description: 'The MLP\'s hidden width W, or the LSTM\'s units (the peer runs 100 only)'},
    steps: {type: 'string', value: 'n', number: 'integer', defaultHelp: '300 (mlp), 50 (lstm, cnn)', group: PER_STEP, description: 'Timed steps per measurement, after 20 warm-up steps'},
    repeats: {type: 'string', value: 'n', number: 'integer', default: '3', group: PER_STEP, description: 'Measurements, alternating with the peer\'s; the table gives medians'},
    grid: {type: 'boolean', default: false, group: GRID, description: 'Time the quickstart grid with normbench run against torch_grid.py'},
    seeds: {type: 'string', value: 'list', number: 'integers', default: '1,2,3', group: GRID, description: 'The grid\'s seeds, comma-separated (12 runs each)'},
    workers: {type: 'string', value: 'n', number: 'integer', defaultHelp: 'one per core', group: GRID, description: 'Worker processes for normbench run (its --workers)'},
    stack: {type: 'boolean', default: false, group: GRID, description: 'Pass normbench run --stack (the seeds of a cell as one stacked model)'},
  },
  footer: 'Results also go to results/bench/bench.json. The README\'s "Speed" section has the measurements and what they mean.',
});
// After the options: --help and a mistake answer without loading tfjs.
const lib = await import('./lib.mjs');
const {tf, train, useBackend} = lib;
const {benchWorkload} = await import('./workloads.mjs');
const WARMUP = 20;
const PYTHON = '/usr/bin/python3';
const out = (obj) => console.log(JSON.stringify(obj));
const say = (text) => (values.json ? undefined : console.log(text));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

function peerAvailable(script) {
  return existsSync(PYTHON) && existsSync(join(values.reference, script));
}

function runPeer(args) {
  const r = spawnSync(PYTHON, args, {encoding: 'utf8'});
  if (r.status !== 0) return {error: (r.stderr || 'failed').trim().split('\n').at(-1)};
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** One timed measurement of normbench's training step. */
async function ours(workload, norm, batch, steps) {
  const {data, model} = benchWorkload(lib, {workload, norm, batch, hidden: Array(3).fill(Number(values.width)), activation: values.activation, units: Number(values.width)});
  const spec = {optimizer: 'sgd', lr: 0.1, batch_size: batch, steps: WARMUP + steps, eval_every: WARMUP + steps,
    momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};
  let t0 = 0;
  let t1 = 0;
  const before = tf.memory().numTensors; // the model's own variables included
  await train(model, data, spec, 1, {
    probes: [],
    onStep: (step) => {
      if (step === WARMUP) t0 = performance.now();
      if (step === WARMUP + steps) t1 = performance.now();
    },
  });
  const leaked = tf.memory().numTensors - before;
  model.dispose();
  return {steps_per_s: steps / ((t1 - t0) / 1000), leaked};
}

/** The peer of a workload: the shared torch_bench.py, or for the convnet this project's twin of it. */
function peerScript(workload) {
  return workload === 'cnn' ? join(ROOT, 'scripts', 'torch-cnn-bench.py') : join(values.reference, 'torch_bench.py');
}

async function perStep() {
  const workload = values.workload;
  const lstm = workload === 'lstm';
  const cnn = workload === 'cnn';
  const norms = (values.norm ?? (lstm ? 'none,layer,batch' : cnn ? 'none,batch,group' : 'none,batch,layer,weight')).split(',');
  const batch = Number(values.batch ?? (lstm ? 64 : cnn ? 32 : 60));
  const steps = Number(values.steps ?? (lstm || cnn ? 50 : 300));
  const width = Number(values.width);
  const peer = peerScript(workload);
  const havePeer = existsSync(PYTHON) && existsSync(peer) && (cnn || width === 100);
  const rows = [];
  for (const backend of values.backend.split(',')) {
    const used = await useBackend(backend);
    for (const norm of norms) {
      const samples = [];
      for (let r = 0; r < Number(values.repeats); r++) {
        const mine = await ours(workload, norm, batch, steps);
        const activation = lstm ? 'tanh' : cnn ? 'relu' : values.activation;
        const theirs = havePeer
          ? runPeer([peer, '--workload', workload, '--norm', norm, '--activation', activation,
            '--batch', String(batch), '--steps', String(steps), '--warmup', String(WARMUP), '--threads', '1'])
          : {error: !cnn && width !== 100 ? 'torch_bench.py runs width 100 only' : `peer not found (${peer}, ${PYTHON})`};
        samples.push({ours: mine, peer: theirs});
      }
      const peerRates = samples.map((s) => s.peer.steps_per_s).filter((x) => typeof x === 'number');
      const row = {
        workload, norm, activation: lstm ? 'tanh' : cnn ? 'relu' : values.activation, backend: used, batch, steps, ...(cnn ? {} : {width}),
        steps_per_s: median(samples.map((s) => s.ours.steps_per_s)),
        peer_steps_per_s: peerRates.length ? median(peerRates) : null,
        ratio: peerRates.length ? median(samples.map((s) => s.ours.steps_per_s / s.peer.steps_per_s)) : null,
        tensors_leaked: Math.max(...samples.map((s) => s.ours.leaked)),
        peak_rss_mb: Math.round(peakRssMb()),
        repeats: samples.length,
        ...(peerRates.length ? {} : {peer_error: samples[0].peer.error}),
      };
      rows.push(row);
      if (values.json) out(row);
    }
  }
  const fmt = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : '—');
  const shape = lstm ? `LSTM ${width} units, 28 steps × 28 inputs` : cnn ? 'convnet 28×28×1, conv 16 → pool → conv 32 → pool → conv 32 → gap → 10, relu' : `MLP 784-${width}-${width}-${width}-10, ${values.activation}`;
  say(`${workload} · ${shape} · SGD · batch ${batch} · ${steps} timed steps · median of ${values.repeats}`);
  say(['backend', 'norm', 'steps/s', 'torch steps/s (1 thread)', 'normbench / torch', 'tensors leaked', 'peak RSS MiB'].join(' | '));
  for (const r of rows) say([r.backend, r.norm, fmt(r.steps_per_s), r.peer_error ?? fmt(r.peer_steps_per_s), fmt(r.ratio, 2), String(r.tensors_leaked), String(r.peak_rss_mb)].join(' | '));
  return rows;
}

/** The quickstart with several seeds: normbench at its defaults against torch_grid.py at its defaults. */
function perGrid() {
  const seeds = values.seeds;
  const runs = 12 * seeds.split(',').length;
  const dir = mkdtempSync(join(tmpdir(), 'normbench-bench-'));
  try {
    const args = [join(ROOT, 'bin', 'run.js'), 'run', join(ROOT, 'experiments', 'quickstart.yaml'), '--out', join(dir, 'q'), '--quiet',
      '--set', `grid.seed=[${seeds}]`, '--backend', values.backend, ...(values.workers ? ['--workers', values.workers] : []), ...(values.stack ? ['--stack'] : [])];
    const t0 = performance.now();
    const mine = spawnSync(process.execPath, args, {encoding: 'utf8'});
    const ourWall = (performance.now() - t0) / 1000;
    if (mine.status !== 0) throw new Error(`normbench run failed: ${mine.stderr}`);
    const peer = peerAvailable('torch_grid.py')
      ? runPeer([join(values.reference, 'torch_grid.py'), join(ROOT, 'data', 'fashion-mnist-mini'), '--seeds', seeds, '--json'])
      : {error: 'peer not found'};
    const row = {
      workload: 'grid', grid: `quickstart × seeds ${seeds}`, runs, backend: values.backend, workers: values.workers ? Number(values.workers) : cpus().length,
      stack: values.stack, wall_s: Number(ourWall.toFixed(1)), peer_wall_s: peer.wall_s === undefined ? null : Number(peer.wall_s.toFixed(1)),
      peer_threads: peer.threads ?? null, ratio: peer.wall_s === undefined ? null : Number((peer.wall_s / ourWall).toFixed(2)),
      ...(peer.error ? {peer_error: peer.error} : {}),
    };
    if (values.json) out(row);
    say(`grid: ${row.grid} (${runs} runs) · normbench ${row.wall_s} s with ${row.workers} worker processes${row.stack ? ', stacked' : ''} · PyTorch ${row.peer_wall_s ?? '—'} s on ${row.peer_threads ?? '?'} thread(s) · PyTorch time / normbench time = ${row.ratio ?? '—'} (≥ 1: normbench is no slower)`);
    return [row];
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

let rows;
try {
  rows = values.grid ? perGrid() : await perStep();
} catch (error) {
  // Bad input found on the way (an unknown norm or backend): one line, exit 2, as the CLI.
  if (error?.name !== 'UserError') throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.exit(2);
}
const dest = join(ROOT, 'results', 'bench');
mkdirSync(dest, {recursive: true});
writeFileSync(join(dest, 'bench.json'), `${JSON.stringify({date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, rows}, null, 2)}\n`);
