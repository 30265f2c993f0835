// The experiment schema: every key a YAML experiment may hold, its default and what it means.
// Unknown keys are errors (with the nearest valid key suggested), never silently ignored.

import {z} from 'zod';
import {ACTIVATIONS} from '../nn/activations.js';
import {INITIALIZERS} from '../nn/init.js';
import {strict} from '../util/strict.js';

const positiveInt = z.number().int().positive();
const limit = positiveInt.optional();

export const DATASETS = ['fashion-mnist-mini', 'fashion-mnist', 'synthetic'] as const;
export type DatasetName = (typeof DATASETS)[number];

export const datasetSchema = z.discriminatedUnion('name', [
  strict({
    /** The stratified real subset bundled in data/ (needs nothing). */
    name: z.literal('fashion-mnist-mini'),
    /** Use only the first N training / test examples. */
    train_limit: limit,
    test_limit: limit,
  }),
  strict({
    /** The full Fashion-MNIST (60k/10k), found in --data-dir, $NORMBENCH_DATA, ./data or Debian's package. */
    name: z.literal('fashion-mnist'),
    train_limit: limit,
    test_limit: limit,
    /** The directory holding the four IDX files: when set, the only place used (no search). */
    data_dir: z.string().optional(),
  }),
  strict({
    /** Seeded Gaussian class clusters: fast, for tests and smoke runs. */
    name: z.literal('synthetic'),
    features: positiveInt.default(20),
    classes: z.number().int().min(2).default(4),
    train_size: positiveInt.default(2000),
    test_size: positiveInt.default(500),
    /** Distance scale between class centres relative to the unit noise. */
    separation: z.number().positive().default(1.5),
    /** Seed of the data itself (the run seed only drives init and batch order). */
    seed: z.number().int().nonnegative().default(1),
    train_limit: limit,
    test_limit: limit,
  }),
]);
export type DatasetSpec = z.infer<typeof datasetSchema>;

export const MODELS = ['mlp'] as const;
export type ModelKind = (typeof MODELS)[number];

export const modelSchema = strict({
  kind: z.enum(MODELS),
  /** Hidden layer widths; each hidden layer is dense → norm → activation. */
  hidden: z.array(positiveInt).min(1),
  /** Kernel initialiser (biases start at 0; γ at 1, β at 0). */
  init: z.enum(INITIALIZERS).default('glorot_uniform'),
  /** Standard deviation for init: normal. */
  init_std: z.number().positive().default(0.01),
});
export type ModelSpec = z.infer<typeof modelSchema>;

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

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
export type TrainSpec = z.infer<typeof trainSchema>;

/** A norm in YAML: a name, or a name with options ({name: batch, momentum: 0.99}). */
export const normEntrySchema = z.union([
  z.string(),
  z.looseObject({name: z.string()}),
]);
export type NormEntry = z.infer<typeof normEntrySchema>;

export const TARGET_METRICS = ['test_accuracy', 'train_accuracy', 'test_loss', 'train_loss'] as const;
export type TargetMetric = (typeof TARGET_METRICS)[number];

export const targetsSchema = strict({
  /** Reached when the metric is at least the value. */
  test_accuracy: z.array(z.number().min(0).max(1)).optional(),
  train_accuracy: z.array(z.number().min(0).max(1)).optional(),
  /** Reached when the metric is at most the value. */
  test_loss: z.array(z.number().nonnegative()).optional(),
  train_loss: z.array(z.number().nonnegative()).optional(),
});
export type Targets = z.infer<typeof targetsSchema>;

export const experimentSchema = strict({
  /** Also the default output directory, results/<name>. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
  /** The question the experiment answers, in one sentence. */
  question: z.string().min(1),
  description: z.string().optional(),
  dataset: datasetSchema,
  model: modelSchema,
  train: trainSchema,
  /** Default norm and activation and seed; `grid` usually varies them. */
  norm: normEntrySchema.default('none'),
  activation: z.enum(ACTIVATIONS).default('relu'),
  seed: z.number().int().nonnegative().default(1),
  /** Cartesian product: norm, activation, seed or any key by dotted path (train.lr). */
  grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
  targets: targetsSchema.default({}),
});
export type ExperimentConfig = z.infer<typeof experimentSchema>;
