#!/usr/bin/env node
// Where a training step's time goes, kernel by kernel, at the bench's shapes (scripts/workloads.mjs):
//   lstm (issue 21): one LSTM layer of 100 units over T = 28 steps of 28 inputs, batch 64, SGD,
//         per norm (none, BN-LSTM, LN-LSTM);
//   cnn (issue 19): the bench's convnet (28×28×1 → conv 16 → pool → conv 32 → pool → conv 32 →
//         global average pooling → 10, ReLU), batch 32, SGD, per norm (none, batch, group).
// For each norm: the wall time of a step (median over the timed steps), then one step under
// tf.profile, its kernels grouped by name — how many a step (and, for the LSTM, a time step),
// the milliseconds each kind takes in all (the backend's own timer around each kernel: dispatch
// included), its share of the step, and the elements it writes; then the backend kernels run
// inside the fused ops, timed around each call.
//
//   node scripts/profile-kernels.mjs [--workload lstm|cnn] [--backend wasm] [--norms none,batch,layer]
//        [--steps 20] [--batch 64 (lstm), 32 (cnn)] [--json]
//
// The products' floor (the matrix products alone, as scripts/profile-step.mjs --products does for
// the MLP) is the MatMul and BatchMatMul rows: everything else is dispatch, copies and pointwise work.

import {parseArgs} from 'node:util';
import * as lib from './lib.mjs';
import {benchWorkload} from './workloads.mjs';
import {softmaxCrossEntropyWithAccuracy} from '../dist/src/nn/loss.js';
import {profileInnerKernels} from '../dist/src/nn/fused.js';

const {values} = parseArgs({
  options: {
    workload: {type: 'string', default: 'lstm'},
    backend: {type: 'string', default: 'wasm'},
    norms: {type: 'string'},
    steps: {type: 'string', default: '20'},
    batch: {type: 'string'},
    json: {type: 'boolean', default: false},
  },
});
const WORKLOAD = values.workload;
if (!['lstm', 'cnn'].includes(WORKLOAD)) throw new Error(`--workload takes lstm or cnn, not ${WORKLOAD}`);
const LSTM = WORKLOAD === 'lstm';
const T = LSTM ? 28 : 1; // time steps a training step (the convnet has none: its rows show the step)
const B = Number(values.batch ?? (LSTM ? 64 : 32));
const NORMS = (values.norms ?? (LSTM ? 'none,batch,layer' : 'none,batch,group')).split(',');
const STEPS = Number(values.steps);
const {tf, Batcher, gatherBatch} = lib;
await lib.useBackend(values.backend);

function step(data, model, optimizer, vars, batcher) {
  const batch = gatherBatch(data.train, batcher.next());
  tf.tidy(() => {
    const x = tf.tensor2d(batch.x, [B, 784]);
    const y = tf.tensor1d(batch.y, 'int32');
    const {grads} = tf.variableGrads(() => softmaxCrossEntropyWithAccuracy(model.forward(x, {training: true, updateStats: true, step: 1}), y).loss, vars);
    optimizer.applyGradients(grads);
  });
}

