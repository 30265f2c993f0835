// The experiment schema: every key a YAML experiment may hold, its default and what it means.
// Unknown keys are errors (with the nearest valid key suggested), never silently ignored.

import {z} from 'zod';
import {
  ACTIVATIONS, CLAIM_EXPECTATIONS, CNN_HEADS, PADDINGS, POOLS, CLAIM_STATISTICS, EVAL_MODES, FILE_FORMATS, INITIALIZERS, OPTIMIZERS, PROBES, RECURRENT_INITIALIZERS, SYNTHETIC_DEFAULTS,
  TUNABLE_KEYS, TUNE_METRIC_NAMES, TUNE_SCHEDULES,
} from '../spec/names.js';
import type {Claim, DatasetSpec, ExperimentConfig, ModelSpec, Targets, TrainSpec, TuneConfig, VerifySpec} from '../spec/experiment.js';
import {trainField, tunedKeys, tuneValues} from '../spec/tune.js';
import {strict, unknownKeyMessage} from '../util/strict.js';

const positiveInt = z.number().int().positive();
const limit = positiveInt.optional();

/**
 * Hold out a validation split from the training split: a count of examples, or a fraction of the
 * training split (0 < v < 1). Stratified by class, drawn by the data set (never the run seed), so
 * every run of an experiment sees the same split; train_limit applies to what remains.
 */
const validation = z.number().positive().refine((v) => v < 1 || Number.isInteger(v), 'a count of examples (an integer) or a fraction below 1').optional();

/**
 * Standardize each input feature by its mean and std over the training split trained on (after
 * the validation hold-out and train_limit), never the validation or test split. `false` (the
 * default) is dropped, so a run without standardization keeps the run id it had before the key.
 */
const standardize = z.boolean().optional().transform((v) => (v ? (true as const) : undefined));

const limits = {
  /** Use only the first N training / test examples. */
  train_limit: limit,
  test_limit: limit,
  validation,
  standardize,
};
/** The directory holding the four IDX files: when set, the only place used (no search). */
const dataDir = {data_dir: z.string().optional()};
const permutation = {
  /** Side of the average-pooled image: size² steps of one pixel each (28: 784, 14: 196, 7: 49). */
  size: z.literal([7, 14, 28]).default(14),
  /** Seed of the fixed pixel order; part of the data set, so of every run id. */
  permutation_seed: z.number().int().nonnegative().default(1),
};

/** A path to a data file, relative to the experiment file. */
const dataPath = z.string().min(1, 'a path to a file, relative to the experiment file');
/** One split of your own data: a CSV file, or (NPY, IDX) a features file and a labels file. */
const splitFiles = z.union([dataPath, strict({x: dataPath, y: dataPath})]);

/** Your own data: the same checks whatever the format, then the shape of `train`/`test` by format. */
const filesSchema = strict({
  /** Your own data, read from files (src/data/files.ts): CSV, NPY or IDX. */
  name: z.literal('files'),
  /** csv: a header and one example a line; npy: NumPy arrays (little-endian float32/float64/uint8); idx: MNIST's format. */
  format: z.enum(FILE_FORMATS),
  /** The training split, relative to the experiment file: a CSV file, or {x: features, y: labels} for npy and idx. */
  train: splitFiles,
  /** The test split, as `train`. */
  test: splitFiles,
  /** csv: the column holding the class labels (integers 0 … classes − 1); every other column is a feature. */
  label: z.string().min(1).optional(),
  /** Classes: inferred from the labels (the largest + 1) when left out; given, every label must be below it. */
  classes: z.number().int().min(2).optional(),
  /** The shape of one example, e.g. [28, 28, 1] (channels last): its product must be the number of features. */
  shape: z.array(positiveInt).min(1).optional(),
  /** Divide every feature by this (255: bytes to [0, 1]); applied before `standardize`. */
  scale: z.number().positive().optional(),
  ...limits,
}).superRefine((d, ctx) => {
  const pair = d.format !== 'csv';
  for (const split of ['train', 'test'] as const) {
    if (pair && typeof d[split] === 'string') {
      ctx.addIssue({code: 'custom', path: [split], message: `format ${d.format} reads a features file and a labels file: ${split}: {x: FEATURES, y: LABELS}`});
    }
    if (!pair && typeof d[split] !== 'string') {
      ctx.addIssue({code: 'custom', path: [split], message: `format csv reads one file holding the features and the label column: ${split}: FILE.csv`});
    }
  }
  if (!pair && d.label === undefined) ctx.addIssue({code: 'custom', path: ['format'], message: 'format csv needs `label:` naming the column that holds the class labels'});
  if (pair && d.label !== undefined) ctx.addIssue({code: 'custom', path: ['label'], message: `\`label\` names a CSV column; format ${d.format} reads the labels from train.y and test.y`});
});

