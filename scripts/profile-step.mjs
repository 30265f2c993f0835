#!/usr/bin/env node
// Where a training step's time goes: kernels per step (by name) and wall time split into
// host batch assembly, upload, forward, backward, optimizer and read-back, per norm.
//
//   node scripts/profile-step.mjs [--backend wasm] [--norms none,batch,layer,weight] [--steps 200]
//        [--hidden 100,100,100] [--optimizer sgd]
//
// The phase timings mirror the trainer's step phase by phase (src/train/trainer.ts, trainStep;
// keep them in step with it); the kernel counts come from the trainer itself.
//
//   node scripts/profile-step.mjs --products [--backend wasm]
//
// The floor set by the matrix products alone: every product of one step of the 784-100-100-100-10
// MLP at batch 60 (forward x·W, backward xᵀ·∂y and ∂y·Wᵀ), timed as the step meets them — with
// a right-hand operand that is new at every step, as updated weights and fresh gradients are
// (wasm's matMul, XNNPACK, packs that operand each time it sees a new one) — and again with that
// operand reused (packed once). scripts/torch-products.py times the same products in PyTorch.

import {parseArgs} from 'node:util';
import {Batcher, buildModel, createOptimizer, gatherBatch, makeSynthetic, resolveNorm, tf, train, useBackend} from './lib.mjs';
import {softmaxCrossEntropyWithAccuracy} from '../dist/src/nn/loss.js';

const {values} = parseArgs({
  options: {
    backend: {type: 'string', default: 'wasm'},
    norms: {type: 'string', default: 'none,batch,layer,weight'},
    steps: {type: 'string', default: '200'},
    hidden: {type: 'string', default: '100,100,100'},
    optimizer: {type: 'string', default: 'sgd'},
    kernels: {type: 'boolean', default: false},
    products: {type: 'boolean', default: false},
  },
});
const now = () => performance.now();
const round = (x, d = 1) => Number(x.toFixed(d));
await useBackend(values.backend);
if (values.products) {
  productsFloor();
  process.exit(0);
}
const hidden = values.hidden.split(',').map(Number);
const data = makeSynthetic({features: 784, classes: 10, train_size: 6000, test_size: 60, separation: 1, seed: 1});
const spec = {optimizer: values.optimizer, lr: 0.1, batch_size: 60, steps: 1, eval_every: 1, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.9};

function phases(model, optimizer, vars, batcher, t) {
  let a = now();
  const batch = gatherBatch(data.train, batcher.next());
  let b = now();
  t.host += b - a;
  const [lossT, correctT] = tf.tidy(() => {
    a = now();
    const x = tf.tensor2d(batch.x, [spec.batch_size, data.features]);
    const y = tf.tensor1d(batch.y, 'int32');
    b = now();
    t.upload += b - a;
    let correct;
    let fwdEnd = 0;
    const g0 = now();
    const {value, grads} = tf.variableGrads(() => {
      const logits = model.forward(x, {training: true, updateStats: true});
      const out = softmaxCrossEntropyWithAccuracy(logits, y);
      correct = tf.keep(out.correct);
      fwdEnd = now();
      return out.loss;
    }, vars);
    const g1 = now();
    t.forward += fwdEnd - g0;
    t.backward += g1 - fwdEnd;
    optimizer.applyGradients(grads);
    const o1 = now();
    t.optimizer += o1 - g1;
    return [value, correct];
  });
  a = now();
  lossT.dataSync();
  correctT.dataSync();
  b = now();
  t.readback += b - a;
  lossT.dispose();
  correctT.dispose();
}

