// The recurrence of an LSTM or RNN layer as one op with a hand-written backward pass through
// time: the same function as runLayer (src/models/rnn.ts), which autodiff differentiates, and
// which the tests hold this against. Autodiff records ~50 kernels per step and a tape entry for
// each; this forward pass saves what the backward needs and the backward is ~30 kernels a step,
// with the T products hᵀ·da for ∂L/∂W_h done as one matmul at the end. Each direction is one
// registered kernel (NormbenchRecurrence, NormbenchRecurrenceGrad) that calls the backend's own
// kernels directly (src/nn/fused.ts), so the engine sees two ops a layer, not ~1 400–3 400.
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
// statistics (evaluation) just γ·r. (Over the batch, Σ_B dx̂ and Σ_B dx̂·x̂ could come from the
// sums ∂L/∂β and ∂L/∂γ take, γ·Σ dy and γ·Σ dy·x̂, as the feed-forward BN's do: two sums a step
// fewer, ×1.05, but it rounds differently, and over 400 steps of the 49-step permuted task that
// moved rnn-normalization's BN-LSTM results by up to 0.1 in test loss: not taken.)

import * as tf from '../tf.js';
import type {ActivationName} from '../spec/names.js';
import {ensureFusedKernel, type KernelCalls} from './fused.js';

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

type Info = tf.TensorInfo;

/** What a step norm gives: y, and for the backward pass x̂ and r = 1/√(σ² + ε) (absent for `none`). */
interface Normed {
  y: Info;
  xhat?: Info;
  r?: Info;
  /** Training batch statistics of this step, [units], for `onStats`. */
  mean?: Info;
  variance?: Info;
}

/** The arithmetic of one step norm as the fused kernels see it: flags and ε, no tensors. */
interface NormAttrs {
  statistics: StepNorm['statistics'];
  gamma: boolean;
  beta: boolean;
  fixed: boolean;
  epsilon: number;
}

const normAttrs = (n: StepNorm): NormAttrs => ({statistics: n.statistics, gamma: !!n.gamma, beta: !!n.beta, fixed: !!n.fixed, epsilon: n.epsilon});

/**
 * The backend's kernels for the tf ops this recurrence used to call one by one (tf.add,
 * tf.moments, …), with the same operands in the same order, so every value is the same bits.
 * Inside one registered kernel they skip the engine's bookkeeping around each op.
 */
class Ops {
  private readonly scalars = new Map<number, Info>();

  constructor(readonly k: KernelCalls) {}

  /** A float32 scalar (what tf.add(x, 1e-5) or tf.sub(1, x) make of the number). */
  scalar(v: number): Info {
    const known = this.scalars.get(v);
    if (known) return known;
    const s = this.k.constant([v], []);
    this.scalars.set(v, s);
    return s;
  }

