// The recurrence of an LSTM or RNN layer as one op with a hand-written backward pass through
// time: the same function as runLayer (src/models/rnn.ts), which autodiff differentiates, and
// which the tests hold this against. Autodiff records ~50 kernels per step and a tape entry for
// each; this forward pass saves what the backward needs and the backward is ~30 kernels a step,
// with the T products hᵀ·da for ∂L/∂W_h done as one matmul at the end.
//
// Inputs: zx [B, T, G·H] (the input projections, already normalised), W_h [H, G·H], b [G·H], h₀.
// Per step, with N_h and N_c the per-step norms of the plan (statistics over nothing, the batch or
// each example — the plan describes the arithmetic, not which norm asked for it — each with a
// gain γ and, for the cell, a shift β):
//   a = h_{t−1}·W_h,  z = zx_t + N_h(a) + b
//   LSTM (gates i, f, g, o): c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g),  k = tanh(N_c(c_t)),  h_t = σ(o)⊙k
//   RNN: h_t = φ(z)
// Backward, from ∂L/∂h_t of every output (dH) and t = T−1 down to 0 (δ = ∂L/∂ of what follows):
//   δh = dH_t + δh_next;  LSTM: δo = δh⊙k, δN_c = δh⊙σ(o)⊙(1 − k²), δc = N_c'(δN_c) + δc_next,
//   δi = δc⊙tanh(g), δg = δc⊙σ(i), δf = δc⊙c_{t−1}, δc_next = δc⊙σ(f), δz = [δi·i(1−i), δf·f(1−f),
//   δg·(1−g²), δo·o(1−o)];  RNN: δz = δh⊙φ'(z)
//   δzx_t = δz;  δa = N_h'(δz);  δh_next = δa·W_hᵀ;  ∂L/∂W_h = Σ_t h_{t−1}ᵀ·δa_t;  ∂L/∂b = Σ δz
// N' is the closed-form gradient of standardisation (src/norms/normalise.ts), with fixed
// statistics (evaluation) just γ·r.

import * as tf from '../tf.js';
import type {ActivationName} from '../spec/names.js';
import {ensureFusedKernel} from './fused.js';

const COLUMNS = 'NormbenchColumns';

/** Blocks of columns of x ([rows, …] seen as [rows, n]), each [rows, width]: one kernel for all of them (KernelCalls.columns). */
function columns(x: tf.Tensor, starts: number[], width: number): tf.Tensor2D[] {
  ensureFusedKernel(COLUMNS, (k, inputs, attrs) => k.done(k.columns(inputs.x!, attrs.starts as number[], attrs.width as number)));
  const out = tf.engine().runKernel(COLUMNS, {x}, {starts, width} as unknown as tf.NamedAttrMap);
  return (Array.isArray(out) ? out : [out]) as tf.Tensor2D[];
}

/** How one quantity (the recurrent projection, or the cell) is normalised at every step. */
export interface StepNorm {
  /** Standardise over nothing, over the batch (per unit), or over each example's units. */
  statistics: 'none' | 'batch' | 'example';
  gamma?: tf.Tensor1D;
  beta?: tf.Tensor1D;
  epsilon: number;
  /** Batch norm at evaluation: the statistics of each step, [T, units]. */
  fixed?: {mean: tf.Tensor2D; variance: tf.Tensor2D};
  /** Batch norm in training: sees each step's batch mean and biased variance (for moving averages). */
  onStats?(t: number, mean: tf.Tensor1D, variance: tf.Tensor1D, count: number): void;
}

export interface RecurrencePlan {
  h: StepNorm;
  c: StepNorm;
}

export interface RecurrenceInputs {
  kind: 'lstm' | 'rnn';
  units: number;
  /** φ of an RNN. */
  activation: ActivationName;
  zx: tf.Tensor3D;
  kernelH: tf.Tensor2D;
  bias: tf.Tensor1D;
  h0: tf.Tensor2D;
  plan: RecurrencePlan;
}

interface Normed {
  y: tf.Tensor2D;
  /** What the backward pass needs: x̂ and r = 1/√(σ² + ε) (undefined for `none`). */
  xhat?: tf.Tensor2D;
  r?: tf.Tensor;
}

function normForward(n: StepNorm, x: tf.Tensor2D, t: number): Normed {
  if (n.statistics === 'none') return {y: x};
  let xhat: tf.Tensor2D;
  let r: tf.Tensor;
  if (n.fixed) {
    const mean = tf.slice(n.fixed.mean, [t, 0], [1, -1]);
    r = tf.rsqrt(tf.add(tf.slice(n.fixed.variance, [t, 0], [1, -1]), n.epsilon));
    xhat = tf.mul(tf.sub(x, mean), r) as tf.Tensor2D;
  } else {
    const {mean, variance} = tf.moments(x, n.statistics === 'batch' ? 0 : 1, true);
    if (n.onStats) n.onStats(t, tf.reshape(mean, [-1]) as tf.Tensor1D, tf.reshape(variance, [-1]) as tf.Tensor1D, x.shape[0]);
    r = tf.rsqrt(tf.add(variance, n.epsilon));
    xhat = tf.mul(tf.sub(x, mean), r) as tf.Tensor2D;
  }
  let y: tf.Tensor2D = xhat;
  if (n.gamma) y = tf.mul(y, n.gamma);
  if (n.beta) y = tf.add(y, n.beta);
  return {y, xhat, r};
}

