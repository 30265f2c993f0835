// The vocabulary: every name list of normbench, each an `as const` list with its type. Plain
// values, no imports, so that any layer may read them and the commands that only read files
// load nothing heavy. What a name *does* lives with its implementation (norms/, nn/, data/…).

/** Nonlinearities. `identity` leaves the pre-activation as it is (useful for probing norms). */
export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'identity'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Kernel initialisers (src/nn/init.ts). */
export const INITIALIZERS = ['glorot_uniform', 'glorot_normal', 'he_normal', 'normal'] as const;
export type InitializerName = (typeof INITIALIZERS)[number];
/** Initialisers of a recurrent kernel W_h. */
export const RECURRENT_INITIALIZERS = ['orthogonal', 'identity', ...INITIALIZERS] as const;
export type RecurrentInitializerName = (typeof RECURRENT_INITIALIZERS)[number];

export const DATASETS = [
  'fashion-mnist-mini', 'fashion-mnist', 'synthetic',
  'fashion-mnist-mini-rows', 'fashion-mnist-rows', 'fashion-mnist-mini-permuted', 'fashion-mnist-permuted', 'adding', 'files',
] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Formats of the `files` data set (your own data): src/data/files.ts reads them. */
export const FILE_FORMATS = ['csv', 'npy', 'idx'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Data sets whose examples are sequences (for recurrent models). */
export const SEQUENCE_DATASETS: readonly DatasetName[] = [
  'fashion-mnist-mini-rows', 'fashion-mnist-rows', 'fashion-mnist-mini-permuted', 'fashion-mnist-permuted', 'adding',
];

export const MODELS = ['mlp', 'lstm', 'rnn', 'cnn'] as const;
export type ModelKind = (typeof MODELS)[number];
/** Models that read their input as a sequence, one step at a time. */
export const RECURRENT_MODELS: readonly ModelKind[] = ['lstm', 'rnn'];

/**
 * Where a norm can sit: on a dense layer's output [N, C], on a convolution's [N, H, W, C]
 * (channels last), or inside a recurrent cell. Norm catalog entries declare the contexts they
 * support; a model says which context its layers are.
 */
export const LAYER_CONTEXTS = ['dense', 'conv', 'cell'] as const;
export type LayerContext = (typeof LAYER_CONTEXTS)[number];
/** The layer context of each model's normalised layers. */
export const MODEL_CONTEXT: Record<ModelKind, LayerContext> = {mlp: 'dense', lstm: 'cell', rnn: 'cell', cnn: 'conv'};

/** Pooling after a conv block: a k×k window at stride k taking the maximum or the mean, or none. */
export const POOLS = ['max', 'avg', 'none'] as const;
export type PoolName = (typeof POOLS)[number];
/** A convolution's padding, TensorFlow's: `same` keeps ⌈H / stride⌉ rows, `valid` only windows inside the image. */
export const PADDINGS = ['same', 'valid'] as const;
export type PaddingName = (typeof PADDINGS)[number];
/** What turns a convnet's last feature map into a vector: the mean over positions per channel, or every value. */
export const CNN_HEADS = ['gap', 'flatten'] as const;
export type CnnHead = (typeof CNN_HEADS)[number];

/**
 * Where a norm sits in an MLP's hidden layer: `pre` dense → norm → φ (Ioffe & Szegedy §3.2: the
 * norm sees z, the input of the nonlinearity), or `post` dense → φ → norm (the next layer sees
 * normalized activations).
 */
export const PLACEMENTS = ['pre', 'post'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export const NORMS = ['none', 'batch', 'layer', 'weight', 'group', 'rms', 'renorm', 'mean-only', 'centered-stopgrad', 'bn-rnn', 'instance'] as const;
export type NormName = (typeof NORMS)[number];

/** Grid keys with columns of their own in every results file; any other grid key is a factor column. */
export const DIRECT_GRID_KEYS = ['norm', 'activation', 'seed'] as const;

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * Evaluations of the trained network with each kind of normalization statistics (norms with
 * batch statistics): `ema` the moving averages, `population` recomputed over the training set
 * after training (Ioffe & Szegedy Alg. 2), `batch` each test batch's own.
 */
export const EVAL_MODES = ['ema', 'population', 'batch'] as const;
export type EvalMode = (typeof EVAL_MODES)[number];

/** At evaluation, the statistics a batch-statistics norm normalises with. */
export type EvalStatistics = 'moving' | 'population' | 'batch';

export const PROBES = ['gradient_flow', 'activation_percentiles', 'dead_units', 'saturation', 'grad_norms', 'param_norms'] as const;
export type ProbeName = (typeof PROBES)[number];
/** Probes that read the inputs to the nonlinearities of a feed-forward model. */
export const ACTIVATION_PROBES: readonly ProbeName[] = ['activation_percentiles', 'dead_units', 'saturation'];

export const TARGET_METRICS = ['test_accuracy', 'train_accuracy', 'test_loss', 'train_loss', 'val_accuracy', 'val_loss'] as const;
export type TargetMetric = (typeof TARGET_METRICS)[number];

/** What a claim expects of metric − than: more than its margin, less than −margin, or within ±margin. */
export const CLAIM_EXPECTATIONS = ['greater', 'less', 'equal'] as const;
export type ClaimExpectation = (typeof CLAIM_EXPECTATIONS)[number];

/**
 * What a claim `over:` a numeric grid factor takes of each seed's sweep: `good_count`, how many
 * values are good; `good_range_decades`, the width log10(hi/lo) of the range of good values;
 * `log10_largest_good`, log10 of the largest good value; `log10_best_value`, log10 of the value
 * that scored best. A value is good when its metric is within
 * 5 % of the sweep's best (1 point for an accuracy), or, with the claim's `threshold`, when it is at
 * least (at most, for a lower-is-better metric) the threshold.
 */
export const CLAIM_STATISTICS = ['good_count', 'good_range_decades', 'log10_largest_good', 'log10_best_value'] as const;
export type ClaimStatistic = (typeof CLAIM_STATISTICS)[number];

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export const BACKEND_CHOICES = ['auto', ...BACKENDS] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/**
 * Options of model mlp added after results existed, with their defaults. Parsing drops an option
 * at its default, so the run ids (a hash of the spec) of runs made before the option existed stay
 * the same (the norms' `laterOptions` do the same for norm options); this says what it was.
 */
export const MLP_LATER_DEFAULTS = {dropout: 0} as const;

/** Defaults of the synthetic data set's options beyond the plain generator's (schema and generator share them). */
export const SYNTHETIC_DEFAULTS = {clusters_per_class: 3, informative: 10, scale_range: 2, shift: 4} as const;

/** The `train.*` keys `tune` can search: numbers that change training and not its length. */
export const TUNABLE_KEYS = ['train.lr', 'train.momentum', 'train.clip_norm', 'train.beta1', 'train.beta2', 'train.epsilon', 'train.decay'] as const;
export type TunableKey = (typeof TUNABLE_KEYS)[number];

/**
 * What tuning selects by, and which way is better: summary columns of the validation split or
 * of training, never of the test split.
 */
export const TUNE_METRICS = {
  val_loss_auc: 'less',
  final_val_loss: 'less',
  final_val_accuracy: 'greater',
  best_val_accuracy: 'greater',
  train_loss_auc: 'less',
} as const;
export type TuneMetric = keyof typeof TUNE_METRICS;
export const TUNE_METRIC_NAMES = Object.keys(TUNE_METRICS) as TuneMetric[];

/** `full`: every value trains the whole budget; `halving`: successive halving. */
export const TUNE_SCHEDULES = ['full', 'halving'] as const;
export type TuneSchedule = (typeof TUNE_SCHEDULES)[number];