  add = (a: Info, b: Info) => this.k.run(tf.Add, {a, b});
  sub = (a: Info, b: Info) => this.k.run(tf.Sub, {a, b});
  mul = (a: Info, b: Info) => this.k.run(tf.Multiply, {a, b});
  div = (a: Info, b: Info) => this.k.run(tf.RealDiv, {a, b});
  square = (x: Info) => this.k.run(tf.Square, {x});
  sigmoid = (x: Info) => this.k.run(tf.Sigmoid, {x});
  tanh = (x: Info) => this.k.run(tf.Tanh, {x});
  rsqrt = (x: Info) => this.k.run(tf.Rsqrt, {x});
  matMul = (a: Info, b: Info) => this.k.run(tf.BatchMatMul, {a, b}, {transposeA: false, transposeB: false});
  transpose = (x: Info) => this.k.run(tf.Transpose, {x}, {perm: [1, 0]});
  mean = (x: Info, axis: number) => this.k.run(tf.Mean, {x}, {axis: [axis], keepDims: true});
  sum = (x: Info, axis: number, keepDims: boolean) => this.k.run(tf.Sum, {x}, {axis, keepDims});
  concat = (xs: Info[], axis: number) => this.k.run(tf.Concat, xs as unknown as Record<string, Info>, {axis});
  pack = (xs: Info[], axis: number) => this.k.run(tf.Pack, xs as unknown as Record<string, Info>, {axis});
  addN = (xs: Info[]) => this.k.run(tf.AddN, xs as unknown as Record<string, Info>);
  zeros = (shape: number[]) => this.k.constant(new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0), shape);
  /** 1 − x, as tf.sub(1, x). */
  oneMinus = (x: Info) => this.sub(this.scalar(1), x);

  /** A step norm's x̂ (tf.moments, then (x − μ)·r), or x itself for `none`. */
  normForward(n: NormAttrs, x: Info, t: number, fixed?: {mean: Info; variance: Info}): Normed {
    if (n.statistics === 'none') return {y: x};
    let xhat: Info;
    let r: Info;
    let stats: {mean: Info; variance: Info} | undefined;
    if (fixed) {
      const units = x.shape[1]!;
      const mean = this.k.run(tf.Slice, {x: fixed.mean}, {begin: [t, 0], size: [1, units]});
      r = this.rsqrt(this.add(this.k.run(tf.Slice, {x: fixed.variance}, {begin: [t, 0], size: [1, units]}), this.scalar(n.epsilon)));
      xhat = this.mul(this.sub(x, mean), r);
    } else {
      // tf.moments(x, axis, true): the mean, then the mean of the squared deviations (its cast
      // of float32 to float32 is a copy, left out).
      const axis = n.statistics === 'batch' ? 0 : 1;
      const mean = this.mean(x, axis);
      // x − μ: the moments' kernel on the same operands, reused for x̂.
      const centred = this.sub(x, mean);
      const variance = this.mean(this.square(centred), axis);
      const flat = [x.shape[1 - axis]!];
      stats = {mean: this.k.reshaped(mean, flat), variance: this.k.reshaped(variance, flat)};
      r = this.rsqrt(this.add(variance, this.scalar(n.epsilon)));
      xhat = this.mul(centred, r);
    }
    return {y: xhat, xhat, r, ...stats};
  }

  /** γ·y + β of a normalised step (γ, β where the norm has them). */
  affine(n: NormAttrs, normed: Normed, gamma: Info, beta: Info): Info {
    let y = normed.y;
    if (n.statistics === 'none') return y;
    if (n.gamma) y = this.mul(y, gamma);
    if (n.beta) y = this.add(y, beta);
    return y;
  }

  /** ∂L/∂x of a step norm from ∂L/∂y, and the contributions to ∂L/∂γ, ∂L/∂β. */
  normBackward(n: NormAttrs, dy: Info, xhat: Info | undefined, r: Info | undefined, gamma: Info): {dx: Info; dgamma?: Info; dbeta?: Info} {
    if (n.statistics === 'none') return {dx: dy};
    const dgamma = n.gamma ? this.sum(this.mul(dy, xhat!), 0, false) : undefined;
    const dbeta = n.beta ? this.sum(dy, 0, false) : undefined;
    const dxhat = n.gamma ? this.mul(dy, gamma) : dy;
    if (n.fixed) return {dx: this.mul(dxhat, r!), dgamma, dbeta};
    const axis = n.statistics === 'batch' ? 0 : 1;
    const count = dy.shape[axis]!;
    const s1 = this.sum(dxhat, axis, true);
    const s2 = this.sum(this.mul(dxhat, xhat!), axis, true);
    const dx = this.mul(this.div(r!, this.scalar(count)), this.sub(this.sub(this.mul(dxhat, this.scalar(count)), s1), this.mul(xhat!, s2)));
    return {dx, dgamma, dbeta};
  }

  /** φ(z) of an RNN (a tensor of its own even for the identity, so that z and h are saved apart). */
  activation(activation: ActivationName, z: Info): Info {
    switch (activation) {
      case 'tanh':
        return this.tanh(z);
      case 'sigmoid':
        return this.sigmoid(z);
      case 'relu':
        return this.k.run(tf.Relu, {x: z});
      case 'identity':
        return this.k.reshaped(z, z.shape);
    }
  }

  /** φ'(z) of an RNN, from h = φ(z) (and z for relu). */
  activationDerivative(activation: ActivationName, h: Info, z: Info): Info {
    switch (activation) {
      case 'tanh':
        return this.oneMinus(this.square(h));
      case 'sigmoid':
        return this.mul(h, this.oneMinus(h));
      case 'relu':
        return this.k.run(tf.Cast, {x: this.k.run(tf.Greater, {a: z, b: this.scalar(0)})}, {dtype: 'float32'});
      case 'identity':
        return this.k.run(tf.OnesLike, {x: h});
    }
  }
}

