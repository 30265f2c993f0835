#!/usr/bin/env node
// Are the stacked forms of a training step's ops bit for bit their unstacked ones? For each op,
// S replicates' random operands go through the stacked op once and through the unstacked op
// replicate by replicate; prints the largest absolute difference (0 = bitwise equal) and the
// time of each form. Build first (npx tsc -p .).
//
//   node scripts/stack-bitwise.mjs [--backend wasm] [--stack 3] [--batch 60]

import {parseArgs} from 'node:util';
import {resolve} from 'node:path';

const {values} = parseArgs({options: {backend: {type: 'string', default: 'wasm'}, stack: {type: 'string', default: '3'}, batch: {type: 'string', default: '60'}}});
const dist = resolve(import.meta.dirname, '../dist/src');
const {tf, useBackend, Rng, dense, standardise} = await import(`${dist}/index.js`);
const {stackedMatMul} = await import(`${dist}/stack/matmul.js`);
const {stackedStandardise} = await import(`${dist}/stack/standardise.js`);
const {softmaxCrossEntropyWithAccuracy, stackedSoftmaxCrossEntropyWithAccuracy} = await import(`${dist}/nn/loss.js`);
await useBackend(values.backend);
const S = Number(values.stack);
const B = Number(values.batch);
const rng = new Rng(1, 'stack-bitwise');
const random = (shape, scale = 1) => tf.tensor(Float32Array.from({length: shape.reduce((a, b) => a * b, 1)}, () => (2 * rng.uniform() - 1) * scale), shape);
const part = (t, s) => tf.tidy(() => tf.reshape(tf.slice(t, [s, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]), t.shape.slice(1)));
const flat = (ts) => ts.flatMap((t) => Array.from(t.dataSync()));

/** Max |stacked − unstacked| over each output, stacked outputs split by replicate. */
function compare(name, stacked, unstacked) {
  const outs = stacked();
  const per = Array.from({length: S}, (_, s) => unstacked(s));
  const diffs = outs.map((o, i) => {
    const a = Array.from(o.dataSync());
    const b = flat(per.map((p) => p[i]));
    if (a.length !== b.length) return Infinity;
    let m = 0;
    for (let j = 0; j < a.length; j++) m = Math.max(m, Object.is(a[j], b[j]) ? 0 : Math.abs(a[j] - b[j]) || Infinity);
    return m;
  });
  const time = (f, reps = 30) => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) tf.tidy(() => f()).forEach((t) => t.dataSync());
    return (performance.now() - t0) / reps;
  };
  const ts = time(stacked);
  const tu = time(() => Array.from({length: S}, (_, s) => unstacked(s)).flat());
  console.log(`${name.padEnd(44)} max diff ${diffs.map((d) => d.toExponential(1)).join(' / ').padEnd(28)} ${diffs.every((d) => d === 0) ? 'BITWISE' : 'differs'}   stacked ${ts.toFixed(3)} ms, ${S} unstacked ${tu.toFixed(3)} ms`);
}

const grad = (f, xs) => tf.grads(f)(xs);
console.log(`backend ${tf.getBackend()} · S ${S} · batch ${B}`);
for (const [inp, out] of [[784, 100], [100, 100], [100, 10]]) {
  const x = random([S, B, inp]);
  const w = random([S, inp, out], 0.1);
  const dy = random([S, B, out]);
  compare(`matMul ${inp}x${out} forward (per-replicate 2-D)`, () => [stackedMatMul(x, w)], (s) => [dense(part(x, s), part(w, s))]);
  compare(`matMul ${inp}x${out} gradients`, () => grad((a, b) => tf.mul(stackedMatMul(a, b), dy), [x, w]),
    (s) => grad((a, b) => tf.mul(dense(a, b), part(dy, s)), [part(x, s), part(w, s)]));
  compare(`rank-3 tf.matMul ${inp}x${out} (reference)`, () => [tf.matMul(x, w)], (s) => [tf.matMul(part(x, s), part(w, s))]);
}
const z = random([S, B, 100], 3);
const b = random([S, 1, 100]);
const dz = random([S, B, 100]);
compare('bias add [S,B,U]+[S,1,U] and its gradients', () => grad((a, c) => tf.mul(tf.add(a, c), dz), [z, b]),
  (s) => grad((a, c) => tf.mul(tf.add(a, c), part(dz, s)), [part(z, s), tf.reshape(part(b, s), [100])]));
for (const act of ['relu', 'sigmoid', 'tanh']) {
  compare(`${act} forward and gradient`, () => grad((a) => tf.mul(tf[act](a), dz), [z]).concat(tf[act](z)),
    (s) => grad((a) => tf.mul(tf[act](a), part(dz, s)), [part(z, s)]).concat(tf[act](part(z, s))));
}
const gamma = random([S, 1, 100]);
const beta = random([S, 1, 100]);
const unit = (t, s) => tf.reshape(part(t, s), [100]);
for (const [label, axis] of [['batch norm (axis 1)', 1], ['layer norm (axis 2)', 2]]) {
  compare(`${label} forward and gradients`, () => grad((a, g, c) => tf.mul(stackedStandardise(a, g, c, 1e-5, axis), dz), [z, gamma, beta]),
    (s) => grad((a, g, c) => tf.mul(standardise(a, g, c, 1e-5, axis - 1), part(dz, s)), [part(z, s), unit(gamma, s), unit(beta, s)]));
}
const mm = tf.variable(random([S, 1, 100]), false);
const mv = tf.variable(tf.abs(random([S, 1, 100])), false);
const m1 = Array.from({length: S}, (_, s) => tf.variable(unit(mm, s), false));
const v1 = Array.from({length: S}, (_, s) => tf.variable(unit(mv, s), false));
stackedStandardise(z, gamma, beta, 1e-5, 1, {mean: mm, variance: mv, momentum: 0.9});
for (let s = 0; s < S; s++) standardise(part(z, s), unit(gamma, s), unit(beta, s), 1e-5, 0, undefined, {mean: m1[s], variance: v1[s], momentum: 0.9});
compare('batch norm moving averages', () => [mm.clone(), mv.clone()], (s) => [m1[s].clone(), v1[s].clone()]);
const logits = random([S, B, 10], 5);
const labels = tf.tensor2d(Int32Array.from({length: S * B}, () => rng.int(10)), [S, B], 'int32');
compare('softmax-CE + accuracy: loss, correct', () => { const o = stackedSoftmaxCrossEntropyWithAccuracy(logits, labels); return [o.loss, o.correct]; },
  (s) => { const o = softmaxCrossEntropyWithAccuracy(part(logits, s), part(labels, s)); return [o.loss, o.correct]; });
compare('softmax-CE gradient', () => grad((l) => tf.sum(stackedSoftmaxCrossEntropyWithAccuracy(l, labels).loss), [logits]),
  (s) => grad((l) => softmaxCrossEntropyWithAccuracy(l, part(labels, s)).loss, [part(logits, s)]));
const c = tf.tensor3d(Array.from({length: S}, () => -0.1), [S, 1, 1]);
const w = random([S, 784, 100]);
const g = random([S, 784, 100], 0.01);
compare('SGD update θ + c·g, c [S,1,1] vs scalar', () => [tf.add(tf.mul(c, g), w)], (s) => [tf.add(tf.mul(tf.scalar(-0.1), part(g, s)), part(w, s))]);
