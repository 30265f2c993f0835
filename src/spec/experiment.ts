// What an experiment is, as plain types: the checked config (src/config/schema.ts validates a
// YAML file into these) and the run spec of one grid cell (src/config/expand.ts makes them).
// Every layer reads these; none of them needs the schema library to do so.

import type {
  ActivationName, CnnHead, ClaimExpectation, PaddingName, PoolName, ClaimStatistic, EvalMode, FileFormat, InitializerName, NormName, OptimizerName, ProbeName, RecurrentInitializerName,
  TunableKey, TuneMetric, TuneSchedule,
} from './names.js';
import type {GridSpec} from './grid.js';

interface Limits {
  /** Use only the first N training / test examples. */
  train_limit?: number;
  test_limit?: number;
  /**
   * A validation split held out of the training split: a count, or a fraction (0 < v < 1).
   * Stratified by class and fixed by the data set (not the run seed); train_limit applies after.
   */
  validation?: number;
  /**
   * Standardize each input feature by its mean and std over the training split trained on
   * (src/data/standardize.ts). Only `true` is kept: parsing drops `false`, so a run without it has
   * the run id it had before the key existed.
   */
  standardize?: true;
}
interface Permutation {
  /** Side of the average-pooled image: size² steps of one pixel each. */
  size: 7 | 14 | 28;
  /** Seed of the fixed pixel order. */
  permutation_seed: number;
}

export type DatasetSpec =
  | ({name: 'fashion-mnist-mini'} & Limits)
  | ({name: 'fashion-mnist'; data_dir?: string} & Limits)
  | ({
    /** Seeded Gaussian clusters in shifted, unevenly scaled inputs (src/data/synthetic.ts). */
    name: 'synthetic';
    features: number;
    classes: number;
    train_size: number;
    test_size: number;
    /** Distance scale between cluster centres relative to the unit noise. */
    separation: number;
    /** Seed of the data itself (the run seed only drives init and batch order). */
    seed: number;
    /** Gaussian clusters per class (default 3). */
    clusters_per_class?: number;
    /** How many features carry the class signal (default 10); more than `features` means all. */
    informative?: number;
    /** Ratio of the largest feature scale to the smallest (default 2). */
    scale_range?: number;
    /** Added to every feature before scaling, in units of the within-cluster noise (default 4). */
    shift?: number;
  } & Limits)
  | ({name: 'fashion-mnist-mini-rows'} & Limits)
  | ({name: 'fashion-mnist-rows'; data_dir?: string} & Limits)
  | ({name: 'fashion-mnist-mini-permuted'} & Permutation & Limits)
  | ({name: 'fashion-mnist-permuted'; data_dir?: string} & Permutation & Limits)
  | ({name: 'adding'; length: number; eval_length?: number; train_size: number; test_size: number; seed: number} & Limits)
  | FilesSpec;

/** A split of your own data: one CSV file, or a features file and a labels file (NPY, IDX). */
export type SplitFiles = string | {x: string; y: string};

/** Your own data (src/data/files.ts): a training and a test split read from files. */
export type FilesSpec = {
  name: 'files';
  format: FileFormat;
  /** Paths relative to the experiment file: a CSV file, or `{x: features, y: labels}` for NPY and IDX. */
  train: SplitFiles;
  test: SplitFiles;
  /** CSV: the column holding the class labels (every other column is a feature). */
  label?: string;
  /** Classes: inferred from the labels (the largest + 1) when not given. */
  classes?: number;
  /** The shape of one example, e.g. [28, 28, 1]: its product is the number of features. */
  shape?: number[];
  /** Every feature is divided by this (255: bytes to [0, 1]). */
  scale?: number;
  /**
   * The absolute directory the paths are relative to: the experiment file's. Set when the grid is
   * expanded (src/config/expand.ts), never written in YAML, never part of a run's identity.
   */
  root?: string;
} & Limits;

interface KernelInit {
  init: InitializerName;
  init_std: number;
}
interface Recurrent extends KernelInit {
  hidden: number;
  layers: number;
  recurrent_init: RecurrentInitializerName;
  h0_noise: number;
}
export type MlpSpec = {
  kind: 'mlp';
  /** Hidden widths; [] is logistic regression (the dense output layer alone). */
  hidden: number[];
  /**
   * Inverted dropout on each hidden layer's output, with this probability, at training steps only.
   * Left out means 0, and parsing drops 0 (so that run ids made before the option stay).
   */
  dropout?: number;
} & KernelInit;
export type RecurrentModelSpec = ({kind: 'lstm'; forget_bias: number} & Recurrent) | ({kind: 'rnn'} & Recurrent);
/**
 * A convnet on images [N, H, W, C]: conv blocks (k×k convolution → norm → activation → pooling),
 * then `head` (global average pooling or flatten), then dense hidden layers and the output.
 * The per-block lists have one entry per block (parsing spreads a single value over all).
 */
export type CnnSpec = {
  kind: 'cnn';
  /** Output channels of each conv block. */
  channels: number[];
  kernel: number[];
  stride: number[];
  padding: PaddingName[];
  pool: PoolName[];
  /** Window and stride of every pooling. */
  pool_size: number;
  head: CnnHead;
  /** Dense hidden layers after the head (dense → norm → activation), then the output. */
  hidden: number[];
} & KernelInit;
export type ModelSpec = MlpSpec | RecurrentModelSpec | CnnSpec;