export const datasetSchema = z.discriminatedUnion('name', [
  strict({
    /** The stratified real subset bundled in data/ (needs nothing). */
    name: z.literal('fashion-mnist-mini'),
    /** Use only the first N training / test examples. */
    ...limits,
  }),
  strict({
    /** The full Fashion-MNIST (60k/10k), found in --data-dir, $NORMBENCH_DATA, ./data or Debian's package. */
    name: z.literal('fashion-mnist'),
    ...limits,
    /** The directory holding the four IDX files: when set, the only place used (no search). */
    data_dir: z.string().optional(),
  }),
  strict({
    /** Seeded Gaussian clusters (several per class) in shifted, unevenly scaled inputs: for tests and smoke runs. */
    name: z.literal('synthetic'),
    features: positiveInt.default(20),
    classes: z.number().int().min(2).default(4),
    train_size: positiveInt.default(2000),
    test_size: positiveInt.default(500),
    /** Distance scale between cluster centres relative to the unit noise. */
    separation: z.number().positive().default(1.5),
    /** Seed of the data itself (the run seed only drives init and batch order). */
    seed: z.number().int().nonnegative().default(1),
    // The four below are filled in by parsing but optional in the type, so code that builds a
    // spec by hand may leave them out; src/data/synthetic.ts applies the same defaults.
    /** Gaussian clusters per class. 3: a class is then not linearly separable, so the hidden layers matter. */
    clusters_per_class: positiveInt.default(SYNTHETIC_DEFAULTS.clusters_per_class).optional(),
    /**
     * Features that carry the class signal (the others are pure noise); more than `features`
     * means all. 10: the clusters overlap, so no model reaches 100 % (best possible ≈ 98 %).
     */
    informative: positiveInt.default(SYNTHETIC_DEFAULTS.informative).optional(),
    /**
     * Ratio of the largest feature scale to the smallest (geometric spacing, geometric mean 1).
     * 2: widens the sigmoid gap between no norm and BatchNorm at little cost in seed noise.
     */
    scale_range: z.number().min(1).default(SYNTHETIC_DEFAULTS.scale_range).optional(),
    /**
     * Added to every feature before scaling, in units of the noise: non-centred inputs.
     * BatchNorm cancels it, the other norms do not. 4: separates the norms, yet a plain ReLU
     * MLP still trains under SGD at lr 0.1 (at 5 it mostly does not).
     */
    shift: z.number().default(SYNTHETIC_DEFAULTS.shift).optional(),
    ...limits,
  }),
  /** The bundled subset, each image as 28 steps of 28 pixels (row-wise sequential Fashion-MNIST). */
  strict({name: z.literal('fashion-mnist-mini-rows'), ...limits}),
  /** The full set as 28 steps of 28 pixels. */
  strict({name: z.literal('fashion-mnist-rows'), ...limits, ...dataDir}),
  /** The bundled subset pooled to size × size, one pixel per step in a fixed seeded order. */
  strict({name: z.literal('fashion-mnist-mini-permuted'), ...permutation, ...limits}),
  /** The full set pooled to size × size, one pixel per step in a fixed seeded order. */
  strict({name: z.literal('fashion-mnist-permuted'), ...permutation, ...limits, ...dataDir}),
  strict({
    /** The adding problem: regression (MSE) on the sum of two marked values of a sequence. */
    name: z.literal('adding'),
    /** Steps of a training sequence. */
    length: z.number().int().min(2).default(50),
    /** Steps of a test sequence (default: length); longer ones test generalisation past the training length. */
    eval_length: z.number().int().min(2).optional(),
    train_size: positiveInt.default(10000),
    test_size: positiveInt.default(1000),
    /** Seed of the data itself. */
    seed: z.number().int().nonnegative().default(1),
    ...limits,
  }),
  filesSchema,
]);

