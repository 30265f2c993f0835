// The bench's workloads, built once for every script that times them (bench.mjs, ab.mjs,
// profile-kernels.mjs): mlp, a 784-W-W-W-10 MLP on synthetic 784-feature data; lstm, one LSTM layer
// of 100 units (or `units`) over 28 steps of 28 inputs, a classifier on the last h (`batch` is BN-LSTM); cnn,
// the convnet 28×28×1 → [conv 3×3 16 → pool 2] → [conv 3×3 32 → pool 2] → conv 3×3 32 → global
// average pooling → 10, `same` padding, ReLU, the norm after each convolution (BENCH_CNN).
// `api` is a built normbench's public API (ab.mjs passes each build's own).

/** The bench's convnet, as model cnn's spec (scripts/torch-cnn-bench.py builds its twin). */
export const BENCH_CNN = {
  kind: 'cnn', channels: [16, 32, 32], kernel: [3, 3, 3], stride: [1, 1, 1], padding: ['same', 'same', 'same'], pool: ['max', 'max', 'none'],
  pool_size: 2, head: 'gap', hidden: [], init: 'he_normal', init_std: 0.01,
};

/** Data and model of a workload; `hidden` for the MLP (default three layers of 100), `units` for the LSTM (default 100). */
export function benchWorkload(api, {workload, norm, batch, hidden = [100, 100, 100], activation = 'sigmoid', units = 100}) {
  const {buildModel, makeSynthetic, resolveNorm} = api;
  if (workload === 'cnn') {
    // Synthetic 784-value examples read as 28×28×1 images: the speed does not depend on the pixels.
    const data = {...makeSynthetic({features: 784, classes: 10, train_size: Math.max(batch * 20, 640), test_size: 8, separation: 1, seed: 1}), image: [28, 28, 1]};
    const model = buildModel({model: BENCH_CNN, norm: resolveNorm(norm), activation: 'relu', seed: 1, inputs: 784, classes: 10, image: [28, 28, 1]});
    return {data, model};
  }
  const lstm = workload === 'lstm';
  const data = lstm
    ? {...makeSynthetic({features: 784, classes: 10, train_size: batch * 20, test_size: 8, separation: 1, seed: 1}), inputs: 28}
    : makeSynthetic({features: 784, classes: 10, train_size: 6000, test_size: 60, separation: 1, seed: 1});
  const model = buildModel({
    model: lstm
      ? {kind: 'lstm', hidden: units, layers: 1, init: 'glorot_uniform', init_std: 0.01, recurrent_init: 'orthogonal', h0_noise: 0, forget_bias: 1}
      : {kind: 'mlp', hidden, init: 'glorot_uniform', init_std: 0.01},
    norm: resolveNorm(norm), activation: lstm ? 'tanh' : activation, seed: 1, inputs: 784, classes: 10,
    sequence: lstm ? {inputs: 28, steps: 28} : undefined,
  });
  return {data, model};
}
