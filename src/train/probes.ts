// Diagnostics recorded at step 0 and every evaluation point, chosen per experiment (`probes:`).
// None of them changes the training trajectory: they run in evaluation mode, or in training
// mode without updating any statistic, on fixed batches, and draw no random number.
//
//   activation_percentiles  the 15th, 50th and 85th percentile of the input to each hidden
//                           layer's nonlinearity — the norm's output (placement pre), the dense
//                           layer's (post) — pooled over the layer's units and a fixed batch of
//                           test examples, in evaluation mode (Ioffe & Szegedy 2015, Fig. 1b–c);
//                           on a conv block over its channels and positions, the batch a model's
//                           `probeExamples` (a convnet: fewer, its maps are large)
//                           → probes activation_p15, _p50, _p85
//   dead_units              ReLU only: the fraction of a layer's units whose input is ≤ 0 for
//                           every example of that batch (on a conv block: the fraction of
//                           channels ≤ 0 at every position of every example)
//   saturation              sigmoid and tanh only: the fraction of a layer's inputs beyond the
//                           saturation threshold, |z| > 4 for sigmoid (σ'(4) < 0.018) and |z| > 2
//                           for tanh (tanh'(2) < 0.071)
//   grad_norms              ‖∂L/∂θ‖ of every parameter (kernels, biases, γ, β, g), on a fixed
//                           training batch, in training mode without updating statistics and
//                           without dropout (a pass with no step drops nothing)
//   param_norms             ‖θ‖ of every parameter (the dense biases among them: Ioffe &
//                           Szegedy §2's bias that grows without bound)
// gradient_flow (recurrent models) lives in the trainer and has its own file.

import * as tf from '../tf.js';
import {ACTIVATION_PROBES, type ActivationName, type ProbeName} from '../spec/names.js';
import type {ProbeValue} from '../spec/records.js';
import {leadingBatch} from '../data/batcher.js';
import {targetTensor} from '../nn/loss.js';
import type {Dataset, Task} from '../data/types.js';
import type {Model} from '../models/types.js';


/** Test examples in the fixed batch of the activation probes. */
const PROBE_EXAMPLES = 1000;

const SATURATION: Partial<Record<ActivationName, number>> = {sigmoid: 4, tanh: 2};

/** The p-th percentile of sorted values (linear interpolation between ranks, as numpy's default). */
export function percentile(sorted: Float32Array, p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

function activationProbes(model: Model, data: Dataset, probes: readonly ProbeName[], activation: ActivationName): ProbeValue[] {
  const n = Math.min(model.probeExamples ?? PROBE_EXAMPLES, data.test.n);
  const width = data.test.width;
  const layers = tf.tidy(() => model.preActivations!(tf.tensor2d(data.test.x.subarray(0, n * width), [n, width])).map((l) => ({layer: l.layer, z: tf.keep(l.z)})));
  const out: ProbeValue[] = [];
  for (const {layer, z} of layers) {
    const values = z.dataSync() as Float32Array;
    // Units: the last axis (a dense layer's units, a conv block's channels); every other axis is a sample of them.
    const units = z.shape[z.rank - 1]!;
    z.dispose();
    if (probes.includes('activation_percentiles')) {
      const sorted = Float32Array.from(values).sort();
      for (const p of [15, 50, 85]) out.push({probe: `activation_p${p}`, layer, value: percentile(sorted, p)});
    }
    if (probes.includes('dead_units') && activation === 'relu') {
      let dead = 0;
      for (let u = 0; u < units; u++) {
        let alive = false;
        for (let i = u; i < values.length && !alive; i += units) alive = values[i]! > 0;
        if (!alive) dead++;
      }
      out.push({probe: 'dead_units', layer, value: dead / units});
    }
    const threshold = SATURATION[activation];
    if (probes.includes('saturation') && threshold !== undefined) {
      let saturated = 0;
      for (const v of values) if (Math.abs(v) > threshold) saturated++;
      out.push({probe: 'saturation', layer, value: saturated / values.length});
    }
  }
  return out;
}

function gradientNorms(model: Model, data: Dataset, batch: number, loss: (output: tf.Tensor2D, y: tf.Tensor, task: Task, classes: number) => tf.Scalar): ProbeValue[] {
  const n = Math.min(batch, data.train.n);
  const {x, y} = leadingBatch(data.train, n);
  const names = [...model.params.keys()];
  const norms = tf.tidy(() => {
    const xs = tf.tensor2d(x, [n, data.train.width]);
    const ys = targetTensor(y, data.task);
    const {grads} = tf.variableGrads(() => loss(model.forward(xs, {training: true, updateStats: false}), ys, data.task, data.classes), [...model.params.values()]);
    return tf.stack(names.map((name) => {
      const grad = grads[model.params.get(name)!.name];
      return grad ? tf.norm(grad) : tf.scalar(0);
    }));
  });
  const values = norms.dataSync();
  norms.dispose();
  return names.map((layer, i) => ({probe: 'grad_norm', layer, value: values[i]!}));
}

function parameterNorms(model: Model): ProbeValue[] {
  const names = [...model.params.keys()];
  const norms = tf.tidy(() => tf.stack(names.map((name) => tf.norm(model.params.get(name)!))));
  const values = norms.dataSync();
  norms.dispose();
  return names.map((layer, i) => ({probe: 'param_norm', layer, value: values[i]!}));
}

/** Every value of the probes asked for (gradient_flow aside), at one evaluation point. */
export function runProbes(
  model: Model,
  data: Dataset,
  probes: readonly ProbeName[],
  context: {activation: ActivationName; batch: number; loss: (output: tf.Tensor2D, y: tf.Tensor, task: Task, classes: number) => tf.Scalar},
): ProbeValue[] {
  const out: ProbeValue[] = [];
  if (model.preActivations && probes.some((p) => ACTIVATION_PROBES.includes(p))) out.push(...activationProbes(model, data, probes, context.activation));
  if (probes.includes('grad_norms')) out.push(...gradientNorms(model, data, context.batch, context.loss));
  if (probes.includes('param_norms')) out.push(...parameterNorms(model));
  return out;
}