const kernelInit = {
  /** Kernel initialiser (biases start at 0; γ at 1, β at 0). */
  init: z.enum(INITIALIZERS).default('glorot_uniform'),
  /** Standard deviation for init: normal. */
  init_std: z.number().positive().default(0.01),
};

const recurrent = {
  /** Units of each recurrent layer. */
  hidden: positiveInt,
  /** Stacked recurrent layers; the classifier (or regressor) reads the last layer's last h. */
  layers: positiveInt.default(1),
  ...kernelInit,
  /** The recurrent kernel W_h: orthogonal (Saxe et al. 2014, as Cooijmans et al.) or identity (Le et al. 2015), per gate. */
  recurrent_init: z.enum(RECURRENT_INITIALIZERS).default('orthogonal'),
  /** Std of Gaussian noise on h₀ in training (Cooijmans et al.: constant early inputs give zero batch variance). */
  h0_noise: z.number().nonnegative().default(0),
};

/** Options of model mlp that a recurrent model does not have, each with what it is for. */
const MLP_ONLY = {
  dropout: 'dropout applies to model mlp only (inverted dropout on each hidden layer\'s output); a recurrent model has no hidden layers to drop from: leave it out',
};

/** A value for every conv block, or a list with one per block: always a list once parsed. */
const perBlock = <T extends z.ZodType>(value: T, fallback: z.output<T>, what: string) =>
  z.union([value, z.array(value).min(1)], {error: `${what}, for every conv block, or a list of them with one per block`}).default(fallback as never);

/**
 * Model cnn: a convnet on images (channels last). Each block is conv k×k (stride, padding) →
 * norm → activation → pooling; then the head turns the last feature map into a vector, and dense
 * hidden layers (dense → norm → activation) and the dense output follow.
 */