/** What the fused kernels are told of a recurrence: its shape and arithmetic, no tensors. */
interface RecurrenceAttrs {
  kind: 'lstm' | 'rnn';
  units: number;
  activation: ActivationName;
  h: NormAttrs;
  c: NormAttrs;
  /** Whether each step's batch statistics are returned (for moving averages). */
  statsH: boolean;
  statsC: boolean;
}

/**
 * Tensors saved per step: h_{t−1} and the recurrent norm's x̂ and r, then the cell's (LSTM:
 * c_{t−1}, i, f, g, o, k and the cell norm's x̂ and r; RNN: z, h).
 */
function savedPerStep(a: RecurrenceAttrs): {perH: number; perCell: number} {
  const perH = a.h.statistics === 'none' ? 1 : 3;
  const perCell = a.kind === 'lstm' ? 6 + (a.c.statistics === 'none' ? 0 : 2) : 2;
  return {perH, perCell};
}

/**
 * The forward pass over all T steps as one kernel. Outputs: every h_t as [B, T, H]; the saved
 * tensors of every step; and, when asked, each step's batch statistics (mean and variance of the
 * recurrent norm, then of the cell norm).
 */
function forwardKernel(k: KernelCalls, inputs: Record<string, Info>, attrs: RecurrenceAttrs): Info[] {
  const o = new Ops(k);
  const {zx, kernelH, bias, h0, gh, gc, bc} = inputs as Record<string, Info>;
  const [b, steps, width] = zx!.shape as [number, number, number];
  const units = attrs.units;
  const lstm = attrs.kind === 'lstm';
  const fixedH = attrs.h.fixed ? {mean: inputs.hMean!, variance: inputs.hVariance!} : undefined;
  const fixedC = attrs.c.fixed ? {mean: inputs.cMean!, variance: inputs.cVariance!} : undefined;
  // h₀ is an input: what is saved of it is a second reference of its own, not h₀'s tensor.
  let h = k.reshaped(h0!, h0!.shape);
  let c = o.zeros([b, units]);
  const hs: Info[] = [];
  const keep: Info[] = [];
  const stats: Info[] = [];
  for (let t = 0; t < steps; t++) {
    const zxt = k.columns(zx!, [t * width], width)[0]!;
    const an = o.normForward(attrs.h, o.matMul(h, kernelH!), t, fixedH);
    const z = o.add(o.add(zxt, o.affine(attrs.h, an, gh!, gh!)), bias!);
    keep.push(h, ...(an.xhat ? [an.xhat, an.r!] : []));
    if (attrs.statsH) stats.push(an.mean!, an.variance!);
    if (lstm) {
      const [zi, zf, zg, zo] = k.columns(z, [0, units, 2 * units, 3 * units], units) as [Info, Info, Info, Info];
      const i = o.sigmoid(zi);
      const f = o.sigmoid(zf);
      const g = o.tanh(zg);
      const og = o.sigmoid(zo);
      const cPrev = c;
      c = o.add(o.mul(f, cPrev), o.mul(i, g));
      const nc = o.normForward(attrs.c, c, t, fixedC);
      const kk = o.tanh(o.affine(attrs.c, nc, gc!, bc!));
      h = o.mul(og, kk);
      keep.push(cPrev, i, f, g, og, kk, ...(nc.xhat ? [nc.xhat, nc.r!] : []));
      if (attrs.statsC) stats.push(nc.mean!, nc.variance!);
    } else {
      h = o.activation(attrs.activation, z);
      keep.push(z, h);
    }
    hs.push(h);
  }
  // An RNN's h_t is saved twice (its step's output, the next step's h_{t−1}): each output must be
  // a reference of its own, or the engine would count one reference for two tensors.
  const seen = new Set<Info>();
  const outs = keep.map((x) => (seen.has(x) ? k.reshaped(x, x.shape) : (seen.add(x), x)));
  return k.done([o.pack(hs, 1), ...outs, ...stats]);
}