/** ∂L/∂x of a step norm from ∂L/∂y, and the contributions to ∂L/∂γ, ∂L/∂β. */
function normBackward(n: StepNorm, dy: tf.Tensor2D, saved: Normed): {dx: tf.Tensor2D; dgamma?: tf.Tensor1D; dbeta?: tf.Tensor1D} {
  if (n.statistics === 'none') return {dx: dy};
  const xhat = saved.xhat!;
  const r = saved.r!;
  const dgamma = n.gamma ? (tf.sum(tf.mul(dy, xhat), 0) as tf.Tensor1D) : undefined;
  const dbeta = n.beta ? (tf.sum(dy, 0) as tf.Tensor1D) : undefined;
  const dxhat = n.gamma ? (tf.mul(dy, n.gamma) as tf.Tensor2D) : dy;
  if (n.fixed) return {dx: tf.mul(dxhat, r) as tf.Tensor2D, dgamma, dbeta};
  const axis = n.statistics === 'batch' ? 0 : 1;
  const count = dy.shape[axis];
  const s1 = tf.sum(dxhat, axis, true);
  const s2 = tf.sum(tf.mul(dxhat, xhat), axis, true);
  const dx = tf.mul(tf.div(r, count), tf.sub(tf.sub(tf.mul(dxhat, count), s1), tf.mul(xhat, s2))) as tf.Tensor2D;
  return {dx, dgamma, dbeta};
}

