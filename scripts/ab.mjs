#!/usr/bin/env node
// A/B throughput of builds: interleaves `train` runs of each build (separate processes) and the
// PyTorch peer, and prints medians. Each build is a directory holding a built normbench (dist/).
//
//   node scripts/ab.mjs --builds /tmp/nb-base,. [--norms none,batch] [--repeats 5] [--steps 300]
//        [--backend wasm] [--hidden 100,100,100] [--no-torch]
//
// Workload as scripts/bench.mjs: sigmoid MLP, SGD lr 0.1, batch 60, synthetic 784-feature data,
// 20 warm-up steps. The machine's speed drifts, so compare only interleaved medians; the ratio
// column is the median of per-round ratios to the first build.

import {spawnSync} from 'node:child_process';
import {resolve} from 'node:path';
import {parseArgs} from 'node:util';

const {values} = parseArgs({
  options: {
    builds: {type: 'string', default: '.'},
    norms: {type: 'string', default: 'batch'},
    repeats: {type: 'string', default: '5'},
    steps: {type: 'string', default: '300'},
    backend: {type: 'string', default: 'wasm'},
    hidden: {type: 'string', default: '100,100,100'},
    optimizer: {type: 'string', default: 'sgd'},
    'no-torch': {type: 'boolean', default: false},
    child: {type: 'string'},
    norm: {type: 'string'},
  },
});

if (values.child) {
  // One measurement in this process, with the build at values.child.
  const lib = await import(resolve(values.child, 'dist/src/index.js'));
  const {buildModel, makeSynthetic, resolveNorm, train, useBackend} = lib;
  await useBackend(values.backend);
  const steps = Number(values.steps);
  const WARMUP = 20;
  const hidden = values.hidden.split(',').map(Number);
  const data = makeSynthetic({features: 784, classes: 10, train_size: 6000, test_size: 60, separation: 1, seed: 1});
  const model = buildModel({model: {kind: 'mlp', hidden, init: 'glorot_uniform', init_std: 0.01},
    norm: resolveNorm(values.norm), activation: 'sigmoid', seed: 1, inputs: 784, classes: 10});
  let t0 = 0;
  let t1 = 0;
  await train(model, data, {optimizer: values.optimizer, lr: 0.1, batch_size: 60, steps: WARMUP + steps, eval_every: WARMUP + steps,
    momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9}, 1, {
    onStep: (step) => {
      if (step === WARMUP) t0 = performance.now();
      if (step === WARMUP + steps) t1 = performance.now();
    },
  });
  console.log(JSON.stringify({steps_per_s: (steps * 1000) / (t1 - t0)}));
  process.exit(0);
}

const builds = values.builds.split(',').map((b) => resolve(b));
const torch = resolve(import.meta.dirname, '../../shared/reference/torch_bench.py');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const run = (args, cmd = process.execPath) => {
  const r = spawnSync(cmd, args, {encoding: 'utf8'});
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)).steps_per_s;
};
console.log(`${new Date().toISOString()} backend ${values.backend} hidden ${values.hidden} ${values.optimizer} · ${values.steps} steps · ${values.repeats} interleaved rounds`);
for (const norm of values.norms.split(',')) {
  const rates = builds.map(() => []);
  const peer = [];
  for (let r = 0; r < Number(values.repeats); r++) {
    builds.forEach((b, i) => rates[i].push(run([import.meta.filename, '--child', b, '--norm', norm, '--steps', values.steps,
      '--backend', values.backend, '--hidden', values.hidden, '--optimizer', values.optimizer])));
    if (!values['no-torch']) peer.push(run([torch, '--workload', 'mlp', '--norm', norm, '--steps', values.steps, '--threads', '1'], '/usr/bin/python3'));
  }
  builds.forEach((b, i) => {
    const vsFirst = median(rates[i].map((x, r) => x / rates[0][r]));
    const vsTorch = peer.length ? median(rates[i].map((x, r) => x / peer[r])).toFixed(2) : '—';
    console.log(`${norm.padEnd(7)} ${b.padEnd(28)} ${median(rates[i]).toFixed(1).padStart(7)} steps/s  ×${vsFirst.toFixed(2)} vs first  ${vsTorch} × torch  [${rates[i].map((x) => x.toFixed(0)).join(' ')}]`);
  });
  if (peer.length) console.log(`${norm.padEnd(7)} ${'torch (1 thread)'.padEnd(28)} ${median(peer).toFixed(1).padStart(7)} steps/s  [${peer.map((x) => x.toFixed(0)).join(' ')}]`);
}