/** The backward pass through time as one kernel: ∂L/∂ zx, W_h, b, h₀, γ_h, γ_c, β_c from dy and the saved tensors (inputs s0, s1, …). */
function backwardKernel(k: KernelCalls, inputs: Record<string, Info>, attrs: RecurrenceAttrs): Info[] {
  const o = new Ops(k);
  const {dy, kernelH, gh, gc, bc} = inputs as Record<string, Info>;
  const [b, steps] = dy!.shape as [number, number, number];
  const units = attrs.units;
  const lstm = attrs.kind === 'lstm';
  const width = (lstm ? 4 : 1) * units;
  const saved = (j: number) => inputs[`s${j}`]!;
  const kernelHT = o.transpose(kernelH!);
  let dhNext = o.zeros([b, units]);
  let dcNext = o.zeros([b, units]);
  const dzs: Info[] = new Array<Info>(steps);
  const das: Info[] = new Array<Info>(steps);
  const hPrevs: Info[] = new Array<Info>(steps);
  const dgh: Info[] = [];
  const dgc: Info[] = [];
  const dbc: Info[] = [];
  const {perH, perCell} = savedPerStep(attrs);
  const stride = perH + perCell;
  const normedC = attrs.c.statistics !== 'none';
  const sig = (x: Info) => o.mul(x, o.oneMinus(x));
  for (let t = steps - 1; t >= 0; t--) {
    const at = t * stride;
    const hPrev = saved(at);
    const dh = o.add(k.columns(dy!, [t * units], units)[0]!, dhNext);
    let dz: Info;
    if (lstm) {
      const [cPrev, i, f, g, og, kk] = [0, 1, 2, 3, 4, 5].map((j) => saved(at + perH + j)) as [Info, Info, Info, Info, Info, Info];
      const dOut = o.mul(dh, kk);
      const dnc = o.mul(o.mul(dh, og), o.oneMinus(o.square(kk)));
      const cb = o.normBackward(attrs.c, dnc, normedC ? saved(at + perH + 6) : undefined, normedC ? saved(at + perH + 7) : undefined, gc!);
      if (cb.dgamma) dgc.push(cb.dgamma);
      if (cb.dbeta) dbc.push(cb.dbeta);
      const dc = o.add(cb.dx, dcNext);
      dcNext = o.mul(dc, f);
      dz = o.concat([o.mul(o.mul(dc, g), sig(i)), o.mul(o.mul(dc, cPrev), sig(f)), o.mul(o.mul(dc, i), o.oneMinus(o.square(g))), o.mul(dOut, sig(og))], 1);
    } else {
      dz = o.mul(dh, o.activationDerivative(attrs.activation, saved(at + perH + 1), saved(at + perH)));
    }
    const hb = o.normBackward(attrs.h, dz, perH === 3 ? saved(at + 1) : undefined, perH === 3 ? saved(at + 2) : undefined, gh!);
    if (hb.dgamma) dgh.push(hb.dgamma);
    dzs[t] = dz;
    das[t] = hb.dx;
    hPrevs[t] = hPrev;
    dhNext = o.matMul(hb.dx, kernelHT);
  }
  const dzx = o.pack(dzs, 1);
  const dKernelH = o.matMul(o.transpose(o.concat(hPrevs, 0)), o.concat(das, 0));
  const dBias = o.sum(k.reshaped(dzx, [b * steps, width]), 0, false);
  // The stand-ins for absent γ / β get zeros of their shape.
  const total = (list: Info[], like: Info) => (list.length ? o.addN(list) : o.zeros(like.shape));
  return k.done([dzx, dKernelH, dBias, dhNext, total(dgh, gh!), total(dgc, gc!), total(dbc, bc!)]);
}