const cnnSchema = strict({
  kind: z.literal('cnn'),
  /** Output channels of each conv block, e.g. [16, 32, 32]: one block per entry. */
  channels: z.array(positiveInt).min(1),
  /**
   * Filter size k (k×k) of every block, or one per block. Default 3: two 3×3 layers see what one
   * 5×5 sees with fewer weights (Simonyan & Zisserman 2015), the convnet default since.
   */
  kernel: perBlock(positiveInt, 3, 'a positive integer'),
  /** Stride of every block's convolution, or one per block. Default 1: the pooling downsamples. */
  stride: perBlock(positiveInt, 1, 'a positive integer'),
  /**
   * `same` (TensorFlow's: ⌈H / stride⌉ rows out, zeros around) or `valid` (only windows inside the
   * image), for every block or one per block. Default same: a 28×28 image stays 28×28, so 2×2
   * pooling halves it cleanly (28 → 14 → 7).
   */
  padding: perBlock(z.enum(PADDINGS), 'same', PADDINGS.join(' or ')),
  /**
   * Pooling after each block's activation: max, avg or none, for every block or one per block.
   * Default none: every reduction of the image is written in the experiment.
   */
  pool: perBlock(z.enum(POOLS), 'none', POOLS.join(', ')),
  /** Window and stride of every pooling (non-overlapping windows; a last row or column that does not fill one is dropped). */
  pool_size: z.number().int().min(2).default(2),
  /**
   * How the last feature map [H, W, C] becomes a vector: `gap`, the mean over positions per channel
   * (Lin, Chen & Yan 2014: C values, few head weights, no tie to the image size), or `flatten`,
   * all H·W·C values. Default gap.
   */
  head: z.enum(CNN_HEADS).default('gap'),
  /** Dense hidden layers after the head (dense → norm → activation), then the dense output. Default []. */
  hidden: z.array(positiveInt).default([]),
  /** Kernel initialiser of the conv filters (fans k·k·in, k·k·out) and dense kernels. Default he_normal (He et al. 2015, made for ReLU convnets). */
  init: z.enum(INITIALIZERS).default('he_normal'),
  /** Standard deviation for init: normal. */
  init_std: z.number().positive().default(0.01),
}, {...MLP_ONLY, layers: 'layers applies to recurrent models; a cnn has one conv block per entry of channels'}).superRefine((m, ctx) => {
  for (const key of ['kernel', 'stride', 'padding', 'pool'] as const) {
    const value = m[key];
    if (Array.isArray(value) && value.length !== m.channels.length) {
      ctx.addIssue({code: 'custom', path: [key], message: `${key} lists ${value.length} value${value.length === 1 ? '' : 's'} for ${m.channels.length} conv block${m.channels.length === 1 ? '' : 's'} (channels has ${m.channels.length}): give one per block, or a single value for all`});
    }
  }
}).transform((m) => {
  const spread = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : m.channels.map(() => value));
  return {...m, kernel: spread(m.kernel), stride: spread(m.stride), padding: spread(m.padding), pool: spread(m.pool)};
});

export const modelSchema = z.discriminatedUnion('kind', [
  strict({
    /** Multi-layer perceptron: [dense → norm → activation] × hidden, then a dense output. */
    kind: z.literal('mlp'),
    /**
     * Hidden layer widths; each hidden layer is dense → norm → activation (→ norm with the norm's
     * `placement: post`). [] is logistic regression: the dense output layer alone (norm none).
     */
    hidden: z.array(positiveInt),
    /**
     * Inverted dropout (Srivastava et al. 2014) on each hidden layer's output, at training steps
     * only: a unit is kept with probability 1 − p and scaled by 1/(1 − p). The masks are drawn
     * from Rng(seed, 'dropout', step, layer), so runs that differ only in the norm drop the same
     * units. Left out, or 0: no dropout, the network as it was before this option existed; 0 is
     * dropped, so such a run keeps the run id it had before the key (as dataset.standardize: false).
     */
    dropout: z.number().min(0).lt(1).optional().transform((p) => (p ? p : undefined)),
    ...kernelInit,
  }),
  strict({
    /** Long short-term memory (Hochreiter & Schmidhuber 1997), gates i, f, g, o. */
    kind: z.literal('lstm'),
    ...recurrent,
    /** Initial bias of the forget gate (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1). */
    forget_bias: z.number().default(1),
  }, MLP_ONLY),
  strict({
    /** Elman RNN with tanh: h_t = tanh(W_x x_t + W_h h_{t−1} + b). */
    kind: z.literal('rnn'),
    ...recurrent,
  }, MLP_ONLY),
  cnnSchema,
]);

/** Each model's object of keys (model cnn's before it spreads its per-block values into lists). */
export const MODEL_VARIANTS = modelSchema.options.map((o) => ('shape' in o ? o : o.in));

