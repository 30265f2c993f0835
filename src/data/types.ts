import type {DataFile} from './fingerprint.js';
import type {ImageShape} from '../spec/datasets.js';

export type {DataFile} from './fingerprint.js';

/** What a data set asks of a model: a class (softmax cross-entropy) or a number (mean squared error). */
export type Task = 'classification' | 'regression';

/** One split: row-major examples, and their labels (classification) or targets (regression). */
export interface Split {
  /** [n, width], float32. */
  x: Float32Array;
  /** [n]: class indices, or regression targets. */
  y: Int32Array | Float32Array;
  n: number;
  /** Values per example: the features, or steps × inputs for a sequence. */
  width: number;
}

export interface Dataset {
  name: string;
  task: Task;
  /** Values per training example: the input width of a feed-forward model. */
  features: number;
  /** Outputs of the model: the number of classes, or 1 for regression. */
  classes: number;
  /** For images: each example's shape [H, W, C], its values row-major and channels last (IMAGE_SHAPES). */
  image?: ImageShape;
  /** For sequences: values per time step (an example of width w is w / inputs steps long). */
  inputs?: number;
  train: Split;
  /** Held out of the training split when the experiment asks (`dataset.validation`): what selection reads. */
  validation?: Split;
  test: Split;
  /** Where the data came from (a directory, or a generator description). */
  source: string;
  /**
   * The files read, each with its size and SHA-256: what the data are, for a set read from files.
   * Generated sets (synthetic, adding) have none: their spec is their identity.
   */
  files?: DataFile[];
  /** The shape of one example (e.g. [28, 28, 1]), for your own data that say it: what a convnet would read. */
  shape?: number[];
}

/** The first `limit` rows of a split (all of it when limit is undefined or larger). */
export function limitSplit(split: Split, limit?: number): Split {
  if (limit === undefined || limit >= split.n) return split;
  return {x: split.x.subarray(0, limit * split.width), y: split.y.subarray(0, limit), n: limit, width: split.width};
}

/** Steps of a split's sequences (1 for a data set that is not a sequence). */
export function stepsOf(data: Dataset, split: Split): number {
  return data.inputs ? split.width / data.inputs : 1;
}