for (const norm of values.norms.split(',')) {
  const model = buildModel({model: {kind: 'mlp', hidden, init: 'glorot_uniform', init_std: 0.01},
    norm: resolveNorm(norm), activation: 'sigmoid', seed: 1, inputs: 784, classes: 10});
  const optimizer = createOptimizer(spec);
  const vars = [...model.params.values()];
  const batcher = new Batcher(data.train.n, spec.batch_size, 1);
  const t = {host: 0, upload: 0, forward: 0, backward: 0, optimizer: 0, readback: 0};
  for (let i = 0; i < 30; i++) phases(model, optimizer, vars, batcher, {...t});
  // Kernels in one step of the trainer itself: (train 11 steps − train 1 step) / 10, evaluation
  // and set-up cancelling out. The phase timings below mirror the original step.
  const trainKernels = async (n) => {
    const m = buildModel({model: {kind: 'mlp', hidden, init: 'glorot_uniform', init_std: 0.01},
      norm: resolveNorm(norm), activation: 'sigmoid', seed: 1, inputs: 784, classes: 10});
    const p = await tf.profile(() => train(m, data, {...spec, steps: n, eval_every: n}, 1).then(() => 0));
    m.dispose();
    const names = {};
    for (const k of p.kernels) names[k.name] = (names[k.name] ?? 0) + 1;
    return names;
  };
  await trainKernels(1);
  const one = await trainKernels(1);
  const eleven = await trainKernels(11);
  const byName = {};
  for (const [name, c] of Object.entries(eleven)) if (c - (one[name] ?? 0)) byName[name] = (c - (one[name] ?? 0)) / 10;
  const prof = {kernels: {length: Object.values(byName).reduce((p, q) => p + q, 0)}};
  const steps = Number(values.steps);
  const t0 = now();
  for (let i = 0; i < steps; i++) phases(model, optimizer, vars, batcher, t);
  const total = now() - t0;
  const us = (x) => round((1000 * x) / steps, 0);
  const sum = Object.values(t).reduce((p, q) => p + q, 0);
  console.log(JSON.stringify({backend: values.backend, norm, hidden: values.hidden, optimizer: values.optimizer,
    kernels: prof.kernels.length, steps_per_s: round((1000 * steps) / total),
    us_per_step: {total: us(total), host_batch: us(t.host), upload: us(t.upload), forward: us(t.forward), backward: us(t.backward),
      optimizer: us(t.optimizer), readback: us(t.readback), other: us(total - sum)},
    us_per_kernel: round((1000 * total) / steps / prof.kernels.length, 1)}));
  if (values.kernels) console.log(JSON.stringify(Object.entries(byName).sort((p, q) => q[1] - p[1])));
  optimizer.dispose();
  model.dispose();
}

function productsFloor() {
  // [label, rows, shared, cols, how many per step]: the products of one step, batch 60.
  const products = [
    ['forward 784→100', 60, 784, 100, 1],
    ['∂W 784×100 (xᵀ·∂y)', 784, 60, 100, 1],
    ['forward 100→100', 60, 100, 100, 2],
    ['∂x 100 (∂y·Wᵀ)', 60, 100, 100, 2],
    ['∂W 100×100', 100, 60, 100, 2],
    ['forward 100→10', 60, 100, 10, 1],
    ['∂x 10→100', 60, 10, 100, 1],
    ['∂W 100×10', 100, 60, 10, 1],
  ];
  const reps = 300;
  const time = (f) => {
    for (let i = 0; i < 30; i++) f();
    const t0 = now();
    for (let i = 0; i < reps; i++) f();
    return (1000 * (now() - t0)) / reps;
  };
  const rows = [];
  let fresh = 0;
  let reused = 0;
  for (const [label, m, k, n, count] of products) {
    const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
    const values = tf.randomUniform([k, n], -1, 1, 'float32', 2).dataSync();
    const b = tf.tensor2d(values, [k, n]);
    const upload = time(() => tf.tensor2d(values, [k, n]).dispose());
    const withNew = time(() => {
      const bNew = tf.tensor2d(values, [k, n]);
      tf.matMul(a, bNew).dispose();
      bNew.dispose();
    }) - upload;
    const withReused = time(() => tf.matMul(a, b).dispose());
    fresh += count * withNew;
    reused += count * withReused;
    rows.push({product: `${label}: [${m},${k}]·[${k},${n}]`, per_step: count, us_new_operand: round(withNew, 0), us_reused_operand: round(withReused, 0)});
    tf.dispose([a, b]);
  }
  for (const r of rows) console.log(JSON.stringify(r));
  console.log(JSON.stringify({backend: values.backend, us_products_per_step: {new_operand: round(fresh, 0), reused_operand: round(reused, 0)}}));
}