const out = [];
for (const norm of NORMS) {
  const {data, model} = benchWorkload(lib, {workload: WORKLOAD, norm, batch: B});
  const vars = [...model.params.values()];
  const optimizer = tf.train.sgd(0.1);
  const batcher = new Batcher(data.train.n, B, 1);
  for (let i = 0; i < 5; i++) step(data, model, optimizer, vars, batcher);
  const times = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    step(data, model, optimizer, vars, batcher); // wasm and cpu run every kernel synchronously: the step is done
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const stepMs = times[Math.floor(times.length / 2)];
  const info = await tf.profile(() => step(data, model, optimizer, vars, batcher));
  const byName = new Map();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : Number(k.kernelTimeMs?.error ? 0 : k.kernelTimeMs ?? 0);
    const elements = (k.outputShapes ?? []).reduce((n, s) => n + (s ?? []).reduce((a, b) => a * b, 1), 0);
    const e = byName.get(k.name) ?? {kernel: k.name, count: 0, ms: 0, elements: 0};
    e.count++;
    e.ms += ms;
    e.elements += elements;
    byName.set(k.name, e);
  }
  // Gradient scopes and custom ops (customGrad's forward and backward) are profiled too, around the
  // kernels they run: only names the backend registers are kernels; the others are listed apart.
  const backendName = tf.getBackend();
  const isKernel = (name) => tf.getKernel(name, backendName) !== undefined;
  const kernels = [...byName.values()].filter((k) => isKernel(k.kernel)).sort((a, b) => b.ms - a.ms);
  const scopes = [...byName.values()].filter((k) => !isKernel(k.kernel)).sort((a, b) => b.ms - a.ms);
  const kernelMs = kernels.reduce((n, k) => n + k.ms, 0);
  const count = kernels.reduce((n, k) => n + k.count, 0);
  // Inside the fused ops (the recurrence, the norms, the loss): each backend kernel they run, timed
  // around the call, over INNER steps, per step.
  const INNER = 5;
  const timer = profileInnerKernels(true);
  const t0 = performance.now();
  for (let i = 0; i < INNER; i++) step(data, model, optimizer, vars, batcher);
  const innerStepMs = (performance.now() - t0) / INNER;
  profileInnerKernels(false);
  const inner = [...timer.entries()].map(([kernel, e]) => ({kernel, count: e.calls / INNER, ms: e.ms / INNER, elements: e.elements / INNER})).sort((a, b) => b.ms - a.ms);
  out.push({norm, step_ms: stepMs, kernels_per_step: count, kernel_ms: kernelMs, kernels, scopes, inner, inner_step_ms: innerStepMs});
  optimizer.dispose();
  model.dispose();
}

if (values.json) {
  console.log(JSON.stringify({workload: WORKLOAD, backend: values.backend, batch: B, ...(LSTM ? {T} : {}), runs: out}, null, 1));
} else {
  for (const r of out) {
    const perTimeStep = LSTM ? ` (${(r.kernels_per_step / T).toFixed(0)} a time step)` : '';
    console.log(`\n${WORKLOAD} ${r.norm}, batch ${B}, ${values.backend}: ${r.step_ms.toFixed(1)} ms a step (median of ${STEPS}) · ${r.kernels_per_step} kernels a step${perTimeStep} · ${r.kernel_ms.toFixed(1)} ms inside kernels under the profiler`);
    const ts = (count) => (LSTM ? (count / T).toFixed(1).padStart(12) : '');
    console.log(`  kernel                     a step${LSTM ? '  a time step' : ''}      ms   share   elements written`);
    for (const k of r.kernels.slice(0, 16)) {
      console.log(`  ${k.kernel.padEnd(24)} ${String(k.count).padStart(8)}${LSTM ? ' ' : ''}${ts(k.count)} ${k.ms.toFixed(2).padStart(7)} ${(100 * k.ms / r.kernel_ms).toFixed(1).padStart(6)} % ${String(k.elements).padStart(16)}`);
    }
    const rest = r.kernels.slice(16);
    if (rest.length) console.log(`  ${rest.length} other kinds: ${rest.reduce((n, k) => n + k.count, 0)} kernels, ${rest.reduce((n, k) => n + k.ms, 0).toFixed(2)} ms`);
    console.log(`  around them (not kernels: custom ops and gradient scopes, their time includes the kernels they ran): ${r.scopes.map((k) => `${k.kernel} ×${k.count} ${k.ms.toFixed(1)} ms`).join(', ')}`);
    const innerMs = r.inner.reduce((n, k) => n + k.ms, 0);
    const innerCount = r.inner.reduce((n, k) => n + k.count, 0);
    console.log(`  inside the fused ops (mean of 5 steps of ${r.inner_step_ms.toFixed(1)} ms, timed around each call): ${innerCount} kernels a step, ${innerMs.toFixed(1)} ms`);
    console.log(`  kernel                     a step${LSTM ? '  a time step' : ''}      ms  of step   elements written`);
    for (const k of r.inner.slice(0, 14)) {
      console.log(`  ${k.kernel.padEnd(24)} ${String(k.count).padStart(8)}${LSTM ? ' ' : ''}${ts(k.count)} ${k.ms.toFixed(2).padStart(7)} ${(100 * k.ms / r.inner_step_ms).toFixed(1).padStart(6)} % ${String(Math.round(k.elements)).padStart(16)}`);
    }
    const innerRest = r.inner.slice(14);
    if (innerRest.length) console.log(`  ${innerRest.length} other kinds: ${innerRest.reduce((n, k) => n + k.count, 0)} kernels, ${innerRest.reduce((n, k) => n + k.ms, 0).toFixed(2)} ms`);
  }
}