const FORWARD = 'NormbenchRecurrence';
const BACKWARD = 'NormbenchRecurrenceGrad';

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

/** Every h_t of the layer, [B, T, H], differentiable with respect to zx, W_h, b, h₀ and the plan's γ and β. */
export function recurrence(inp: RecurrenceInputs): tf.Tensor3D {
  const {kind, units, plan} = inp;
  const [, steps] = inp.zx.shape;
  if (plan.h.beta) throw new Error('the recurrent projection\'s step norm takes no β (the layer\'s bias is its shift)');
  const attrs: RecurrenceAttrs = {
    kind,
    units,
    activation: inp.activation,
    h: normAttrs(plan.h),
    c: normAttrs(plan.c),
    statsH: !!plan.h.onStats && plan.h.statistics !== 'none' && !plan.h.fixed,
    statsC: !!plan.c.onStats && plan.c.statistics !== 'none' && !plan.c.fixed,
  };
  ensureFusedKernel(FORWARD, (k, inputs, a) => forwardKernel(k, inputs, a as unknown as RecurrenceAttrs));
  ensureFusedKernel(BACKWARD, (k, inputs, a) => backwardKernel(k, inputs, a as unknown as RecurrenceAttrs));
  const {perH, perCell} = savedPerStep(attrs);
  const nSaved = steps * (perH + perCell);
  const fixed: tf.NamedTensorMap = {
    ...(plan.h.fixed ? {hMean: plan.h.fixed.mean, hVariance: plan.h.fixed.variance} : {}),
    ...(plan.c.fixed ? {cMean: plan.c.fixed.mean, cVariance: plan.c.fixed.variance} : {}),
  };
  // customGrad takes tensors only: absent γ / β are stood in for, and their gradients dropped.
  const stand = (x?: tf.Tensor1D, n = 1) => x ?? tf.zeros([n]);
  const op = tf.customGrad(((zx: tf.Tensor3D, kernelH: tf.Tensor2D, bias: tf.Tensor1D, h0: tf.Tensor2D, gh: tf.Tensor1D, gc: tf.Tensor1D, bc: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const outs = tf.engine().runKernel(FORWARD, {zx, kernelH, bias, h0, gh, gc, bc, ...fixed}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const stats = outs.slice(1 + nSaved);
    let at = 0;
    for (let t = 0; t < steps; t++) {
      if (attrs.statsH) plan.h.onStats!(t, stats[at++] as tf.Tensor1D, stats[at++] as tf.Tensor1D, zx.shape[0]);
      if (attrs.statsC) plan.c.onStats!(t, stats[at++] as tf.Tensor1D, stats[at++] as tf.Tensor1D, zx.shape[0]);
    }
    save(outs.slice(1, 1 + nSaved));
    return {
      value: outs[0] as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
        const inputs: tf.NamedTensorMap = {dy, kernelH, gh, gc, bc};
        saved.forEach((s, j) => (inputs[`s${j}`] = s));
        return tf.engine().runKernel(BACKWARD, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (...x: tf.Tensor[]) => tf.Tensor3D;
  return op(inp.zx, inp.kernelH, inp.bias, inp.h0, stand(plan.h.gamma, inp.zx.shape[2]), stand(plan.c.gamma, units), stand(plan.c.beta, units));
}