export const trainSchema = strict({
  optimizer: z.enum(OPTIMIZERS).default('sgd'),
  lr: z.number().positive(),
  /** Examples per step; at least 2 so batch statistics exist. */
  batch_size: z.number().int().min(2),
  steps: positiveInt,
  /** Evaluate on the test split every this many steps (and at step 0 and the last step). */
  eval_every: positiveInt,
  /** Rescale the gradient so its global L2 norm is at most this. */
  clip_norm: z.number().positive().optional(),
  /** Momentum for `momentum` and `rmsprop`. */
  momentum: z.number().min(0).max(1).default(0.9),
  /** Adam's β1, β2. */
  beta1: z.number().min(0).max(1).default(0.9),
  beta2: z.number().min(0).max(1).default(0.999),
  /** Adam's and RMSProp's ε. */
  epsilon: z.number().positive().default(1e-7),
  /** RMSProp's decay of the squared-gradient average. */
  decay: z.number().min(0).max(1).default(0.9),
});

/** A norm in YAML: a name, or a name with options ({name: batch, momentum: 0.99}). */
export const normEntrySchema = z.union([
  z.string(),
  z.looseObject({name: z.string()}),
]);

/** One target value or a list of them; always a list once parsed. */
const targetValues = (value: z.ZodNumber) =>
  z.union([value, z.array(value).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])).optional();

export const targetsSchema = strict({
  /** Reached when the metric is at least the value. */
  test_accuracy: targetValues(z.number().min(0).max(1)),
  train_accuracy: targetValues(z.number().min(0).max(1)),
  /** Reached when the metric is at most the value. */
  test_loss: targetValues(z.number().nonnegative()),
  train_loss: targetValues(z.number().nonnegative()),
  /** On the validation split (needs dataset.validation): at least / at most the value. */
  val_accuracy: targetValues(z.number().min(0).max(1)),
  val_loss: targetValues(z.number().nonnegative()),
});

const tolerance = {
  /** Allowed relative difference: |now − reference| ≤ atol + rtol·|reference|. */
  rtol: z.number().nonnegative().optional(),
  /** Allowed absolute difference. */
  atol: z.number().nonnegative().optional(),
};

/** Tolerances for `normbench verify`: defaults for every metric, and per metric (a results column). */
export const verifySchema = strict({
  ...tolerance,
  metrics: z.record(z.string(), strict(tolerance)).default({}),
});

/** A grid value in a filter: a norm label, an activation, a seed, a factor's value. */
const runFilterSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const claimSchema = strict({
  /** A short name, unique in the experiment (lower-case letters, digits, "-"). */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and "-"'),
  /** The sentence the claim stands for, as the README states it. */
  says: z.string().min(1),
  /** A summary column (final_test_accuracy, train_loss_auc, steps_to_<target>, test_accuracy_<mode>, …). */
  metric: z.string().min(1),
  /** Another summary column of the same runs, or the condition to compare with ({norm: none}): paired by seed. */
  than: z.union([z.string().min(1), runFilterSchema]),
  /** Only the runs with these grid values (e.g. {train.batch_size: 4}). */
  where: runFilterSchema.optional(),
  /** metric − than is greater than margin, less than −margin, or within ±margin. */
  expect: z.enum(CLAIM_EXPECTATIONS),
  /** The smallest difference that counts (in the metric's units; in decades with `over`). */
  margin: z.number().nonnegative().default(0),
  /** A numeric grid factor (train.lr): compare, seed by seed, a statistic of the metric over its values. */
  over: z.string().min(1).optional(),
  /** With `over`: what of each seed's sweep is compared (in decades). */
  statistic: z.enum(CLAIM_STATISTICS).optional(),
  /** With `over`: which way the metric is better; by default higher for an accuracy, lower otherwise. */
  better: z.enum(['higher', 'lower']).optional(),
  /** With `over`: a value is good when its metric is at least (at most, lower is better) this, instead of within 5 % / 1 point of the best. */
  threshold: z.number().optional(),
}).superRefine((c, ctx) => {
  if (c.over !== undefined && c.statistic === undefined) ctx.addIssue({code: 'custom', path: ['statistic'], message: `a claim over ${c.over} needs a statistic: ${CLAIM_STATISTICS.join(' or ')}`});
  if (c.over === undefined && c.statistic !== undefined) ctx.addIssue({code: 'custom', path: ['over'], message: 'a statistic is taken over a grid factor: give `over` (e.g. over: train.lr)'});
  if (c.over === undefined && c.threshold !== undefined) ctx.addIssue({code: 'custom', path: ['threshold'], message: '`threshold` says which values of a sweep are good: it needs `over`'});
  if (c.over === undefined && c.better !== undefined) ctx.addIssue({code: 'custom', path: ['better'], message: '`better` says which way a metric is better over a sweep: it needs `over`'});
  if (c.over !== undefined && typeof c.than === 'string') ctx.addIssue({code: 'custom', path: ['than'], message: `a claim over ${c.over} compares conditions: \`than\` must name one (e.g. {norm: none}), not a column`});
  for (const key of ['than', 'where'] as const) {
    const f = c[key];
    if (c.over !== undefined && typeof f === 'object' && f && c.over in f) ctx.addIssue({code: 'custom', path: [key, c.over], message: `the claim takes its statistic over ${c.over}: it cannot also fix it`});
  }
});

