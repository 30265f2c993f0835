#!/usr/bin/env node
// Throughput of normbench's training step, side by side with the PyTorch peer on the same shapes.
//
//   npm run bench [-- --backend wasm,tensorflow --steps 300 --norms none,batch,layer,weight]
//
// Workload (as ../shared/reference/torch_bench.py): MLP 784-100-100-100-10, norm after each hidden
// linear map, sigmoid, softmax cross-entropy, plain SGD lr 0.1, batch 60, random data. Each
// backend trains `steps` steps after 20 warm-up steps; steps/s counts training only. The peer
// runs torch_bench.py with /usr/bin/python3 (Debian python3-torch) on 1 thread, as wasm is
// single-threaded. The machine's speed drifts (shared cores), so each measurement is repeated
// `repeats` times with ours and the peer's interleaved; the table gives medians, and the ratio
// is the median of the paired ratios. Also reported: tensors left behind by training (must be
// 0) and the process's resident memory. Writes results/bench/bench.json.

import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {parseArgs} from 'node:util';
import {buildModel, makeSynthetic, resolveNorm, tf, train, useBackend, PACKAGE_ROOT_FOR_SCRIPTS} from './lib.mjs';

const {values} = parseArgs({
  options: {
    backend: {type: 'string', default: 'wasm'},
    steps: {type: 'string', default: '300'},
    repeats: {type: 'string', default: '3'},
    norms: {type: 'string', default: 'none,batch,layer,weight'},
    torch: {type: 'string', default: process.env.NORMBENCH_TORCH_BENCH ?? resolve(PACKAGE_ROOT_FOR_SCRIPTS, '../shared/reference/torch_bench.py')},
  },
});
const steps = Number(values.steps);
const norms = values.norms.split(',');
const WARMUP = 20;
const data = makeSynthetic({features: 784, classes: 10, train_size: 6000, test_size: 60, separation: 1, seed: 1});
const spec = {optimizer: 'sgd', lr: 0.1, batch_size: 60, steps: WARMUP + steps, eval_every: WARMUP + steps,
  momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};

async function ours(norm) {
  const model = buildModel({model: {kind: 'mlp', hidden: [100, 100, 100], init: 'glorot_uniform', init_std: 0.01},
    norm: resolveNorm(norm), activation: 'sigmoid', seed: 1, inputs: 784, classes: 10});
  let t0 = 0;
  let t1 = 0;
  const before = tf.memory().numTensors; // the model's own variables included
  const result = await train(model, data, spec, 1, {
    onStep: (step) => {
      if (step === WARMUP) t0 = performance.now();
      if (step === WARMUP + steps) t1 = performance.now();
    },
  });
  const seconds = (t1 - t0) / 1000;
  const mem = tf.memory();
  model.dispose();
  return {steps_per_s: steps / seconds, tensors_after: mem.numTensors - before, result_status: result.status};
}

function peer(norm) {
  if (!existsSync(values.torch) || !existsSync('/usr/bin/python3')) return {error: `peer not found (${values.torch})`};
  const r = spawnSync('/usr/bin/python3', [values.torch, '--workload', 'mlp', '--norm', norm, '--activation', 'sigmoid',
    '--steps', String(steps), '--warmup', String(WARMUP), '--threads', '1'], {encoding: 'utf8'});
  if (r.status !== 0) return {error: (r.stderr || 'failed').trim().split('\n').at(-1)};
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const backend of values.backend.split(',')) {
  const used = await useBackend(backend);
  for (const norm of norms) {
    const runs = [];
    for (let r = 0; r < Number(values.repeats); r++) runs.push({ours: await ours(norm), peer: peer(norm)});
    const peerRates = runs.map((x) => x.peer.steps_per_s).filter((x) => typeof x === 'number');
    rows.push({
      backend: used,
      norm,
      steps_per_s: median(runs.map((x) => x.ours.steps_per_s)),
      peer_steps_per_s: peerRates.length ? median(peerRates) : undefined,
      ratio: peerRates.length ? median(runs.map((x) => x.ours.steps_per_s / x.peer.steps_per_s)) : undefined,
      peer_error: runs[0].peer.error,
      tensors_leaked: Math.max(...runs.map((x) => x.ours.tensors_after)),
      samples: runs,
    });
  }
}

const fmt = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : '—');
console.log(`MLP 784-100-100-100-10 · sigmoid · SGD · batch 60 · ${steps} timed steps · median of ${values.repeats}`);
console.log(['backend', 'norm', 'steps/s', 'torch steps/s (1 thread)', 'normbench / torch', 'tensors leaked'].join(' | '));
for (const r of rows) {
  console.log([r.backend, r.norm, fmt(r.steps_per_s), r.peer_error ?? fmt(r.peer_steps_per_s), fmt(r.ratio, 2), String(r.tensors_leaked)].join(' | '));
}
console.log(`resident memory: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
const out = join(PACKAGE_ROOT_FOR_SCRIPTS, 'results', 'bench');
mkdirSync(out, {recursive: true});
writeFileSync(join(out, 'bench.json'), `${JSON.stringify({steps, repeats: Number(values.repeats), rows, node: process.version}, null, 2)}\n`);