export interface TrainSpec {
  optimizer: OptimizerName;
  lr: number;
  batch_size: number;
  steps: number;
  eval_every: number;
  clip_norm?: number;
  momentum: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  decay: number;
}

/** A norm with its options fully resolved (defaults filled in). */
export interface NormSpec {
  name: NormName;
  options: Record<string, unknown>;
}
/** A norm in YAML: a name, or a name with options ({name: batch, momentum: 0.99}). */
export type NormEntry = string | ({name: string} & Record<string, unknown>);

export interface Targets {
  test_accuracy?: number[];
  train_accuracy?: number[];
  test_loss?: number[];
  train_loss?: number[];
  /** On the validation split (needs `dataset.validation`). */
  val_accuracy?: number[];
  val_loss?: number[];
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}
/** Tolerances for `normbench verify`: defaults for every metric, and per metric (a results column). */
export interface VerifySpec extends Tolerance {
  metrics: Record<string, Tolerance>;
}

/**
 * Which runs: grid factors and the values they must have, by grid key (`norm`, `activation`,
 * `seed`, or a factor such as `train.lr`); a value as written in the results (a norm by its
 * label, `batch(momentum=0.99)`; numbers as numbers or text).
 */
export type RunFilter = Record<string, string | number | boolean>;


/**
 * A sentence an experiment's README states, as a comparison `normbench check` decides from the
 * results: `metric` of the runs `where` selects, against `than` — another column of the same runs,
 * or the same metric in the condition that `than` names (paired by seed, every other factor
 * equal) — differs in the `expect`ed direction by more than `margin`.
 */
export interface Claim {
  id: string;
  says: string;
  metric: string;
  than: string | RunFilter;
  where?: RunFilter;
  expect: ClaimExpectation;
  margin: number;
  /** A numeric grid factor: the claim compares a statistic of `metric` over its values, seed by seed. */
  over?: string;
  statistic?: ClaimStatistic;
  better?: 'higher' | 'lower';
  threshold?: number;
}

/** How `normbench report` presents the results. */
export interface ReportSpec {
  /** The condition every other one is compared with, paired by seed (e.g. {norm: none}). */
  baseline?: RunFilter;
}

/** The values a tuned key takes: a log-spaced range, or a list. */
export type TuneValues = {log_range: [number, number]; points: number} | {values: number[]};

/**
 * `tune:` as written: one `train.*` key with its values, and how to choose among them. Each
 * condition (a grid cell without its seed) trains the values with the tuning seeds, the best by
 * `metric` is chosen, and the grid's seeds train at it.
 */
export type TuneConfig = {
  metric: TuneMetric;
  /** Seeds of the tuning runs: none of them a seed of the grid. */
  seeds: number[];
  schedule: TuneSchedule;
  /** Successive halving keeps the best 1/eta at each rung. */
  eta: number;
  /** One value for every condition (chosen by the mean over conditions): a deliberately untuned comparison. */
  shared: boolean;
} & {[key: `train.${string}`]: TuneValues};

/** `tune:` resolved: the key, its values in ascending order, and the rest as written. */
export interface TuneSpec {
  key: TunableKey;
  values: number[];
  metric: TuneMetric;
  seeds: number[];
  schedule: TuneSchedule;
  eta: number;
  shared: boolean;
}

export interface ExperimentConfig {
  name: string;
  question: string;
  description?: string;
  dataset: DatasetSpec;
  model: ModelSpec;
  train: TrainSpec;
  norm: NormEntry;
  activation?: ActivationName;
  seed: number;
  grid: GridSpec;
  targets: Targets;
  probes?: ProbeName[];
  eval_modes?: EvalMode[];
  /** Evaluate the final weights on the training split too (the generalization gap). */
  eval_train?: boolean;
  verify: VerifySpec;
  claims?: Claim[];
  report?: ReportSpec;
  tune?: TuneConfig;
}

/** One grid cell: everything needed to train one network, nothing else. */
export interface RunSpec {
  /** Hash of the canonical spec (12 hex digits). */
  run_id: string;
  /** Position in the grid (0-based). */
  index: number;
  norm: NormSpec;
  /** Readable norm label, e.g. `batch(center=false)`. */
  norm_label: string;
  activation: ActivationName;
  seed: number;
  /** The other grid factors of this cell: dotted key → value as written in CSV. */
  factors: Record<string, string>;
  /** The same factors with their YAML types (numbers stay numbers), for JSON and the manifest. */
  factor_values: Record<string, unknown>;
  dataset: DatasetSpec;
  model: ModelSpec;
  train: TrainSpec;
  /** Diagnostics recorded at each evaluation point (not part of the run id: they never change training). */
  probes: ProbeName[];
  /** Evaluations after training with each kind of statistics (not part of the run id either). */
  eval_modes: EvalMode[];
  /** Evaluate the final weights on the training split too (not part of the run id: it never changes training). */
  eval_train?: boolean;
  /** The block of a grid written as blocks that made this cell (where its values are written). */
  block?: number;
}

export interface ExpandedExperiment {
  config: ExperimentConfig;
  /** Grid keys other than norm / activation / seed, in grid order (extra CSV columns). */
  factorKeys: string[];
  runs: RunSpec[];
  /** Set when each run's value of this key was chosen by tuning (summary.csv then says it: tuned_<field>). */
  tuned?: TunableKey;
}