/** The values of a tuned key: `{log_range: [lo, hi], points: n}` (log-spaced) or `{values: [...]}`. */
export const tuneValuesSchema = z.union([
  strict({
    log_range: z.tuple([z.number().positive(), z.number().positive()]).refine(([lo, hi]) => lo < hi, 'must be [low, high] with low < high'),
    points: z.number().int().min(2),
  }),
  strict({values: z.array(z.number()).min(2).refine((v) => new Set(v).size === v.length, 'list each value once')}),
]);

const TUNE_OPTIONS = ['metric', 'seeds', 'schedule', 'eta', 'shared'];

/**
 * `tune:` — one `train.*` key with its values (`train.lr: {log_range: [0.003, 3], points: 7}`),
 * the metric that chooses, the tuning seeds, and the schedule.
 */
export const tuneSchema = z.looseObject({
  /** What chooses the value (validation or training metrics only; lower loss / higher accuracy is better). */
  metric: z.enum(TUNE_METRIC_NAMES),
  /** Seeds of the tuning runs; none may be a seed of the grid. */
  seeds: z.array(z.number().int().nonnegative()).min(1).refine((s) => new Set(s).size === s.length, 'list each seed once'),
  /** full: every value trains the whole budget; halving: successive halving (the best 1/eta go on to eta× the steps). */
  schedule: z.enum(TUNE_SCHEDULES).default('full'),
  eta: z.number().int().min(2).default(3),
  /** One value for all conditions, chosen by their mean: a deliberately untuned comparison. */
  shared: z.boolean().default(false),
}).superRefine((tune, ctx) => {
  const keys = tunedKeys(tune);
  if (keys.length !== 1) {
    ctx.addIssue({code: 'custom', path: keys.length ? [keys[1]!] : [], message: keys.length
      ? `tune searches one key at a time; found ${keys.join(', ')}`
      : `tune needs the key to search, e.g. "train.lr: {log_range: [0.003, 3], points: 7}" (tunable: ${TUNABLE_KEYS.join(', ')})`});
  }
  for (const key of keys) {
    if (!(TUNABLE_KEYS as readonly string[]).includes(key)) {
      ctx.addIssue({code: 'custom', path: [key], message: unknownKeyMessage(key, [...TUNE_OPTIONS, ...TUNABLE_KEYS])});
      continue;
    }
    const parsed = tuneValuesSchema.safeParse(tune[key]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({...issue, code: 'custom', path: [key, ...issue.path], message: issue.message} as never);
      continue;
    }
    const field = trainSchema.shape[trainField(key as (typeof TUNABLE_KEYS)[number])];
    const values = tuneValues(parsed.data);
    if (new Set(values).size < values.length) {
      ctx.addIssue({code: 'custom', path: [key], message: `at 3 significant digits the range gives the same value more than once (${values.join(', ')}): widen it, or take fewer points`});
    }
    const bad = values.filter((v) => !field.safeParse(v).success);
    if (bad.length) ctx.addIssue({code: 'custom', path: [key], message: `${key} cannot take ${bad.join(', ')} (${field.safeParse(bad[0]).error!.issues[0]!.message})`});
  }
}).transform((tune) => tune as unknown as TuneConfig);

