// The bench's workloads, built once for every script that times them (bench.mjs, ab.mjs,
// profile-lstm.mjs): mlp, a 784-W-W-W-10 MLP on synthetic 784-feature data; lstm, one LSTM layer
// of 100 units (or `units`) over 28 steps of 28 inputs, a classifier on the last h (`batch` is BN-LSTM).
// `api` is a built normbench's public API (ab.mjs passes each build's own).

/** Data and model of a workload; `hidden` for the MLP (default three layers of 100), `units` for the LSTM (default 100). */
export function benchWorkload(api, {workload, norm, batch, hidden = [100, 100, 100], activation = 'sigmoid', units = 100}) {
  const {buildModel, makeSynthetic, resolveNorm} = api;
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
