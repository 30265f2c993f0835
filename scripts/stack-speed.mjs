#!/usr/bin/env node
// Throughput of S replicates trained as one stack against the same S runs one after another
// (same total steps): 784-100-100-100-10 sigmoid MLP, SGD lr 0.1, batch 60, synthetic data.
// Interleaved rounds, alternating which goes first; prints medians of replicate-steps per second
// (training only, evaluation excluded) and the median of per-round ratios. Build first.
//
//   node scripts/stack-speed.mjs [--backend wasm] [--norms none,batch] [--stack 3] [--steps 200] [--rounds 7]

import {parseArgs} from 'node:util';
import {resolve} from 'node:path';

const {values} = parseArgs({options: {
  backend: {type: 'string', default: 'wasm'}, norms: {type: 'string', default: 'none,batch'}, stack: {type: 'string', default: '3'},
  steps: {type: 'string', default: '200'}, rounds: {type: 'string', default: '7'}, activation: {type: 'string', default: 'sigmoid'},
}});
const {Mlp, makeSynthetic, resolveNorm, train, trainStacked, useBackend, tf} = await import(resolve(import.meta.dirname, '../dist/src/index.js'));
await useBackend(values.backend);
const S = Number(values.stack);
const steps = Number(values.steps);
const data = makeSynthetic({features: 784, classes: 10, train_size: 6000, test_size: 60, separation: 1, seed: 1});
const spec = {optimizer: 'sgd', lr: 0.1, batch_size: 60, steps, eval_every: steps, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seeds = Array.from({length: S}, (_, i) => i + 1);

for (const norm of values.norms.split(',')) {
  const build = (seed) => new Mlp({model: {kind: 'mlp', hidden: [100, 100, 100], init: 'glorot_uniform', init_std: 0.01},
    norm: resolveNorm(norm), activation: values.activation, seed, inputs: 784, classes: 10});
  /** Replicate-steps per second of S sequential runs. */
  const sequential = async () => {
    let ms = 0;
    for (const seed of seeds) {
      const m = build(seed);
      const r = await train(m, data, spec, seed);
      ms += (r.steps / r.steps_per_s) * 1000;
      m.dispose();
    }
    return (S * steps * 1000) / ms;
  };
  const stacked = async () => {
    const replicates = seeds.map((seed) => ({model: build(seed), seed, spec}));
    const [r] = await trainStacked(replicates, data);
    for (const x of replicates) x.model.dispose();
    return S * r.steps_per_s;
  };
  await sequential();
  await stacked();
  const before = tf.memory().numTensors;
  const a = [];
  const b = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    if (round % 2) {
      b.push(await stacked());
      a.push(await sequential());
    } else {
      a.push(await sequential());
      b.push(await stacked());
    }
  }
  const ratio = median(b.map((x, i) => x / a[i]));
  console.log(`${tf.getBackend()} ${norm.padEnd(6)} S=${S}: sequential ${median(a).toFixed(1)} replicate-steps/s [${a.map((x) => x.toFixed(0)).join(' ')}]` +
    `  stacked ${median(b).toFixed(1)} [${b.map((x) => x.toFixed(0)).join(' ')}]  ×${ratio.toFixed(2)}  (tensors left: ${tf.memory().numTensors - before})`);
}