export const experimentSchema = strict({
  /** Also the default output directory, results/<name>. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" and "-", starting with a letter or digit (it names the results directory)'),
  /** The question the experiment answers, in one sentence. */
  question: z.string().min(1),
  description: z.string().optional(),
  dataset: datasetSchema,
  model: modelSchema,
  train: trainSchema,
  /** Default norm and activation and seed; `grid` usually varies them. */
  norm: normEntrySchema.default('none'),
  /** The nonlinearity: after each hidden layer of an MLP (default relu); φ of an RNN (default tanh); an LSTM's is fixed (tanh). */
  activation: z.enum(ACTIVATIONS).optional(),
  seed: z.number().int().nonnegative().default(1),
  /**
   * Cartesian product: norm, activation, seed or any key by dotted path (train.lr). Or a list of
   * such maps (blocks), whose products are joined: cells that go together. In a block a single
   * value may stand without brackets.
   */
  grid: z.union([
    z.record(z.string(), z.array(z.unknown()).min(1)),
    z.array(z.record(z.string(), z.unknown()).transform((block) =>
      Object.fromEntries(Object.entries(block).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])))).min(1),
  ], {error: 'grid is a map of lists ({norm: [none, batch], seed: [1, 2]}) or a list of such maps, whose products are joined'}).default({}),
  targets: targetsSchema.default({}),
  /** Also evaluate the final weights on the training split (evaluation mode): the generalization gap. */
  eval_train: z.boolean().optional(),
  /**
   * Diagnostics recorded at each evaluation point (they never change training). Default: the
   * gradient flow for recurrent models, none for the MLP.
   */
  probes: z.array(z.enum(PROBES)).optional(),
  /**
   * After training, evaluate the final weights on the test split with each of these kinds of
   * statistics, as extra summary columns (test_loss_<mode>, test_accuracy_<mode>). Norms without
   * batch statistics give the same value for every mode.
   */
  eval_modes: z.array(z.enum(EVAL_MODES)).min(1).refine((m) => new Set(m).size === m.length, 'list each mode once').optional(),
  /** How `normbench verify` compares a rerun of this experiment with a reference. */
  verify: verifySchema.default({metrics: {}}),
  /** Sentences of the README as comparisons that `normbench check` decides (not part of any run's identity). */
  claims: z.array(claimSchema).refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, 'claim ids must be unique').optional(),
  /** How `normbench report` presents the results: `baseline`, the condition others are paired with. */
  report: strict({baseline: runFilterSchema.optional()}).optional(),
  /** Tune one train.* key per condition on validation before the grid's seeds train (see tuneSchema). */
  tune: tuneSchema.optional(),
});

// The schema validates into the plain types of src/spec/experiment.ts: what it accepts, once
// parsed, is what the rest of normbench reads. A schema change that the types do not follow
// fails to compile here.
type Produces<S extends z.ZodType, T> = z.output<S> extends T ? true : never;
const validatesIntoSpec: [
  Produces<typeof datasetSchema, DatasetSpec>,
  Produces<typeof modelSchema, ModelSpec>,
  Produces<typeof trainSchema, TrainSpec>,
  Produces<typeof targetsSchema, Targets>,
  Produces<typeof verifySchema, VerifySpec>,
  Produces<typeof experimentSchema, ExperimentConfig>,
  Produces<typeof claimSchema, Claim>,
] = [true, true, true, true, true, true, true];
void validatesIntoSpec;