/** φ'(z) of an RNN, from h = φ(z) (and z for relu). */
function activationDerivative(activation: ActivationName, h: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor2D {
  switch (activation) {
    case 'tanh':
      return tf.sub(1, tf.square(h)) as tf.Tensor2D;
    case 'sigmoid':
      return tf.mul(h, tf.sub(1, h)) as tf.Tensor2D;
    case 'relu':
      return tf.cast(tf.greater(z, 0), 'float32') as tf.Tensor2D;
    case 'identity':
      return tf.onesLike(h);
  }
}

/**
 * Step t of x [B, T, W] as [B, W]. On the wasm backend tf.slice and tf.unstack copy their whole
 * input out of wasm memory on every call (readSync), which made taking T steps apart O(T²), and
 * tf.gather costs ~0.5 ms a call; the step is columns [t·W, (t+1)·W) of x seen as [B, T·W], one
 * copy per example through views of the heap (`columns`). Its gradient puts ∂L/∂step back in
 * place with a pad.
 */
export function stepOf(x: tf.Tensor3D, t: number): tf.Tensor2D {
  const [b, steps, w] = x.shape;
  const op = tf.customGrad(((xs: tf.Tensor3D) => ({
    value: columns(xs, [t * w], w)[0]!,
    gradFunc: (dy: tf.Tensor2D) => tf.pad(tf.reshape(dy, [b, 1, w]), [[0, 0], [t, steps - 1 - t], [0, 0]]),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor3D) => tf.Tensor2D;
  return op(x);
}

/** The four gate blocks (i, f, g, o) of z [B, 4H], in one kernel for the same reason (used inside the fused op, not differentiated). */
export function gatesOf(z: tf.Tensor2D, units: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  return columns(z, [0, units, 2 * units, 3 * units], units) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

const ACT: Record<ActivationName, (z: tf.Tensor2D) => tf.Tensor2D> = {
  tanh: (z) => tf.tanh(z),
  sigmoid: (z) => tf.sigmoid(z),
  relu: (z) => tf.relu(z),
  identity: (z) => z,
};

/** Every h_t of the layer, [B, T, H], differentiable with respect to zx, W_h, b, h₀ and the plan's γ and β. */
export function recurrence(inp: RecurrenceInputs): tf.Tensor3D {
  const {kind, units, plan} = inp;
  const [b, steps, width] = inp.zx.shape;
  const lstm = kind === 'lstm';
  // customGrad takes tensors only: absent γ / β are stood in for, and their gradients dropped.
  const stand = (x?: tf.Tensor1D, n = 1) => x ?? tf.zeros([n]);
  const op = tf.customGrad(((zx: tf.Tensor3D, kernelH: tf.Tensor2D, bias: tf.Tensor1D, h0: tf.Tensor2D, gh: tf.Tensor1D, gc: tf.Tensor1D, bc: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const planH: StepNorm = {...plan.h, gamma: plan.h.gamma ? gh : undefined};
    const planC: StepNorm = {...plan.c, gamma: plan.c.gamma ? gc : undefined, beta: plan.c.beta ? bc : undefined};
    let h = h0;
    let c: tf.Tensor2D = tf.zeros([b, units]);
    const hs: tf.Tensor2D[] = [];
    const keep: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const a = normForward(planH, tf.matMul(h, kernelH), t);
      const z = tf.add(tf.add(stepOf(zx, t), a.y), bias) as tf.Tensor2D;
      keep.push(h, ...(a.xhat ? [a.xhat, a.r!] : []));
      if (lstm) {
        const [zi, zf, zg, zo] = gatesOf(z, units);
        const i = tf.sigmoid(zi!);
        const f = tf.sigmoid(zf!);
        const g = tf.tanh(zg!);
        const o = tf.sigmoid(zo!);
        const cPrev = c;
        c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D;
        const nc = normForward(planC, c, t);
        const k = tf.tanh(nc.y);
        h = tf.mul(o, k) as tf.Tensor2D;
        keep.push(cPrev, i, f, g, o, k, ...(nc.xhat ? [nc.xhat, nc.r!] : []));
      } else {
        h = ACT[inp.activation](z);
        keep.push(z, h);
      }
      hs.push(h);
    }
    save(keep);
    return {
      value: tf.stack(hs, 1) as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
        const kernelHT = tf.transpose(kernelH);
        let dhNext: tf.Tensor2D = tf.zeros([b, units]);
        let dcNext: tf.Tensor2D = tf.zeros([b, units]);
        const dzs: tf.Tensor2D[] = new Array(steps);
        const das: tf.Tensor2D[] = new Array(steps);
        const hPrevs: tf.Tensor2D[] = new Array(steps);
        const dgh: tf.Tensor1D[] = [];
        const dgc: tf.Tensor1D[] = [];
        const dbc: tf.Tensor1D[] = [];
        // The saved tensors of each step, in the order they were pushed.
        const perH = planH.statistics === 'none' ? 1 : 3;
        const perCell = lstm ? 6 + (planC.statistics === 'none' ? 0 : 2) : 2;
        const stride = perH + perCell;
        for (let t = steps - 1; t >= 0; t--) {
          const at = t * stride;
          const hPrev = saved[at] as tf.Tensor2D;
          const savedH: Normed = {y: hPrev, xhat: saved[at + 1] as tf.Tensor2D, r: saved[at + 2]};
          const dh = tf.add(stepOf(dy, t), dhNext) as tf.Tensor2D;
          let dz: tf.Tensor2D;
          if (lstm) {
            const [cPrev, i, f, g, o, k] = saved.slice(at + perH, at + perH + 6) as tf.Tensor2D[];
            const savedC: Normed = {y: cPrev!, xhat: saved[at + perH + 6] as tf.Tensor2D, r: saved[at + perH + 7]};
            const dOut = tf.mul(dh, k!);
            const dnc = tf.mul(tf.mul(dh, o!), tf.sub(1, tf.square(k!))) as tf.Tensor2D;
            const cb = normBackward(planC, dnc, savedC);
            if (cb.dgamma) dgc.push(cb.dgamma);
            if (cb.dbeta) dbc.push(cb.dbeta);
            const dc = tf.add(cb.dx, dcNext);
            dcNext = tf.mul(dc, f!) as tf.Tensor2D;
            const sig = (x: tf.Tensor2D) => tf.mul(x, tf.sub(1, x));
            dz = tf.concat([
              tf.mul(tf.mul(dc, g!), sig(i!)),
              tf.mul(tf.mul(dc, cPrev!), sig(f!)),
              tf.mul(tf.mul(dc, i!), tf.sub(1, tf.square(g!))),
              tf.mul(dOut, sig(o!)),
            ], 1) as tf.Tensor2D;
          } else {
            const [z, h] = saved.slice(at + perH, at + perH + 2) as tf.Tensor2D[];
            dz = tf.mul(dh, activationDerivative(inp.activation, h!, z!)) as tf.Tensor2D;
          }
          const hb = normBackward(planH, dz, savedH);
          if (hb.dgamma) dgh.push(hb.dgamma);
          dzs[t] = dz;
          das[t] = hb.dx;
          hPrevs[t] = hPrev;
          dhNext = tf.matMul(hb.dx, kernelHT) as tf.Tensor2D;
        }
        const dzx = tf.stack(dzs, 1) as tf.Tensor3D;
        const dKernelH = tf.matMul(tf.transpose(tf.concat(hPrevs, 0)), tf.concat(das, 0));
        const dBias = tf.sum(tf.reshape(dzx, [b * steps, width]), 0);
        // The stand-ins for absent γ / β may be gone by now: zeros of their shape, not zerosLike.
        const total = (list: tf.Tensor1D[], like: tf.Tensor1D) => (list.length ? tf.addN(list) : tf.zeros(like.shape));
        return [dzx, dKernelH, dBias, dhNext, total(dgh, gh), total(dgc, gc), total(dbc, bc)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (...x: tf.Tensor[]) => tf.Tensor3D;
  return op(inp.zx, inp.kernelH, inp.bias, inp.h0, stand(plan.h.gamma, width), stand(plan.c.gamma, units), stand(plan.c.beta, units));
}
