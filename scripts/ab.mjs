#!/usr/bin/env node
// A/B throughput of builds: one long-lived worker process per build, asked in turn to train a
// short burst; the PyTorch peer runs between rounds. Prints medians and paired ratios.
// Each build is a directory holding a built normbench (dist/).
//
//   node scripts/ab.mjs --builds /tmp/nb-base,. [--norms none,batch] [--rounds 9] [--steps 200]
//        [--backend wasm] [--hidden 100,100,100] [--optimizer sgd] [--workload mlp|lstm] [--no-torch]
//
// Workloads as scripts/bench.mjs: mlp, a sigmoid MLP, lr 0.1, batch 60, synthetic 784-feature
// data; lstm, one LSTM layer of 100 units over 28 steps of 28 inputs, SGD lr 0.1, batch 64
// (`batch` is BN-LSTM, `layer` LN-LSTM); give it fewer --steps (e.g. 20).
// The machine's speed drifts by up to 2× between minutes, so bursts are short and interleaved,
// and the ratios are medians of per-round ratios.

import {fork, spawnSync} from 'node:child_process';
import {resolve} from 'node:path';
import {parseArgs} from 'node:util';

const {values} = parseArgs({
  options: {
    builds: {type: 'string', default: '.'},
    norms: {type: 'string', default: 'batch'},
    rounds: {type: 'string', default: '9'},
    steps: {type: 'string', default: '200'},
    backend: {type: 'string', default: 'wasm'},
    hidden: {type: 'string', default: '100,100,100'},
    optimizer: {type: 'string', default: 'sgd'},
    workload: {type: 'string', default: 'mlp'},
    'no-torch': {type: 'boolean', default: false},
    worker: {type: 'string'},
    norm: {type: 'string'},
  },
});

if (values.worker) {
  const api = await import(resolve(values.worker, 'dist/src/index.js'));
  const {train, useBackend, tf} = api;
  const {benchWorkload} = await import('./workloads.mjs');
  await useBackend(values.backend);
  const batch = values.workload === 'lstm' ? 64 : 60;
  const {data, model} = benchWorkload(api, {workload: values.workload, norm: values.norm, batch, hidden: values.hidden.split(',').map(Number)});
  const WARMUP = 10;
  let seed = 1;
  process.on('message', async (steps) => {
    let t0 = 0;
    let t1 = 0;
    const before = tf.memory().numTensors;
    const r = await train(model, data, {optimizer: values.optimizer, lr: 0.1, batch_size: batch, steps: WARMUP + steps, eval_every: WARMUP + steps,
      momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9}, seed++, {
      onStep: (step) => {
        if (step === WARMUP) t0 = performance.now();
        if (step === WARMUP + steps) t1 = performance.now();
      },
    });
    process.send({steps_per_s: (steps * 1000) / (t1 - t0), leaked: tf.memory().numTensors - before, status: r.status});
  });
  process.send({ready: true});
} else {
  const builds = values.builds.split(',').map((b) => resolve(b));
  const torch = resolve(import.meta.dirname, '../../shared/reference/torch_bench.py');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const steps = Number(values.steps);
  const shape = values.workload === 'lstm' ? 'lstm 100 units × 28 steps, batch 64' : `hidden ${values.hidden}`;
  console.log(`${new Date().toISOString()} backend ${values.backend} · ${shape} · ${values.optimizer} · bursts of ${steps} steps · ${values.rounds} interleaved rounds`);
  for (const norm of values.norms.split(',')) {
    const workers = builds.map((b) => fork(import.meta.filename, ['--worker', b, '--norm', norm, '--backend', values.backend, '--hidden', values.hidden, '--optimizer', values.optimizer, '--workload', values.workload]));
    const ask = (w, msg) => new Promise((res) => { w.once('message', res); if (msg !== undefined) w.send(msg); });
    await Promise.all(workers.map((w) => ask(w)));
    for (const w of workers) await ask(w, values.workload === 'lstm' ? 5 : 50); // warm-up burst
    const rates = builds.map(() => []);
    const peer = [];
    let leaked = 0;
    for (let r = 0; r < Number(values.rounds); r++) {
      const order = r % 2 ? [...workers.keys()].reverse() : [...workers.keys()];
      for (const i of order) {
        const m = await ask(workers[i], steps);
        rates[i].push(m.steps_per_s);
        leaked = Math.max(leaked, m.leaked);
      }
      if (!values['no-torch']) {
        const p = spawnSync('/usr/bin/python3', [torch, '--workload', values.workload, '--norm', norm, '--steps', String(steps), '--threads', '1'], {encoding: 'utf8'});
        peer.push(JSON.parse(p.stdout.trim().split('\n').at(-1)).steps_per_s);
      }
    }
    for (const w of workers) w.kill();
    builds.forEach((b, i) => {
      const vsFirst = median(rates[i].map((x, r) => x / rates[0][r]));
      const vsTorch = peer.length ? median(rates[i].map((x, r) => x / peer[r])).toFixed(2) : '—';
      console.log(`${norm.padEnd(7)} ${b.padEnd(24)} ${median(rates[i]).toFixed(1).padStart(7)} steps/s  ×${vsFirst.toFixed(2)} vs first  ${vsTorch} × torch  [${rates[i].map((x) => x.toFixed(0)).join(' ')}]`);
    });
    if (peer.length) console.log(`${norm.padEnd(7)} ${'torch (1 thread)'.padEnd(24)} ${median(peer).toFixed(1).padStart(7)} steps/s  [${peer.map((x) => x.toFixed(0)).join(' ')}]`);
    if (leaked) console.log(`tensors left behind by a burst: ${leaked}`);
  }
}
