// `--shard I/N`: which cells of a grid one process trains, and where its results go by default.

import {join} from 'node:path';
import {UserError} from '../errors.js';
import {convMacs, modelWidth} from '../models/catalog.js';
import {imageShapeOf} from '../spec/datasets.js';
import type {RunSpec} from '../spec/experiment.js';

/** `--shard I/N`: the cells whose grid index mod N is I−1 (1 ≤ I ≤ N). */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UserError(`--shard takes I/N with 1 ≤ I ≤ N (e.g. --shard 1/4), got "${text}"`, undefined, 'usage');
  }
  return {index, count};
}

/** results/<name>, results/<name>-shard-I-of-N, or for a tuned experiment's tune shard results/<name>-tune-shard-I-of-N. */
export function defaultOutDir(name: string, shard?: Shard, stage?: 'tune'): string {
  return join('results', shard ? `${name}-${stage ? `${stage}-` : ''}shard-${shard.index}-of-${shard.count}` : name);
}

/** The cells a shard trains: every N-th by grid index, so each shard gets a mix of the grid. */
export function shardRuns(runs: RunSpec[], shard?: Shard): RunSpec[] {
  return shard ? runs.filter((r) => r.index % shard.count === shard.index - 1) : runs;
}

/**
 * The widest layer over the whole grid, for `--backend auto`: the same for every shard and every
 * resume, so the shards of one grid pick the same backend.
 */
export function gridWidth(runs: readonly RunSpec[]): number {
  return Math.max(0, ...runs.map((r) => modelWidth(r.model)));
}

/**
 * The largest convolution work of a training step over the whole grid (multiply-adds of one
 * forward pass: convMacs × batch size), for `--backend auto`; 0 without convnets.
 */
export function gridConvMacs(runs: readonly RunSpec[]): number {
  return Math.max(0, ...runs.map((r) => convMacs(r.model, imageShapeOf(r.dataset)) * r.train.batch_size));
}
