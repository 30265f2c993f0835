/** One split of a classification set: row-major features and integer labels. */
export interface Split {
  /** [n, features], float32. */
  x: Float32Array;
  /** [n], class indices. */
  y: Int32Array;
  n: number;
}

export interface Dataset {
  name: string;
  features: number;
  classes: number;
  train: Split;
  test: Split;
  /** Where the data came from (a directory, or a generator description). */
  source: string;
}

/** The first `limit` rows of a split (all of it when limit is undefined or larger). */
export function limitSplit(split: Split, features: number, limit?: number): Split {
  if (limit === undefined || limit >= split.n) return split;
  return {x: split.x.subarray(0, limit * features), y: split.y.subarray(0, limit), n: limit};
}
